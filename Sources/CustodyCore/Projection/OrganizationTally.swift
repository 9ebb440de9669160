/// What an organization's summary counts of one current exposure row.
public struct CountedExposure: Hashable, Sendable {
    /// The deployment of the row.
    public var deployment: Slug
    /// Its status.
    public var status: ExposureStatus
    /// Its incident's severity.
    public var severity: Severity
    /// Whether the organization has responded to it.
    public var answered: Bool
    /// When the exposure began.
    public var since: Timestamp

    /// Nil for a row the summary does not count (not current).
    public init?(_ row: Exposure) {
        guard row.isCurrent else { return nil }
        (deployment, status, severity) = (row.deployment, row.status, row.severity)
        (answered, since) = (row.response != nil, row.since)
    }
}

/// What an organization's summary reads of its current rows, kept as rows come and go: adding or removing a row
/// costs the same whatever the organization's size, so a breach reaching 900 organizations re-counts none of them.
public struct CountedRows: Sendable, Equatable {
    public private(set) var byStatus: [ExposureStatus: Int] = [:]
    private var rowsByDeployment: [Slug: Int] = [:]
    private var bySeverity: [Severity: Int] = [:]
    private var unansweredSince: [Timestamp: Int] = [:]
    public private(set) var needsResponse = 0

    /// No rows counted.
    public init() {}

    /// The counts of these rows.
    public init(_ rows: some Sequence<CountedExposure>) {
        for row in rows { add(row) }
    }

    /// Active deployments with at least one current row.
    public var exposedDeployments: Int { rowsByDeployment.count }
    /// The highest severity among the rows; nil when none.
    public var highestSeverity: Severity? { bySeverity.keys.max() }
    /// When the oldest unanswered row began.
    public var oldestUnanswered: Timestamp? { unansweredSince.keys.min() }

    /// Counts one more row.
    public mutating func add(_ row: CountedExposure) { count(row, by: 1) }

    /// Counts one row fewer.
    public mutating func remove(_ row: CountedExposure) { count(row, by: -1) }

    /// Keys whose count reaches zero are dropped, so equal rows give equal values whatever the history.
    private mutating func count(_ row: CountedExposure, by change: Int) {
        func adjust<Key: Hashable>(_ counts: inout [Key: Int], _ key: Key) {
            let value = counts[key, default: 0] + change
            counts[key] = value == 0 ? nil : value
        }
        adjust(&byStatus, row.status)
        adjust(&rowsByDeployment, row.deployment)
        adjust(&bySeverity, row.severity)
        if !row.answered {
            adjust(&unansweredSince, row.since)
            needsResponse += change
        }
    }
}

/// The counted part of every current exposure row the read models hold, by organization: the projector keeps it
/// so that a change to some rows (an investigation setting the status of 2,000 rows across 900 organizations)
/// re-counts those organizations' summaries without evaluating each one's other rows again. It keeps only the
/// counts: whoever changes a row knows the row it replaces (the read model holds exactly the fold's rows).
public struct OrganizationTally: Sendable, Equatable {
    private var counted: [Slug: CountedRows] = [:]
    /// Each organization's registry part as last written; evaluated again only when a step's impact names the
    /// organization (every fact that can change it does: a deployment, a model, a supply link, a registration).
    private var registries: [Slug: OrganizationRegistry] = [:]

    /// An empty tally.
    public init() {}

    /// The registry part of `id`'s view at `time`: the one kept, unless `changed`.
    mutating func registry(
        _ id: Slug, of chain: SupplyChain, at time: Timestamp, changed: Bool, supplying: inout [Slug: [Slug]]
    ) -> OrganizationRegistry? {
        if !changed, let kept = registries[id] { return kept }
        let registry = chain.organizationRegistry(id, at: time, supplying: &supplying)
        registries[id] = registry
        return registry
    }

    /// The tally of `chain`'s rows at `time`, evaluated an incident at a time (the rows of one are alive at once).
    public init(_ chain: SupplyChain, at time: Timestamp) {
        for incident in chain.incidentIds {
            for row in chain.unorderedExposures(toIncidents: [incident], among: nil, at: time) { add(row) }
        }
    }

    /// An organization's counts (empty when it has no current row).
    public func counted(_ organization: Slug) -> CountedRows { counted[organization] ?? CountedRows() }

    /// Counts a row the read model now holds (nothing when it is not current).
    mutating func add(_ row: Exposure) {
        guard let new = CountedExposure(row) else { return }
        counted[row.organization, default: CountedRows()].add(new)
    }

    /// Stops counting a row the read model held.
    mutating func remove(_ row: Exposure) {
        guard let old = CountedExposure(row) else { return }
        counted[row.organization]?.remove(old)
    }
}
