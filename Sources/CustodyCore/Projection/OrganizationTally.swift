/// What an organization's summary counts of one current exposure row.
public struct CountedExposure: Hashable, Sendable {
    public var deployment: Slug
    public var status: ExposureStatus
    public var severity: Severity
    public var answered: Bool
    public var since: Timestamp

    /// Nil for a row the summary does not count (not current).
    public init?(_ row: Exposure) {
        guard row.isCurrent else { return nil }
        (deployment, status, severity) = (row.deployment, row.status, row.severity)
        (answered, since) = (row.response != nil, row.since)
    }
}

/// The counted part of every current exposure row the read models hold, by organization: the projector keeps it
/// so that a change to some rows (an investigation setting the status of 2,000 rows across 900 organizations)
/// re-counts those organizations' summaries without evaluating each one's other rows again.
public struct OrganizationTally: Sendable, Equatable {
    private var rows: [Slug: [ReadModelChanges.Key: CountedExposure]] = [:]

    public init() {}

    /// The tally of `chain`'s rows at `time`, evaluated an incident at a time (the rows of one are alive at once).
    public init(_ chain: SupplyChain, at time: Timestamp) {
        for incident in chain.incidentIds {
            for row in chain.unorderedExposures(toIncidents: [incident], among: nil, at: time) { set(row) }
        }
    }

    public func counted(_ organization: Slug) -> some Collection<CountedExposure> {
        (rows[organization] ?? [:]).values
    }

    /// Records a written row (removing it when it is no longer current).
    mutating func set(_ row: Exposure) {
        let key = ReadModelChanges.Key(deployment: row.deployment, incident: row.incident)
        rows[row.organization, default: [:]][key] = CountedExposure(row)
    }

    mutating func remove(_ row: Exposure) {
        rows[row.organization]?[ReadModelChanges.Key(deployment: row.deployment, incident: row.incident)] = nil
    }
}
