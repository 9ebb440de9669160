/// The part of the read models one event can change: every exposure row of some incidents, every exposure row of
/// some deployments, and some organizations' views.
///
/// It is derived from what the event touches (an incident reaches its vendor's supply links, their providers'
/// models and those models' deployments), asked of the fold before the event and of the fold after it, so that
/// both what the event takes away and what it brings are covered.
public struct ExposureImpact: Hashable, Sendable {
    /// Incidents all of whose rows can change.
    public var incidents: Set<Slug> = []
    /// Rows of incidents through providers whose stored form cannot change, only what is composed at read time
    /// (`paused` by a pause of the provider's work with the vendor, `status` by the provider's investigation):
    /// nothing to write, but a subscriber of their organization is told of the change. An incident in `incidents`
    /// needs no entry here.
    public var flagsThrough: [Slug: Set<Slug>] = [:]
    /// Deployments all of whose rows can change.
    public var deployments: Set<Slug> = []
    /// Organizations whose registry part of the view can change.
    public var organizations: Set<Slug> = []

    /// An impact on these incidents, deployments and organizations.
    public init(incidents: Set<Slug> = [], deployments: Set<Slug> = [], organizations: Set<Slug> = []) {
        (self.incidents, self.deployments, self.organizations) = (incidents, deployments, organizations)
    }

    /// The rows of `incidents` through `provider` only, whose stored form cannot change.
    public init(flagging incidents: Set<Slug>, through provider: Slug) {
        for incident in incidents { flagsThrough[incident] = [provider] }
    }

    /// Whether the event can change nothing.
    public var isEmpty: Bool {
        incidents.isEmpty && flagsThrough.isEmpty && deployments.isEmpty
            && organizations.isEmpty
    }

    /// Adds what `other` can change.
    public mutating func formUnion(_ other: ExposureImpact) {
        incidents.formUnion(other.incidents)
        flagsThrough.merge(other.flagsThrough) { $0.union($1) }
        deployments.formUnion(other.deployments)
        organizations.formUnion(other.organizations)
    }
}

extension SupplyChain {
    /// What `event` can change in the read models, as far as this fold knows the things it names.
    public func impact(of event: DomainEvent) -> ExposureImpact {
        switch event {
        case .vendorRegistered, .providerRegistered, .investigationFindingRecorded, .webhookSubscribed, .webhookRemoved:
            // Names of vendors and providers are in no read-model document; findings inform postmortems only;
            // subscriptions decide who is told of a change, not the change.
            return ExposureImpact()
        case .organizationRegistered(let e):
            return ExposureImpact(organizations: [e.organization])
        case .modelRegistered(let e):
            // Its provider and open weights decide which incidents reach its deployments, and their organizations'
            // shares.
            return deploymentsImpact(deploymentsByModel[e.model] ?? [])
        case .modelDeployed(let e):
            var impact = deploymentsImpact([e.deployment])
            impact.organizations.insert(e.organization)
            return impact
        case .deploymentRetired(let e): return deploymentsImpact([e.deployment])
        case .deploymentSwitched(let e): return deploymentsImpact([e.deployment])
        case .deploymentUpdated(let e): return deploymentsImpact([e.deployment])
        case .supplyLinkRecorded(let e): return linkImpact(vendor: e.vendor, provider: e.provider)
        case .supplyLinkEnded(let e): return linkImpact(vendor: e.vendor, provider: e.provider)
        case .supplyLinkRetracted(let e): return linkImpact(vendor: e.vendor, provider: e.provider)
        case .breachReported(let e): return ExposureImpact(incidents: [e.incident])
        case .breachScopeRevised(let e): return ExposureImpact(incidents: [e.incident])
        case .incidentRetracted(let e): return ExposureImpact(incidents: [e.incident])
        case .incidentResolved(let e): return ExposureImpact(incidents: [e.incident])
        case .vendorPaused(let e): return pauseImpact(provider: e.provider, vendor: e.vendor)
        case .vendorResumed(let e): return pauseImpact(provider: e.provider, vendor: e.vendor)
        // An investigation sets the status of the rows through its provider only, which is composed at read time.
        case .investigationOpened(let e):
            var impact = investigationImpact(e.investigation)
            impact.formUnion(ExposureImpact(flagging: [e.incident], through: e.provider))
            return impact
        // The closure names only its investigation; the opening (if the fold has it yet) names the incident.
        case .investigationClosed(let e): return investigationImpact(e.investigation)
        case .exposureResponseRecorded(let e):
            if let deployment = e.deployment { return deploymentsImpact([deployment]) }
            // One analysis for every deployment of the organization on the provider.
            var impact = deploymentsImpact(deploymentsByOrganization[e.organization] ?? [])
            impact.organizations.insert(e.organization)
            return impact
        }
    }

    /// Every deployment that ever ran a model of a provider that `vendor` ever supplied: the only ones an incident
    /// at the vendor can ever reach, whatever the time.
    public func deploymentsReachable(from vendor: Slug) -> Set<Slug> {
        let providers = linksByVendor[vendor] ?? []
        var reachable: Set<Slug> = []
        for (id, timeline) in models where timeline.facts.contains(where: { providers.contains($0.value.provider) }) {
            reachable.formUnion(deploymentsByModel[id] ?? [])
        }
        return reachable
    }

    /// Every exposure row of these deployments, and the views of every organization they were deployed by.
    private func deploymentsImpact(_ ids: Set<Slug>) -> ExposureImpact {
        var impact = ExposureImpact(deployments: ids)
        for id in ids {
            for deployed in deployments[id]?.deployed.facts ?? [] {
                impact.organizations.insert(deployed.value.organization)
            }
        }
        return impact
    }

    /// The rows an investigation's openings (as far as this fold knows them) set the status of.
    private func investigationImpact(_ id: Slug) -> ExposureImpact {
        var impact = ExposureImpact()
        for opening in investigations[id]?.opened.facts ?? [] {
            impact.formUnion(ExposureImpact(flagging: [opening.value.incident], through: opening.value.provider))
        }
        return impact
    }

    /// A pause flags the rows that run through the vendor's link to the provider: none without such a link (the
    /// link's own event reaches the vendor's incidents when it comes). It changes no stored row: the read model
    /// keeps the pauses apart (`VendorPause`).
    private func pauseImpact(provider: Slug, vendor: Slug) -> ExposureImpact {
        guard linksByVendor[vendor]?.contains(provider) == true else { return ExposureImpact() }
        var impact = ExposureImpact()
        for incident in incidentsByVendor[vendor] ?? [] { impact.flagsThrough[incident] = [provider] }
        return impact
    }

    /// A supply link decides which of the vendor's incidents reach the provider's models, and which vendors every
    /// organization running one of those models depends on.
    private func linkImpact(vendor: Slug, provider: Slug) -> ExposureImpact {
        var impact = ExposureImpact(incidents: incidentsByVendor[vendor] ?? [])
        for (id, timeline) in models where timeline.facts.contains(where: { $0.value.provider == provider }) {
            for deployment in deploymentsByModel[id] ?? [] {
                for deployed in deployments[deployment]?.deployed.facts ?? [] {
                    impact.organizations.insert(deployed.value.organization)
                }
            }
        }
        return impact
    }
}
