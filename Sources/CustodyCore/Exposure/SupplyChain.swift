/// The pure fold behind every exposure answer: the facts of the supply chain and its incidents, each kept on a
/// timeline by stamp, so the state depends only on the set of events applied, never on their order.
///
/// Apply the events recorded by K (record time); ask at T (world time). Registry facts, pauses, investigations
/// and resolutions count from their own `occurredAt`; corrections (`BreachScopeRevised`, `IncidentRetracted`)
/// apply from the breach's own time, whenever they were made.
public struct SupplyChain: Hashable, Sendable {
    struct Pair: Hashable, Sendable {
        var first: Slug
        var second: Slug
    }

    /// A model as the fold knows it: name, provider, open weights and package URL.
    public struct Model: Hashable, Sendable {
        /// Its name.
        public var name: String
        /// Its provider.
        public var provider: Slug
        /// Whether its weights are published.
        public var openWeights: Bool
        /// Its package URL, when one was recorded.
        public var purl: String?
    }

    /// An organization as the fold knows it: name and sector.
    public struct Organization: Hashable, Sendable {
        /// Its name.
        public var name: String
        /// Its sector.
        public var sector: String
    }

    struct Triple: Hashable, Sendable {
        var first: Slug
        var second: Slug
        var third: Slug
    }

    enum LinkFact: Hashable, Sendable {
        case began(dataKinds: [DataKind], models: [Slug])
        case ended
        /// Recorded by mistake: every `began` recorded before this never happened.
        case retracted
    }

    struct DeploymentFacts: Hashable, Sendable {
        var deployed = Timeline<ModelDeployed>()
        var retired = Timeline<Bool>()
        var switches = Timeline<Slug>()
        var updates = Timeline<DeploymentUpdated>()
    }

    struct IncidentFacts: Hashable, Sendable {
        var reports = Timeline<BreachReported>()
        var revisions = Timeline<BreachScopeRevised>()
        var retractions = Timeline<String>()
        var resolutions = Timeline<Bool>()
    }

    enum WebhookFact: Hashable, Sendable {
        case subscribed(WebhookSubscribed)
        case removed
    }

    struct InvestigationFacts: Hashable, Sendable {
        var opened = Timeline<InvestigationOpened>()
        var closed = Timeline<InvestigationOutcome>()
    }

    var vendors = [Slug: Timeline<String>]()
    var providers = [Slug: Timeline<String>]()
    var models = [Slug: Timeline<Model>]()
    var organizations = [Slug: Timeline<Organization>]()
    var links = [Pair: Timeline<LinkFact>]()
    var deployments = [Slug: DeploymentFacts]()
    var incidents = [Slug: IncidentFacts]()
    var investigations = [Slug: InvestigationFacts]()
    var pauses = [Pair: Timeline<Bool>]()
    var webhooks = [Slug: Timeline<WebhookFact>]()
    /// Responses for one deployment, by (deployment, incident); for every deployment of an organization on a
    /// provider, by (organization, provider, incident).
    var deploymentResponses = [Pair: Timeline<ExposureResponseRecorded>]()
    var providerResponses = [Triple: Timeline<ExposureResponseRecorded>]()
    /// Secondary indexes, derived from the facts above and kept in step with them.
    var deploymentsByModel = [Slug: Set<Slug>]()
    var deploymentsByOrganization = [Slug: Set<Slug>]()
    var linksByVendor = [Slug: Set<Slug>]()
    var incidentsByVendor = [Slug: Set<Slug>]()
    var investigationsByIncident = [Slug: Set<Slug>]()

    /// An empty chain: no facts yet.
    public init() {}

