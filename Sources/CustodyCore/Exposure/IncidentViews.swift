/// Incidents as the API lists them: what happened at which vendor, and how far it reaches.
public struct IncidentSummary: Hashable, Sendable, Codable {
    /// The incident's id.
    public var id: Slug
    /// The breached vendor.
    public var vendor: Slug
    /// Its severity, as revised.
    public var severity: Severity
    /// When the breach happened.
    public var occurredAt: Timestamp
    /// When it was made public, when known.
    public var disclosedAt: Timestamp?
    /// The data kinds affected (empty: unknown).
    public var dataKinds: [DataKind]
    /// Providers named by the report (empty: every provider the vendor supplied).
    public var providers: [Slug]
    /// What happened, in a sentence.
    public var summary: String
    /// Whether it was resolved.
    public var resolved: Bool
    /// Recorded by mistake and withdrawn: it reaches nobody.
    public var retracted: Bool
    /// Deployments with a current exposure to it, and their organizations (within the reader's scope).
    public var exposedDeployments: Int
    /// How many organizations those deployments belong to.
    public var organizations: Int
}

/// The incidents known at a time, each with its state and reach (`GET /v1/incidents`).
public struct IncidentList: Hashable, Sendable, Codable {
    /// The world time the list is of.
    public var asOf: Timestamp
    /// The incidents, by id.
    public var incidents: [IncidentSummary]
}

/// One incident and its blast radius (cleared exposures included).
public struct IncidentReport: Hashable, Sendable, Codable {
    /// The world time the report is of.
    public var asOf: Timestamp
    /// The incident.
    public var incident: IncidentSummary
    /// Every row it reaches, cleared ones included.
    public var exposures: [Exposure]
}

extension SupplyChain {
    /// Every incident reported by `time`, most recent first, counting only exposures `visible` admits.
    public func incidents(at time: Timestamp, visible: (Exposure) -> Bool = { _ in true }) -> IncidentList {
        let summaries = incidentIds.compactMap { report(ofIncident: $0, at: time, visible: visible)?.incident }
        return IncidentList(
            asOf: time,
            incidents: summaries.sorted { ($0.occurredAt, $1.id) > ($1.occurredAt, $0.id) })
    }

    /// An incident and the exposures to it that `visible` admits; nil when it was not reported by `time`.
    public func report(ofIncident id: Slug, at time: Timestamp, visible: (Exposure) -> Bool = { _ in true })
        -> IncidentReport?
    {
        guard let facts = incidents[id], let reported = facts.reports.last, reported.stamp.occurredAt <= time else {
            return nil
        }
        let breach = breach(id, at: time)
        let rows = exposures(toIncident: id, at: time).filter(visible)
        let current = rows.filter(\.isCurrent)
        let summary = IncidentSummary(
            id: id, vendor: reported.value.vendor, severity: breach?.severity ?? reported.value.severity,
            occurredAt: reported.stamp.occurredAt, disclosedAt: reported.value.disclosedAt,
            dataKinds: breach?.dataKinds ?? reported.value.dataKinds,
            providers: breach?.providers ?? reported.value.providers,
            summary: reported.value.summary, resolved: breach?.resolved ?? false, retracted: breach == nil,
            exposedDeployments: Set(current.map(\.deployment)).count,
            organizations: Set(current.map(\.organization)).count)
        return IncidentReport(asOf: time, incident: summary, exposures: rows)
    }

    /// The organization a deployment belongs to (as last recorded), nil for an unknown deployment.
    public func organization(ofDeployment id: Slug) -> Slug? {
        deployments[id]?.deployed.last?.value.organization
    }
}

extension ExposureList {
    /// The list with only the rows `visible` admits.
    public func filtered(_ visible: (Exposure) -> Bool) -> ExposureList {
        var copy = self
        copy.exposures = exposures.filter(visible)
        return copy
    }
}
