/// What the log says exists, as far as recording new facts is concerned: which entities are registered, which
/// links, pauses and investigations are open, which incidents stand.
///
/// It is folded from the few streams a command names, never from the whole log, so validation stays fast as the
/// log grows; facts about streams that were not loaded are simply absent.
public struct Registry: Sendable, Equatable {
    public struct Model: Sendable, Equatable {
        public var provider: Slug
        public var openWeights: Bool
    }
    public struct Deployment: Sendable, Equatable {
        public var organization: Slug
        public var model: Slug
        public var retired: Bool
    }
    public struct Incident: Sendable, Equatable {
        public var vendor: Slug
        public var retracted: Bool
        public var resolved: Bool
    }
    public struct Investigation: Sendable, Equatable {
        public var incident: Slug
        public var provider: Slug
        public var open: Bool
    }
    struct Pair: Hashable, Sendable {
        var first: Slug
        var second: Slug
    }

    public private(set) var vendors: Set<Slug> = []
    public private(set) var providers: Set<Slug> = []
    public private(set) var models: [Slug: Model] = [:]
    public private(set) var organizations: Set<Slug> = []
    public private(set) var deployments: [Slug: Deployment] = [:]
    public private(set) var incidents: [Slug: Incident] = [:]
    public private(set) var investigations: [Slug: Investigation] = [:]
    private(set) var activeSupplyLinks: Set<Pair> = []
    /// Links recorded and not retracted, ended or not.
    private(set) var recordedSupplyLinks: Set<Pair> = []
    private(set) var activePauses: Set<Pair> = []

    public init() {}

    /// Applies one event, in stream order.
    public mutating func apply(_ event: DomainEvent) {
        switch event {
        case .vendorRegistered(let e): vendors.insert(e.vendor)
        case .providerRegistered(let e): providers.insert(e.provider)
        case .modelRegistered(let e): models[e.model] = Model(provider: e.provider, openWeights: e.openWeights)
        case .supplyLinkRecorded(let e):
            activeSupplyLinks.insert(Pair(first: e.vendor, second: e.provider))
            recordedSupplyLinks.insert(Pair(first: e.vendor, second: e.provider))
        case .supplyLinkEnded(let e): activeSupplyLinks.remove(Pair(first: e.vendor, second: e.provider))
        case .organizationRegistered(let e): organizations.insert(e.organization)
        case .modelDeployed(let e):
            deployments[e.deployment] = Deployment(organization: e.organization, model: e.model, retired: false)
        case .deploymentRetired(let e): deployments[e.deployment]?.retired = true
        case .breachReported(let e): incidents[e.incident] = Incident(vendor: e.vendor, retracted: false, resolved: false)
        case .breachScopeRevised: break
        case .vendorPaused(let e): activePauses.insert(Pair(first: e.provider, second: e.vendor))
        case .vendorResumed(let e): activePauses.remove(Pair(first: e.provider, second: e.vendor))
        case .investigationOpened(let e):
            investigations[e.investigation] = Investigation(incident: e.incident, provider: e.provider, open: true)
        case .investigationFindingRecorded: break
        case .investigationClosed(let e): investigations[e.investigation]?.open = false
        case .incidentResolved(let e): incidents[e.incident]?.resolved = true
        case .incidentRetracted(let e): incidents[e.incident]?.retracted = true
        case .exposureResponseRecorded, .deploymentUpdated: break
        case .deploymentSwitched(let e): deployments[e.deployment]?.model = e.model
        case .supplyLinkRetracted(let e):
            activeSupplyLinks.remove(Pair(first: e.vendor, second: e.provider))
            recordedSupplyLinks.remove(Pair(first: e.vendor, second: e.provider))
        }
    }

    public func isSupplying(vendor: Slug, provider: Slug) -> Bool {
        activeSupplyLinks.contains(Pair(first: vendor, second: provider))
    }

    public func wasRecorded(vendor: Slug, provider: Slug) -> Bool {
        recordedSupplyLinks.contains(Pair(first: vendor, second: provider))
    }

    public func isPaused(provider: Slug, vendor: Slug) -> Bool {
        activePauses.contains(Pair(first: provider, second: vendor))
    }
}
