extension Postmortem {
    /// The facts that can bear on one incident at a vendor: the incident's own, its investigations', the
    /// responses to it, the vendor's (links, pauses), and every fact of the providers it ever supplied, of their
    /// models, of the deployments that ever ran one and of those deployments' organizations.
    ///
    /// An exposure to the incident is a path vendor → provider → model → deployment, so nothing outside these
    /// entities can change one: folding only them gives the same rows at every step, and a postmortem of one
    /// incident in a world of a million facts folds the incident's neighbourhood instead of the world, twice.
    /// (Whole entities are kept, never part of one's facts, so each fold sees complete histories.)
    /// The store reads a superset of these from PostgreSQL (`EventStore.facts(bearingOn:)`): a fact kept here
    /// must be kept there too, which `PostmortemScopeTests` checks over random logs of every event type.
    static func facts(bearingOn incident: Slug, vendor: Slug, in events: [RecordedEvent]) -> [RecordedEvent] {
        var providers = Set<Slug>()
        var investigations = Set<Slug>()
        for recorded in events {
            switch recorded.event {
            case .supplyLinkRecorded(let e) where e.vendor == vendor: providers.insert(e.provider)
            case .investigationOpened(let e) where e.incident == incident: investigations.insert(e.investigation)
            default: break
            }
        }
        var models = Set<Slug>()
        for recorded in events {
            if case .modelRegistered(let e) = recorded.event, providers.contains(e.provider) { models.insert(e.model) }
        }
        var deployments = Set<Slug>()
        var organizations = Set<Slug>()
        for recorded in events {
            switch recorded.event {
            case .modelDeployed(let e) where models.contains(e.model):
                deployments.insert(e.deployment)
                organizations.insert(e.organization)
            case .deploymentSwitched(let e) where models.contains(e.model): deployments.insert(e.deployment)
            default: break
            }
        }
        // A deployment switched onto one of the models may have been deployed by any organization.
        for recorded in events {
            if case .modelDeployed(let e) = recorded.event, deployments.contains(e.deployment) {
                organizations.insert(e.organization)
            }
        }
        return events.filter { recorded in
            switch recorded.event {
            case .vendorRegistered(let e): return e.vendor == vendor
            case .providerRegistered(let e): return providers.contains(e.provider)
            case .modelRegistered(let e): return models.contains(e.model)
            case .supplyLinkRecorded(let e): return e.vendor == vendor
            case .supplyLinkEnded(let e): return e.vendor == vendor
            case .supplyLinkRetracted(let e): return e.vendor == vendor
            case .organizationRegistered(let e): return organizations.contains(e.organization)
            case .modelDeployed(let e): return deployments.contains(e.deployment)
            case .deploymentRetired(let e): return deployments.contains(e.deployment)
            case .deploymentSwitched(let e): return deployments.contains(e.deployment)
            case .deploymentUpdated(let e): return deployments.contains(e.deployment)
            case .breachReported(let e): return e.incident == incident
            case .breachScopeRevised(let e): return e.incident == incident
            case .incidentResolved(let e): return e.incident == incident
            case .incidentRetracted(let e): return e.incident == incident
            case .vendorPaused(let e): return e.vendor == vendor
            case .vendorResumed(let e): return e.vendor == vendor
            case .investigationOpened(let e): return investigations.contains(e.investigation)
            case .investigationFindingRecorded(let e): return investigations.contains(e.investigation)
            case .investigationClosed(let e): return investigations.contains(e.investigation)
            case .exposureResponseRecorded(let e): return e.incident == incident
            case .webhookSubscribed, .webhookRemoved: return false
            }
        }
    }
}

extension Postmortem {
    /// The index of the first time in `changes` (sorted) after `time`.
    static func firstChange(in changes: [Timestamp], after time: Timestamp) -> Int {
        var low = 0
        var high = changes.count
        while low < high {
            let middle = (low + high) / 2
            if changes[middle] <= time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Whether a time in `changes` (sorted) falls in (`start`, `end`].
    static func anyChange(in changes: [Timestamp], after start: Timestamp, upTo end: Timestamp) -> Bool {
        let first = firstChange(in: changes, after: start)
        return first < changes.count && changes[first] <= end
    }
}
