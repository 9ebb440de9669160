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
/// are composed then (`InvestigationState`), from the rows or from PostgreSQL's aggregates of them.
public struct CountedRows: Sendable, Equatable {
    /// Rows per status.
    public private(set) var byStatus: [ExposureStatus: Int] = [:]
    /// Active deployments with at least one current row.
    public private(set) var exposedDeployments = 0
    /// The highest severity among the rows; nil when none.
    public private(set) var highestSeverity: Severity?
    /// Rows nobody has responded to.
    public private(set) var needsResponse = 0
    /// When the oldest unanswered row began; nil when none.
    public private(set) var oldestUnanswered: Timestamp?

    /// No rows counted.
    public init() {}

    /// The counts of these rows.
    public init(_ rows: some Sequence<CountedExposure>) {
        var deployments: Set<Slug> = []
        for row in rows {
            count(
                Group(
                    status: row.status, severity: row.severity, rows: 1, unanswered: row.answered ? 0 : 1,
                    oldestUnanswered: row.answered ? nil : row.since))
            deployments.insert(row.deployment)
        }
        exposedDeployments = deployments.count
    }

    /// Rows of one status and severity, as an aggregate counts them.
    public struct Group: Sendable {
        /// Their status.
        public var status: ExposureStatus
        /// Their incident's severity.
        public var severity: Severity
        /// How many.
        public var rows: Int
        /// How many of them nobody has responded to.
        public var unanswered: Int
        /// When the oldest of those began.
        public var oldestUnanswered: Timestamp?

        /// A group of rows.
        public init(
            status: ExposureStatus, severity: Severity, rows: Int, unanswered: Int, oldestUnanswered: Timestamp?
        ) {
            (self.status, self.severity, self.rows) = (status, severity, rows)
            (self.unanswered, self.oldestUnanswered) = (unanswered, oldestUnanswered)
        }
    }

    /// The counts of groups of rows of `exposedDeployments` deployments.
    public init(_ groups: some Sequence<Group>, exposedDeployments: Int) {
        for group in groups { count(group) }
        self.exposedDeployments = exposedDeployments
    }

    private mutating func count(_ group: Group) {
        guard group.rows > 0 else { return }
        byStatus[group.status, default: 0] += group.rows
        highestSeverity = max(highestSeverity ?? group.severity, group.severity)
        needsResponse += group.unanswered
        if let oldest = group.oldestUnanswered { oldestUnanswered = min(oldestUnanswered ?? oldest, oldest) }
    }
}
