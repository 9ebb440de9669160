/// The documents people ask for: one per organization, deployment, model and incident. The CLI's `--json` and
/// the HTTP API print exactly these.
public struct OrganizationSummary: Hashable, Sendable, Codable {
    /// Deployments running now.
    public var activeDeployments: Int
    /// Active deployments with at least one current exposure.
    public var exposedDeployments: Int
    /// Current exposures per status.
    public var statusCounts: [String: Int]
    /// The highest severity among current exposures; nil when none.
    public var highestSeverity: Severity?
    /// Providers of the active deployments' models.
    public var providers: [Slug]
    /// Vendors whose data reached those models.
    public var vendors: [Slug]
    /// Every active deployment rests on one provider: the concentration an LLM-agnostic architecture removes.
    public var singleProvider: Bool
    /// Share of active deployments on open-weight models, from 0 to 1.
    public var openWeightShare: Double
    /// Current exposures nobody has responded to yet, and when the oldest of them began.
    public var needsResponse: Int
    /// When the oldest of them began; nil when none.
    public var oldestUnanswered: Timestamp?
}

/// A named entity in a document.
public struct Reference: Hashable, Sendable, Codable {
    /// Its id.
    public var id: Slug
    /// Its name.
    public var name: String
}

/// One organization's exposure at a time: its summary and its current rows (`GET /v1/organizations/{id}/exposure`).
public struct OrganizationExposure: Hashable, Sendable, Codable {
    /// The organization.
    public var organization: Reference
    /// Its sector.
    public var sector: String
    /// The world time the view is of.
    public var asOf: Timestamp
    /// Its counts and concentration.
    public var summary: OrganizationSummary
    /// Its current exposures, in the design note's order.
    public var exposures: [Exposure]

    /// An organization's view.
    public init(
        organization: Reference, sector: String, asOf: Timestamp, summary: OrganizationSummary, exposures: [Exposure]
    ) {
        (self.organization, self.sector, self.asOf, self.summary, self.exposures) = (
            organization, sector, asOf, summary, exposures
        )
    }
}

/// The exposure rows of one model, deployment or incident at a time.
public struct ExposureList: Hashable, Sendable, Codable {
    /// What was asked: `deployment`, `model` or `incident`, and its id.
    public var subject: String
    /// The id of the subject.
    public var id: Slug
    /// The world time the list is of.
    public var asOf: Timestamp
    /// The rows, in the design note's order.
    public var exposures: [Exposure]

    /// A list of rows about one subject.
    public init(subject: String, id: Slug, asOf: Timestamp, exposures: [Exposure]) {
        (self.subject, self.id, self.asOf, self.exposures) = (subject, id, asOf, exposures)
    }
}

extension SupplyChain {
    /// The organization's view at `time`: its summary and current exposures. Nil for an unknown organization.
    public func exposure(ofOrganization id: Slug, at time: Timestamp) -> OrganizationExposure? {
        organizationViews(of: [id], at: time)[id]
    }

    /// The views of the organizations `ids` at `time`, evaluating only their own deployments.
    /// `orderingRows: false` leaves each view's rows unordered, for a caller that keeps only the summary.
    public func organizationViews(of ids: Set<Slug>, at time: Timestamp, orderingRows: Bool = true) -> [Slug:
        OrganizationExposure]
    {
        let deployments = ids.reduce(into: Set<Slug>()) { $0.formUnion(deploymentsByOrganization[$1] ?? []) }
        // Each organization's rows are put in order below; one sort of every row here would cost more.
        let rows = unorderedExposures(toIncidents: incidentIds, among: deployments, at: time)
        return organizationViews(at: time, exposures: rows, only: ids, orderingRows: orderingRows)
    }

    /// Every organization's view at `time`, computing the exposures once for all of them.
    public func organizationViews(at time: Timestamp) -> [Slug: OrganizationExposure] {
        organizationViews(at: time, exposures: exposures(at: time))
    }

    /// The views of `only` (every organization when nil) from `exposures`, which must hold at least those
    /// organizations' exposures at `time` (the rebuild computes them once for both read models).
    public func organizationViews(
        at time: Timestamp, exposures: [Exposure], only: Set<Slug>? = nil, orderingRows: Bool = true
    ) -> [Slug: OrganizationExposure] {
        let ids = only.map { $0.sorted() } ?? organizationIds
        let rows = Dictionary(grouping: exposures.filter(\.isCurrent), by: \.organization)
        var supplying: [Slug: [Slug]] = [:]
        var views: [Slug: OrganizationExposure] = [:]
        for id in ids {
            let current = orderingRows ? (rows[id] ?? []).sorted(by: <) : rows[id] ?? []
            guard
                var view = organizationView(
                    id, at: time, counting: CountedRows(current.compactMap(CountedExposure.init)), supplying: &supplying
                )
            else { continue }
            view.exposures = current
            views[id] = view
        }
        return views
    }

