/// One deployment's exposure to one incident: the path vendor → provider → model → deployment, and its status.
public struct Exposure: Hashable, Sendable, Codable {
    public var organization: Slug
    public var deployment: Slug
    public var workload: String
    public var criticality: Criticality
    public var model: Slug
    public var provider: Slug
    public var vendor: Slug
    public var incident: Slug
    public var status: ExposureStatus
    public var severity: Severity
    /// The provider has paused work with the vendor.
    public var paused: Bool
    /// The incident is resolved.
    public var resolved: Bool
    /// When the exposure began: the later of the breach and the deployment's start.
    public var since: Timestamp
    /// Data kinds of the breach that the supply link carried (empty: the breach's kinds are unknown).
    public var dataKinds: [DataKind]
    /// The organization's latest response to this exposure; nil while nobody has answered it.
    public var response: ExposureResponse? = nil

    /// Shown in the current view: not cleared, incident not resolved.
    public var isCurrent: Bool { status != .cleared && !resolved }

    /// The design note's order: status, then severity, then criticality (worst first), then ids.
    public static func < (lhs: Exposure, rhs: Exposure) -> Bool { lhs.order < rhs.order }

    public var order: Order {
        Order(status: status, severity: severity, criticality: criticality, deployment: deployment, incident: incident)
    }

    /// What a row's place in the design note's order depends on: a reader holding stored rows sorts by this
    /// without decoding the whole row.
    public struct Order: Comparable, Sendable {
        public var status: ExposureStatus
        public var severity: Severity
        public var criticality: Criticality
        public var deployment: Slug
        public var incident: Slug

        public init(
            status: ExposureStatus, severity: Severity, criticality: Criticality, deployment: Slug, incident: Slug
        ) {
            (self.status, self.severity, self.criticality) = (status, severity, criticality)
            (self.deployment, self.incident) = (deployment, incident)
        }

        public static func < (lhs: Order, rhs: Order) -> Bool {
            if lhs.status.urgency != rhs.status.urgency { return lhs.status.urgency < rhs.status.urgency }
            if lhs.severity != rhs.severity { return lhs.severity > rhs.severity }
            if lhs.criticality != rhs.criticality { return lhs.criticality > rhs.criticality }
            if lhs.deployment != rhs.deployment { return lhs.deployment < rhs.deployment }
            return lhs.incident < rhs.incident
        }
    }
}

/// What the organization did about an exposure, and since when.
public struct ExposureResponse: Hashable, Sendable, Codable {
    public var state: ResponseState
    public var owner: String
    public var since: Timestamp
    /// `deployment`, or `provider` for one analysis recorded for every deployment on the provider.
    public var scope: String
    public var note: String?
    public var justification: NotAffectedJustification?
    public var reviewBy: Timestamp?
}