    /// Applies one recorded event; order does not matter.
    public mutating func apply(_ recorded: RecordedEvent) {
        let stamp = Stamp(recorded)
        switch recorded.event {
        case .vendorRegistered(let e): vendors[e.vendor, default: .init()].insert(e.name, at: stamp)
        case .providerRegistered(let e): providers[e.provider, default: .init()].insert(e.name, at: stamp)
        case .modelRegistered(let e):
            models[e.model, default: .init()].insert(
                Model(name: e.name, provider: e.provider, openWeights: e.openWeights, purl: e.purl), at: stamp)
        case .organizationRegistered(let e):
            organizations[e.organization, default: .init()].insert(
                Organization(name: e.name, sector: e.sector), at: stamp)
        case .supplyLinkRecorded(let e):
            links[Pair(first: e.vendor, second: e.provider), default: .init()].insert(
                .began(dataKinds: e.dataKinds, models: e.models), at: stamp)
            linksByVendor[e.vendor, default: []].insert(e.provider)
        case .supplyLinkEnded(let e):
            links[Pair(first: e.vendor, second: e.provider), default: .init()].insert(.ended, at: stamp)
        case .modelDeployed(let e):
            deployments[e.deployment, default: .init()].deployed.insert(e, at: stamp)
            deploymentsByModel[e.model, default: []].insert(e.deployment)
            deploymentsByOrganization[e.organization, default: []].insert(e.deployment)
        case .deploymentRetired(let e): deployments[e.deployment, default: .init()].retired.insert(true, at: stamp)
        case .breachReported(let e):
            incidents[e.incident, default: .init()].reports.insert(e, at: stamp)
            incidentsByVendor[e.vendor, default: []].insert(e.incident)
        case .breachScopeRevised(let e): incidents[e.incident, default: .init()].revisions.insert(e, at: stamp)
        case .incidentRetracted(let e): incidents[e.incident, default: .init()].retractions.insert(e.reason, at: stamp)
        case .incidentResolved(let e): incidents[e.incident, default: .init()].resolutions.insert(true, at: stamp)
        case .vendorPaused(let e):
            pauses[Pair(first: e.provider, second: e.vendor), default: .init()].insert(true, at: stamp)
        case .vendorResumed(let e):
            pauses[Pair(first: e.provider, second: e.vendor), default: .init()].insert(false, at: stamp)
        case .investigationOpened(let e):
            investigations[e.investigation, default: .init()].opened.insert(e, at: stamp)
            investigationsByIncident[e.incident, default: []].insert(e.investigation)
        case .investigationClosed(let e):
            investigations[e.investigation, default: .init()].closed.insert(e.outcome, at: stamp)
        case .investigationFindingRecorded:
            // Findings inform postmortems, not exposure.
            break
        case .exposureResponseRecorded(let e):
            if let deployment = e.deployment {
                deploymentResponses[Pair(first: deployment, second: e.incident), default: .init()].insert(e, at: stamp)
            } else if let provider = e.provider {
                providerResponses[Triple(first: e.organization, second: provider, third: e.incident), default: .init()]
                    .insert(e, at: stamp)
            }
        case .deploymentSwitched(let e):
            deployments[e.deployment, default: .init()].switches.insert(e.model, at: stamp)
            deploymentsByModel[e.model, default: []].insert(e.deployment)
        case .deploymentUpdated(let e): deployments[e.deployment, default: .init()].updates.insert(e, at: stamp)
        case .supplyLinkRetracted(let e):
            links[Pair(first: e.vendor, second: e.provider), default: .init()].insert(.retracted, at: stamp)
        case .webhookSubscribed(let e): webhooks[e.subscription, default: .init()].insert(.subscribed(e), at: stamp)
        case .webhookRemoved(let e): webhooks[e.subscription, default: .init()].insert(.removed, at: stamp)
        }
    }

    /// Whether applying `event` can change the fold: what a fold snapshot keeps.
    public static func folds(_ event: DomainEvent) -> Bool {
        if case .investigationFindingRecorded = event { return false }
        return true
    }

    /// Applies many events.
    public mutating func apply(_ events: some Sequence<RecordedEvent>) {
        for event in events { apply(event) }
    }
}

// MARK: - The facts as of a time

extension SupplyChain {
    /// A breach as known: its report corrected by every revision, in stamp order.
    public struct Breach: Hashable, Sendable {
        /// The incident.
        public var incident: Slug
        /// The breached vendor.
        public var vendor: Slug
        /// When the breach happened.
        public var occurredAt: Timestamp
        /// When it was made public, when known.
        public var disclosedAt: Timestamp?
        /// The data kinds affected (empty: unknown, so every kind counts).
        public var dataKinds: [DataKind]
        /// The clients affected (empty: every client of the vendor).
        public var providers: [Slug]
        /// Its severity.
        public var severity: Severity
        /// What happened, in a sentence.
        public var summary: String
        /// Whether it was resolved.
        public var resolved: Bool
    }

    /// The breach as of `time`: nil when it had not happened yet or was retracted (a correction: it never did).
    public func breach(_ id: Slug, at time: Timestamp) -> Breach? {
        guard let facts = incidents[id], facts.retractions.isEmpty, let report = facts.reports.last,
            report.stamp.occurredAt <= time
        else { return nil }
        var breach = Breach(
            incident: id, vendor: report.value.vendor, occurredAt: report.stamp.occurredAt,
            disclosedAt: report.value.disclosedAt, dataKinds: report.value.dataKinds, providers: report.value.providers,
            severity: report.value.severity, summary: report.value.summary,
            resolved: facts.resolutions.latest(at: time) != nil)
        for revision in facts.revisions.facts {
            if let kinds = revision.value.dataKinds { breach.dataKinds = kinds }
            if let providers = revision.value.providers { breach.providers = providers }
            if let severity = revision.value.severity { breach.severity = severity }
        }
        return breach
    }

    /// Every incident id that has a report.
    public var incidentIds: [Slug] { incidents.keys.filter { incidents[$0]?.reports.isEmpty == false }.sorted() }

