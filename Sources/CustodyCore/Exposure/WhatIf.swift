import Foundation

/// Read-only questions about the supply chain's shape: what a breach would cause, and who rests on whom.
extension SupplyChain {
    /// The id of the hypothetical breach event: fixed, as nothing stores it and the core draws no randomness.
    static let hypotheticalEventId = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// The exposure a breach at `vendor` would cause at `time`: the same fold, on one hypothetical event that is
    /// never recorded. The rows are those `custody exposure --incident` would show had the breach been reported.
    public func whatIf(
        vendor: Slug, dataKinds: [DataKind] = [], providers: [Slug] = [], severity: Severity = .high, at time: Timestamp
    ) -> ExposureList {
        var id = (try? Slug("what-if-\(vendor.rawValue)".prefix(64).description)) ?? vendor
        while incidents[id] != nil { id = (try? Slug(String(("x" + id.rawValue).prefix(64)))) ?? id }
        let breach = BreachReported(
            incident: id, vendor: vendor, severity: severity, summary: "hypothetical breach at \(vendor)",
            dataKinds: dataKinds, providers: providers, sources: [], disclosedAt: nil)
        var hypothetical = self
        hypothetical.apply(
            RecordedEvent(
                id: Self.hypotheticalEventId, stream: breach.stream, version: 1, position: Int64.max,
                event: breach.event,
                metadata: EventMetadata(actor: "what-if", source: "what-if"), occurredAt: time, recordedAt: time,
                hash: []))
        return ExposureList(
            subject: "what-if", id: vendor, asOf: time, exposures: hypothetical.exposures(toIncident: id, at: time))
    }
}

/// How many organizations and deployments rest on a vendor or a provider.
public struct Dependence: Hashable, Sendable, Codable {
    /// The vendor's or provider's id.
    public var id: Slug
    /// Organizations with an active deployment resting on it.
    public var organizations: Int
    /// Active deployments resting on it.
    public var deployments: Int
}

/// What one organization's active deployments rest on.
public struct OrganizationDependence: Hashable, Sendable, Codable {
    /// The organization's id.
    public var id: Slug
    /// Its active deployments.
    public var deployments: Int
    /// The providers they run on.
    public var providers: [Slug]
    /// The vendors those providers' data came from.
    public var vendors: [Slug]
    /// Every active deployment on one provider: no fallback when that provider pauses or is hit.
    public var singleProvider: Bool
}

/// Concentration of the supply chain: systemic vendors and providers first.
public struct Concentration: Hashable, Sendable, Codable {
    /// The world time it is of.
    public var asOf: Timestamp
    /// Vendors, most depended on first.
    public var vendors: [Dependence]
    /// Providers, most depended on first.
    public var providers: [Dependence]
    /// Each organization's dependence.
    public var organizations: [OrganizationDependence]
}

extension SupplyChain {
    /// Vendors and providers ranked by how many organizations (then deployments) depend on them, over the
    /// active deployments at `time` of the organizations `included` admits, and each such organization's spread.
    public func concentration(at time: Timestamp, including included: (Slug) -> Bool = { _ in true }) -> Concentration {
        var vendorUse: [Slug: (organizations: Set<Slug>, deployments: Int)] = [:]
        var providerUse: [Slug: (organizations: Set<Slug>, deployments: Int)] = [:]
        var perOrganization: [Slug: (deployments: Int, providers: Set<Slug>, vendors: Set<Slug>)] = [:]
        var suppliers: [Slug: [Slug]] = [:]
        for (_, deployed) in activeDeployments(at: time) where included(deployed.organization) {
            guard let provider = model(deployed.model)?.provider else { continue }
            let vendors = suppliers[deployed.model] ?? vendors(supplying: deployed.model, at: time)
            suppliers[deployed.model] = vendors
            let organization = deployed.organization
            providerUse[provider, default: ([], 0)].organizations.insert(organization)
            providerUse[provider, default: ([], 0)].deployments += 1
            for vendor in vendors {
                vendorUse[vendor, default: ([], 0)].organizations.insert(organization)
                vendorUse[vendor, default: ([], 0)].deployments += 1
            }
            perOrganization[organization, default: (0, [], [])].deployments += 1
            perOrganization[organization, default: (0, [], [])].providers.insert(provider)
            perOrganization[organization, default: (0, [], [])].vendors.formUnion(vendors)
        }
        func ranked(_ use: [Slug: (organizations: Set<Slug>, deployments: Int)]) -> [Dependence] {
            use.map {
                Dependence(id: $0.key, organizations: $0.value.organizations.count, deployments: $0.value.deployments)
            }
            .sorted {
                ($1.organizations, $1.deployments, $0.id.rawValue) < ($0.organizations, $0.deployments, $1.id.rawValue)
            }
        }
        let organizations = perOrganization.map { id, use in
            OrganizationDependence(
                id: id, deployments: use.deployments, providers: use.providers.sorted(), vendors: use.vendors.sorted(),
                singleProvider: use.providers.count == 1)
        }.sorted { $0.id < $1.id }
        return Concentration(
            asOf: time, vendors: ranked(vendorUse), providers: ranked(providerUse), organizations: organizations)
    }
}
