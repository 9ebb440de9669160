/// The exposure rules of the design note, evaluated at a world time.
extension SupplyChain {
    /// Every exposure at `time`, current or not (cleared, resolved), in the design note's order.
    public func exposures(at time: Timestamp) -> [Exposure] {
        incidentIds.flatMap { exposures(toIncident: $0, at: time) }.sorted(by: <)
    }

    /// The deployments an incident reaches at `time` (its blast radius).
    public func exposures(toIncident id: Slug, at time: Timestamp) -> [Exposure] {
        guard let breach = breach(id, at: time) else { return [] }
        var rows: [Exposure] = []
        let candidates = breach.providers.isEmpty ? Array(linksByVendor[breach.vendor] ?? []) : breach.providers
        for provider in candidates.sorted() {
            // Rule 3: a supply link that began at or before the breach, for the breach's kinds of data.
            guard let supplied = suppliedModels(vendor: breach.vendor, provider: provider, by: breach.occurredAt, kinds: breach.dataKinds)
            else { continue }
            let status = status(provider: provider, incident: id, at: time)
            let paused = isPaused(provider: provider, vendor: breach.vendor, at: time)
            for (modelId, deploymentIds) in deploymentsByModel {
                guard model(modelId)?.provider == provider, supplied.models?.contains(modelId) ?? true else { continue }
                for deploymentId in deploymentIds {
                    guard let deployed = activeDeployment(deploymentId, at: time), deployed.value.model == modelId else { continue }
                    let organization = deployed.value.organization
                    rows.append(
                        Exposure(
                            organization: organization, deployment: deploymentId, workload: deployed.value.workload,
                            criticality: deployed.value.criticality, model: modelId, provider: provider, vendor: breach.vendor,
                            incident: id, status: status, severity: breach.severity, paused: paused, resolved: breach.resolved,
                            since: max(breach.occurredAt, deployed.stamp.occurredAt), dataKinds: supplied.kinds,
                            response: response(deployment: deploymentId, organization: organization, provider: provider, incident: id, at: time)))
                }
            }
        }
        return rows.sorted(by: <)
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