    /// The view of organization `id` at `time` without its rows, from what its summary counts of its current
    /// rows; `supplying` keeps the vendors found per model across calls. Nil for an unknown organization.
    public func organizationView(
        _ id: Slug, at time: Timestamp, counting current: CountedRows, supplying: inout [Slug: [Slug]]
    ) -> OrganizationExposure? {
        organizationRegistry(id, at: time, supplying: &supplying).map { $0.view(counting: current, at: time) }
    }

    /// What organization `id`'s registry decides of its view at `time`: its deployments, their models' providers
    /// and the vendors that supplied them. Nil for an unknown organization.
    public func organizationRegistry(
        _ id: Slug, at time: Timestamp, supplying: inout [Slug: [Slug]]
    ) -> OrganizationRegistry? {
        guard let organization = organization(id) else { return nil }
        let deployments = (deploymentsByOrganization[id] ?? []).compactMap { activeDeployment($0, at: time)?.value }
            .filter { $0.organization == id }
        let models = Set(deployments.map(\.model))
        let providers = Set(models.compactMap { model($0)?.provider })
        var suppliers = Set<Slug>()
        for model in models {
            if supplying[model] == nil { supplying[model] = vendors(supplying: model, at: time) }
            suppliers.formUnion(supplying[model] ?? [])
        }
        let openWeight = deployments.filter { model($0.model)?.openWeights == true }.count
        return OrganizationRegistry(
            organization: Reference(id: id, name: organization.name), sector: organization.sector,
            activeDeployments: deployments.count, providers: providers.sorted(), vendors: suppliers.sorted(),
            openWeightShare: deployments.isEmpty ? 0 : Double(openWeight) / Double(deployments.count))
    }

    /// One deployment's current exposures. Nil for an unknown deployment.
    public func exposure(ofDeployment id: Slug, at time: Timestamp) -> ExposureList? {
        guard hasDeployment(id) else { return nil }
        return ExposureList(
            subject: "deployment", id: id, asOf: time,
            exposures: exposures(toIncidents: incidentIds, among: [id], at: time).filter(\.isCurrent))
    }

    /// Every deployment of a model, across organizations, with its current exposures. Nil for an unknown model.
    public func exposure(ofModel id: Slug, at time: Timestamp) -> ExposureList? {
        guard model(id) != nil else { return nil }
        return ExposureList(
            subject: "model", id: id, asOf: time,
            exposures: exposures(toIncidents: incidentIds, among: deploymentsByModel[id] ?? [], at: time).filter {
                $0.model == id && $0.isCurrent
            })
    }

    /// An incident's blast radius: every deployment it reaches, cleared ones included, so nothing is hidden from
    /// the people handling it. Nil for an unknown incident.
    public func exposure(ofIncident id: Slug, at time: Timestamp) -> ExposureList? {
        guard incidents[id]?.reports.isEmpty == false else { return nil }
        return ExposureList(subject: "incident", id: id, asOf: time, exposures: exposures(toIncident: id, at: time))
    }
}

/// The part of an organization's view that its registry decides (who it is, its active deployments, their
/// providers and suppliers), apart from what its exposure rows count: the projector keeps it between steps, as a
/// breach or an investigation reaching 900 organizations changes none of it.
public struct OrganizationRegistry: Hashable, Sendable, Codable {
    /// The organization.
    public var organization: Reference
    /// Its sector.
    public var sector: String
    /// Deployments running now.
    public var activeDeployments: Int
    /// Providers of their models.
    public var providers: [Slug]
    /// Vendors whose data reached those models.
    public var vendors: [Slug]
    /// Share of active deployments on open-weight models, from 0 to 1.
    public var openWeightShare: Double

    /// The view at `time` with the summary of `current`, without its rows.
    public func view(counting current: CountedRows, at time: Timestamp) -> OrganizationExposure {
        var counts: [String: Int] = [:]
        for status in ExposureStatus.allCases where status != .cleared {
            counts[status.rawValue] = current.byStatus[status] ?? 0
        }
        let summary = OrganizationSummary(
            activeDeployments: activeDeployments, exposedDeployments: current.exposedDeployments,
            statusCounts: counts, highestSeverity: current.highestSeverity, providers: providers, vendors: vendors,
            singleProvider: activeDeployments > 0 && providers.count == 1, openWeightShare: openWeightShare,
            needsResponse: current.needsResponse, oldestUnanswered: current.oldestUnanswered)
        return OrganizationExposure(
            organization: organization, sector: sector, asOf: time, summary: summary, exposures: [])
    }
}
