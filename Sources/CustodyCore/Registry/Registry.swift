/// What the log says exists, as far as recording new facts is concerned: which entities are registered and since
/// when, which links, pauses and investigations are open and over which times, which incidents stand.
///
/// It is folded from the few streams a command names, never from the whole log, so validation stays fast as the
/// log grows; facts about streams that were not loaded are simply absent. Each entry keeps the `occurredAt` of the
/// facts that made it, so that a new fact is checked against the timeline (docs/rules.md), not only against the
/// order in which the facts were logged.
public struct Registry: Sendable, Equatable {
    /// A registered model: its provider, whether its weights are open, and since when it is known.
    public struct Model: Sendable, Equatable {
        /// Its provider.
        public var provider: Slug
        /// Whether its weights are published.
        public var openWeights: Bool
        /// When it was registered (its `occurredAt`).
        public var registeredAt: Timestamp
    }
    /// A deployment as the registry checks new facts against it.
    public struct Deployment: Sendable, Equatable {
        /// The organization running it.
        public var organization: Slug
        /// The model it runs now.
        public var model: Slug
        /// Whether it was retired.
        public var retired: Bool
        /// When it began.
        public var deployedAt: Timestamp
        /// The latest switch or update: a retirement cannot come before it.
        public var changedAt: Timestamp

        mutating func changed(at time: Timestamp) { changedAt = max(changedAt, time) }
    }
    /// An incident as the registry checks new facts against it.
    public struct Incident: Sendable, Equatable {
        /// The breached vendor.
        public var vendor: Slug
        /// Whether the report was retracted.
        public var retracted: Bool
        /// Whether it was resolved.
        public var resolved: Bool
        /// When the breach happened (the report's `occurredAt`).
        public var breachAt: Timestamp
    }
    /// An investigation as the registry checks new facts against it.
    public struct Investigation: Sendable, Equatable {
        /// The incident investigated.
        public var incident: Slug
        /// The provider investigating.
        public var provider: Slug
        /// Whether it is still open.
        public var open: Bool
        /// When it opened.
        public var openedAt: Timestamp
        /// The latest finding: a close cannot come before it.
        public var lastFindingAt: Timestamp?
    }
    /// A webhook subscription as the registry checks new facts against it.
    public struct Webhook: Sendable, Equatable {
        /// The organization subscribed.
        public var organization: Slug
        /// Whether it was removed.
        public var removed: Bool
    }
    struct Pair: Hashable, Sendable {
        var first: Slug
        var second: Slug
    }
    /// An open (`to` nil) or closed span of the timeline: a supply link or a pause.
    struct Interval: Sendable, Equatable {
        var from: Timestamp
        var to: Timestamp?
    }

    public private(set) var vendors: [Slug: Timestamp] = [:]
    public private(set) var providers: [Slug: Timestamp] = [:]
    public private(set) var models: [Slug: Model] = [:]
    public private(set) var organizations: [Slug: Timestamp] = [:]
    public private(set) var deployments: [Slug: Deployment] = [:]
    public private(set) var incidents: [Slug: Incident] = [:]
    public private(set) var investigations: [Slug: Investigation] = [:]
    public private(set) var webhooks: [Slug: Webhook] = [:]
    /// The latest link from a vendor to a provider that was not retracted, open or ended.
    private(set) var supplyLinks: [Pair: Interval] = [:]
    /// Links recorded and not retracted, ended or not.
    private(set) var recordedSupplyLinks: Set<Pair> = []
    /// Every pause of a vendor by a provider, in log order, by (provider, vendor).
    private(set) var pauses: [Pair: [Interval]] = [:]

    /// An empty registry: nothing exists yet.
    public init() {}

    /// Applies one fact that happened at `time`, in stream order.
    public mutating func apply(_ event: DomainEvent, at time: Timestamp) {
        switch event {
        case .vendorRegistered(let e): vendors[e.vendor] = time
        case .providerRegistered(let e): providers[e.provider] = time
        case .modelRegistered(let e):
            models[e.model] = Model(provider: e.provider, openWeights: e.openWeights, registeredAt: time)
        case .supplyLinkRecorded(let e):
            supplyLinks[Pair(first: e.vendor, second: e.provider)] = Interval(from: time)
            recordedSupplyLinks.insert(Pair(first: e.vendor, second: e.provider))
        case .supplyLinkEnded(let e): supplyLinks[Pair(first: e.vendor, second: e.provider)]?.to = time
        case .organizationRegistered(let e): organizations[e.organization] = time
        case .modelDeployed(let e):
            deployments[e.deployment] = Deployment(
                organization: e.organization, model: e.model, retired: false, deployedAt: time, changedAt: time)
        case .deploymentRetired(let e): deployments[e.deployment]?.retired = true
        case .breachReported(let e):
            incidents[e.incident] = Incident(vendor: e.vendor, retracted: false, resolved: false, breachAt: time)
        case .breachScopeRevised: break
        case .vendorPaused(let e):
            pauses[Pair(first: e.provider, second: e.vendor), default: []].append(Interval(from: time))
        case .vendorResumed(let e):
            let pair = Pair(first: e.provider, second: e.vendor)
            if let last = pauses[pair]?.indices.last { pauses[pair]?[last].to = time }
        case .investigationOpened(let e):
            investigations[e.investigation] = Investigation(
                incident: e.incident, provider: e.provider, open: true, openedAt: time)
        case .investigationFindingRecorded(let e):
            let latest = investigations[e.investigation]?.lastFindingAt ?? time
            investigations[e.investigation]?.lastFindingAt = max(latest, time)
        case .investigationClosed(let e): investigations[e.investigation]?.open = false
        case .incidentResolved(let e): incidents[e.incident]?.resolved = true
        case .incidentRetracted(let e): incidents[e.incident]?.retracted = true
        case .exposureResponseRecorded: break
        case .deploymentUpdated(let e): deployments[e.deployment]?.changed(at: time)
        case .deploymentSwitched(let e):
            deployments[e.deployment]?.model = e.model
            deployments[e.deployment]?.changed(at: time)
        case .supplyLinkRetracted(let e):
            supplyLinks[Pair(first: e.vendor, second: e.provider)] = nil
            recordedSupplyLinks.remove(Pair(first: e.vendor, second: e.provider))
        case .webhookSubscribed(let e): webhooks[e.subscription] = Webhook(organization: e.organization, removed: false)
        case .webhookRemoved(let e): webhooks[e.subscription]?.removed = true
        }
    }

    /// Applies a stored fact at its own time.
    public mutating func apply(_ recorded: RecordedEvent) { apply(recorded.event, at: recorded.occurredAt) }

    /// Whether an open supply link joins them (recorded and not ended), as far as the facts applied so far say.
    public func isSupplying(vendor: Slug, provider: Slug) -> Bool {
        supplyLinks[Pair(first: vendor, second: provider)].map { $0.to == nil } ?? false
    }

    /// Whether a supply link between them was ever recorded.
    public func wasRecorded(vendor: Slug, provider: Slug) -> Bool {
        recordedSupplyLinks.contains(Pair(first: vendor, second: provider))
    }

    /// Whether the provider's work with the vendor is paused now.
    public func isPaused(provider: Slug, vendor: Slug) -> Bool {
        pauses[Pair(first: provider, second: vendor)]?.last.map { $0.to == nil } ?? false
    }
}