    /// The models of `provider` that a link from `vendor` begun by `time` carried data of the breach's kinds
    /// into: nil when none did, an empty set when every model of the provider did.
    func suppliedModels(vendor: Slug, provider: Slug, by time: Timestamp, kinds: [DataKind]) -> (
        models: Set<Slug>?, kinds: [DataKind]
    )? {
        guard let timeline = links[Pair(first: vendor, second: provider)] else { return nil }
        var restricted = Set<Slug>()
        var everyModel = false
        var carried = Set<DataKind>()
        let retracted = Self.retraction(timeline)
        // A link that ended still counts: the data it delivered stays in the models.
        for fact in timeline.upTo(time) where fact.stamp.position > retracted {
            guard case .began(let linkKinds, let linkModels) = fact.value else { continue }
            let overlap = kinds.isEmpty ? linkKinds : linkKinds.filter(kinds.contains)
            guard !overlap.isEmpty else { continue }
            carried.formUnion(overlap)
            if linkModels.isEmpty { everyModel = true } else { restricted.formUnion(linkModels) }
        }
        guard everyModel || !restricted.isEmpty else { return nil }
        return (everyModel ? nil : restricted, carried.sorted())
    }

    /// The status of `provider`'s investigations of `incident` at `time`.
    func status(provider: Slug, incident: Slug, at time: Timestamp) -> ExposureStatus {
        var open = false
        var latestClosed: Stamped<InvestigationOutcome>?
        for id in investigationsByIncident[incident] ?? [] {
            guard let facts = investigations[id], let opened = facts.opened.last, opened.value.provider == provider,
                opened.stamp.occurredAt <= time
            else { continue }
            if let closed = facts.closed.latest(at: time) {
                if latestClosed.map({ $0.stamp < closed.stamp }) ?? true { latestClosed = closed }
            } else {
                open = true
            }
        }
        if open { return .investigating }
        return latestClosed.map { ExposureStatus($0.value) } ?? .potential
    }

    func isPaused(provider: Slug, vendor: Slug, at time: Timestamp) -> Bool {
        pauses[Pair(first: provider, second: vendor)]?.latest(at: time)?.value ?? false
    }

    /// The log position of a link's latest retraction (-1 when none): a correction, so it applies to every
    /// world time, whatever its own `--at`, and only to what was recorded before it.
    static func retraction(_ timeline: Timeline<LinkFact>) -> Int64 {
        timeline.facts.filter { $0.value == .retracted }.map(\.stamp.position).max() ?? -1
    }

    /// The deployment as it stands at `time` (model after switches, workload and criticality after updates),
    /// stamped with when it began running that model; nil when it is not active then.
    func activeDeployment(_ id: Slug, at time: Timestamp) -> Stamped<ModelDeployed>? {
        guard let facts = deployments[id], let deployed = facts.deployed.latest(at: time) else { return nil }
        if let retired = facts.retired.latest(at: time), deployed.stamp < retired.stamp { return nil }
        var value = deployed.value
        var since = deployed.stamp
        for fact in facts.switches.upTo(time) where deployed.stamp < fact.stamp {
            if fact.value != value.model { since = fact.stamp }
            value.model = fact.value
        }
        for fact in facts.updates.upTo(time) where deployed.stamp < fact.stamp {
            if let workload = fact.value.workload { value.workload = workload }
            if let criticality = fact.value.criticality { value.criticality = criticality }
        }
        return Stamped(stamp: since, value: value)
    }

    /// The latest response covering a deployment's exposure to an incident at `time`: its own, or its
    /// organization's for every deployment on the provider, whichever was recorded for the later time.
    func response(deployment: Slug, organization: Slug, provider: Slug, incident: Slug, at time: Timestamp)
        -> ExposureResponse?
    {
        let own = deploymentResponses[Pair(first: deployment, second: incident)]?.latest(at: time)
        let shared = providerResponses[Triple(first: organization, second: provider, third: incident)]?.latest(at: time)
        guard let latest = [own, shared].compactMap({ $0 }).max(by: { $0.stamp < $1.stamp }) else { return nil }
        let e = latest.value
        return ExposureResponse(
            state: e.state, owner: e.owner, since: latest.stamp.occurredAt,
            scope: e.deployment == nil ? "provider" : "deployment",
            note: e.note, justification: e.justification, reviewBy: e.reviewBy)
    }

    /// The model as last registered; nil when unknown.
    public func model(_ id: Slug) -> Model? { models[id]?.last?.value }
    /// The organization as last registered; nil when unknown.
    public func organization(_ id: Slug) -> Organization? { organizations[id]?.last?.value }
    /// Whether the deployment was ever recorded.
    public func hasDeployment(_ id: Slug) -> Bool { deployments[id] != nil }
}

extension SupplyChain {
    /// Every registered organization's id.
    public var organizationIds: [Slug] { organizations.keys.sorted() }
    /// Every registered vendor's id.
    public var vendorIds: [Slug] { vendors.keys.sorted() }
}
