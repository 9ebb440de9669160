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

    /// What the summary counts of a current row with these fields.
    public init(deployment: Slug, status: ExposureStatus, severity: Severity, answered: Bool, since: Timestamp) {
        (self.deployment, self.status, self.severity) = (deployment, status, severity)
        (self.answered, self.since) = (answered, since)
    }

    /// Nil for a row the summary does not count (not current).
    public init?(_ row: Exposure) {
        guard row.isCurrent else { return nil }
        (deployment, status, severity) = (row.deployment, row.status, row.severity)
        (answered, since) = (row.response != nil, row.since)
    }
}

/// What an organization's summary reads of its current rows: counted when the view is read, as the rows' statuses
/// are composed then (`InvestigationState`).
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
    public mutating func add(_ row: CountedExposure) {
        byStatus[row.status, default: 0] += 1
        rowsByDeployment[row.deployment, default: 0] += 1
        bySeverity[row.severity, default: 0] += 1
        if !row.answered {
            unansweredSince[row.since, default: 0] += 1
            needsResponse += 1
        }
    }
}
