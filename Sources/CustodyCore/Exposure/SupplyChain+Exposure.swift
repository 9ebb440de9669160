/// The exposure rules of the design note, evaluated at a world time.
extension SupplyChain {
    /// Every exposure at `time`, current or not (cleared, resolved), in the design note's order.
    public func exposures(at time: Timestamp) -> [Exposure] {
        exposures(toIncidents: incidentIds, among: nil, at: time)
    }

    /// Every exposure of one organization's deployments at `time` (of every deployment when nil), in order.
    public func exposures(of organization: Slug?, at time: Timestamp) -> [Exposure] {
        exposures(toIncidents: incidentIds, among: organization.map { deploymentsByOrganization[$0] ?? [] }, at: time)
    }

    /// The deployments an incident reaches at `time` (its blast radius).
    public func exposures(toIncident id: Slug, at time: Timestamp) -> [Exposure] {
        exposures(toIncidents: [id], among: nil, at: time)
    }

    /// The exposures to `incidents` at `time` of the deployments `among` (every deployment when nil), in the
    /// design note's order. Each deployment is evaluated once, whatever the number of incidents: the projector
    /// asks this for the few deployments an event touches, the rebuild for all of them.
    public func exposures(toIncidents incidents: some Sequence<Slug>, among: Set<Slug>?, at time: Timestamp)
        -> [Exposure]
    {
        unorderedExposures(toIncidents: incidents, among: among, at: time).sorted(by: <)
    }

    /// The same rows in no particular order: sorting thousands of rows is most of what a projector's step would
    /// otherwise spend on a breach or a pause.
    /// `through` keeps only the rows through some providers (every provider's when nil).
    func unorderedExposures(
        toIncidents incidents: some Sequence<Slug>, among: Set<Slug>?, through: Set<Slug>? = nil, at time: Timestamp
    ) -> [Exposure] {
        var breaches: [(Breach, [Slug])] = []
        var providers = Set<Slug>()
        for id in incidents {
            guard let breach = breach(id, at: time) else { continue }
            var candidates = Set(breach.providers.isEmpty ? linksByVendor[breach.vendor] ?? [] : Set(breach.providers))
            if let through { candidates.formIntersection(through) }
            breaches.append((breach, candidates.sorted()))
            providers.formUnion(candidates)
        }
        guard !breaches.isEmpty else { return [] }
        let deployed = activeDeploymentsByProvider(providers, among: among, at: time)
        var rows: [Exposure] = []
        for (breach, candidates) in breaches {
            for provider in candidates {
                // Rule 3: a supply link that began at or before the breach, for the breach's kinds of data.
                guard let active = deployed[provider],
                    let supplied = suppliedModels(
                        vendor: breach.vendor, provider: provider, by: breach.occurredAt, kinds: breach.dataKinds)
                else { continue }
                let status = status(provider: provider, incident: breach.incident, at: time)
                let paused = isPaused(provider: provider, vendor: breach.vendor, at: time)
                for (deploymentId, deployment) in active where supplied.models?.contains(deployment.value.model) ?? true
                {
                    let organization = deployment.value.organization
                    rows.append(
                        Exposure(
                            organization: organization, deployment: deploymentId, workload: deployment.value.workload,
                            criticality: deployment.value.criticality, model: deployment.value.model,
                            provider: provider,
                            vendor: breach.vendor, incident: breach.incident, status: status, severity: breach.severity,
                            paused: paused, resolved: breach.resolved,
                            since: max(breach.occurredAt, deployment.stamp.occurredAt), dataKinds: supplied.kinds,
                            response: response(
                                deployment: deploymentId, organization: organization, provider: provider,
                                incident: breach.incident, at: time)))
                }
            }
        }
        return rows
    }

    /// The deployments active at `time` on a model of one of `providers`, by provider: those `among`, or every
    /// deployment that ever ran one of their models.
    private func activeDeploymentsByProvider(
        _ providers: Set<Slug>, among: Set<Slug>?, at time: Timestamp
    ) -> [Slug: [(Slug, Stamped<ModelDeployed>)]] {
        var grouped: [Slug: [(Slug, Stamped<ModelDeployed>)]] = [:]
        func add(_ id: Slug, runningOnly model: Slug?) {
            guard let deployment = activeDeployment(id, at: time), model.map({ $0 == deployment.value.model }) ?? true,
                let provider = self.model(deployment.value.model)?.provider, providers.contains(provider)
            else { return }
            grouped[provider, default: []].append((id, deployment))
        }
        if let among {
            for id in among { add(id, runningOnly: nil) }
        } else {
            // A switched deployment is listed under each model it ran: count it under the one it runs now.
            for (model, ids) in deploymentsByModel
            where self.model(model).map({ providers.contains($0.provider) }) ?? false {
                for id in ids { add(id, runningOnly: model) }
            }
        }
        return grouped
    }

    /// The deployments active at `time`, by id.
    public func activeDeployments(at time: Timestamp) -> [Slug: ModelDeployed] {
        var active: [Slug: ModelDeployed] = [:]
        for id in deployments.keys {
            if let deployed = activeDeployment(id, at: time) { active[id] = deployed.value }
        }
        return active
    }

    /// The vendors whose data reached a provider's model by `time` (through any link that began by then).
    public func vendors(supplying model: Slug, at time: Timestamp) -> [Slug] {
        guard let provider = self.model(model)?.provider else { return [] }
        return links.compactMap { pair, timeline -> Slug? in
            guard pair.second == provider else { return nil }
            let retracted = Self.retraction(timeline)
            let carries = timeline.upTo(time).contains { fact in
                guard fact.stamp.position > retracted else { return false }
                guard case .began(_, let models) = fact.value else { return false }
                return models.isEmpty || models.contains(model)
            }
            return carries ? pair.first : nil
        }.sorted()
    }
}
