/// The registry as people list it: one entry per vendor, provider, model, organization and deployment, as the
/// log knows them now (`custody vendors`, `custody show model gpt-5`).
public struct VendorEntry: Hashable, Sendable, Codable {
    /// The vendor's id.
    public var id: Slug
    /// Its name.
    public var name: String
    /// Providers it has supplied (links ended included, retracted ones not).
    public var providers: [Slug]
}

/// A provider as `custody providers` lists it: its models and the vendors that supply it.
public struct ProviderEntry: Hashable, Sendable, Codable {
    /// The provider's id.
    public var id: Slug
    /// Its name.
    public var name: String
    /// Its models.
    public var models: [Slug]
    /// Vendors that have supplied it (links ended included, retracted ones not).
    public var vendors: [Slug]
}

/// A model as `custody models` lists it, with how many active deployments run it.
public struct ModelEntry: Hashable, Sendable, Codable {
    /// The model's id.
    public var id: Slug
    /// Its name.
    public var name: String
    /// Its provider.
    public var provider: Slug
    /// Whether its weights are published.
    public var openWeights: Bool
    /// How many deployments run it now.
    public var activeDeployments: Int
    /// Absent when none was recorded.
    public var purl: String?
}

/// An organization as `custody organizations` lists it, with its active deployments.
public struct OrganizationEntry: Hashable, Sendable, Codable {
    /// The organization's id.
    public var id: Slug
    /// Its name.
    public var name: String
    /// Its sector.
    public var sector: String
    /// How many deployments it runs now.
    public var activeDeployments: Int
}

/// A deployment as `custody deployments` lists it (and `custody_deployments` stores it).
public struct DeploymentEntry: Hashable, Sendable, Codable {
    /// The deployment's id.
    public var id: Slug
    /// The organization running it.
    public var organization: Slug
    /// The model it runs (after any switch).
    public var model: Slug
    /// What it is used for.
    public var workload: String
    /// How much depends on it.
    public var criticality: Criticality
    /// False once retired.
    public var active: Bool
}

extension SupplyChain {
    /// Links recorded and not retracted, as (vendor, provider).
    private var standingLinks: [(vendor: Slug, provider: Slug)] {
        links.compactMap { pair, timeline in
            let retracted = Self.retraction(timeline)
            let began = timeline.facts.contains { fact in
                if case .began = fact.value { return fact.stamp.position > retracted }
                return false
            }
            return began ? (pair.first, pair.second) : nil
        }
    }

    /// Every vendor, with the providers it supplies now, by id.
    public func vendorEntries() -> [VendorEntry] {
        let links = standingLinks
        return vendors.compactMap { id, names in
            names.last.map {
                VendorEntry(
                    id: id, name: $0.value, providers: links.filter { $0.vendor == id }.map(\.provider).sorted())
            }
        }.sorted { $0.id < $1.id }
    }

    /// Every provider, with its models and the vendors supplying it now, by id.
    public func providerEntries() -> [ProviderEntry] {
        let links = standingLinks
        return providers.compactMap { id, names in
            names.last.map {
                ProviderEntry(
                    id: id, name: $0.value,
                    models: models.filter { $0.value.last?.value.provider == id }.map(\.key).sorted(),
                    vendors: links.filter { $0.provider == id }.map(\.vendor).sorted())
            }
        }.sorted { $0.id < $1.id }
    }

    /// Every model at `time`, with how many deployments run it then, by id.
    public func modelEntries(at time: Timestamp) -> [ModelEntry] {
        let active = activeDeployments(at: time).values
        return models.compactMap { id, facts in
            facts.last.map {
                ModelEntry(
                    id: id, name: $0.value.name, provider: $0.value.provider, openWeights: $0.value.openWeights,
                    activeDeployments: active.filter { $0.model == id }.count, purl: $0.value.purl)
            }
        }.sorted { $0.id < $1.id }
    }

    /// Every organization at `time`, with how many deployments it runs then, by id.
    public func organizationEntries(at time: Timestamp) -> [OrganizationEntry] {
        let active = activeDeployments(at: time).values
        return organizations.compactMap { id, facts in
            facts.last.map {
                OrganizationEntry(
                    id: id, name: $0.value.name, sector: $0.value.sector,
                    activeDeployments: active.filter { $0.organization == id }.count)
            }
        }.sorted { $0.id < $1.id }
    }

    /// Deployments (retired ones included, marked inactive), of one organization when given.
    public func deploymentEntries(at time: Timestamp, organization: Slug? = nil) -> [DeploymentEntry] {
        let ids = organization.map { deploymentsByOrganization[$0] ?? [] } ?? Set(deployments.keys)
        return ids.compactMap { id -> DeploymentEntry? in
            guard let entry = deploymentEntry(id, at: time) else { return nil }
            return organization == nil || entry.organization == organization ? entry : nil
        }.sorted { $0.id < $1.id }
    }

    /// One deployment as listed at `time` (its last known registration when it is not active then); nil for one
    /// the log has never deployed.
    public func deploymentEntry(_ id: Slug, at time: Timestamp) -> DeploymentEntry? {
        guard let last = deployments[id]?.deployed.last?.value else { return nil }
        let current = activeDeployment(id, at: time)?.value
        let shown = current ?? last
        return DeploymentEntry(
            id: id, organization: shown.organization, model: shown.model, workload: shown.workload,
            criticality: shown.criticality, active: current != nil)
    }
}
