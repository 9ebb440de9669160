/// One deployment's exposure to one incident: the path vendor → provider → model → deployment, and its status.
public struct Exposure: Hashable, Sendable, Codable {
    /// The organization running the deployment.
    public var organization: Slug
    /// The deployment exposed.
    public var deployment: Slug
    /// What the deployment is used for.
    public var workload: String
    /// How much depends on the deployment.
    public var criticality: Criticality
    /// The model it runs, through which the data reached it.
    public var model: Slug
    /// The model's provider, supplied by the vendor.
    public var provider: Slug
    /// The breached vendor.
    public var vendor: Slug
    /// The incident.
    public var incident: Slug
    /// Where the provider's investigation of the incident stands.
    public var status: ExposureStatus
    /// The incident's severity, as revised.
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

    /// This row's place in the design note's order.
    public var order: Order {
        Order(status: status, severity: severity, criticality: criticality, deployment: deployment, incident: incident)
    }

    /// What a row's place in the design note's order depends on: a reader holding stored rows sorts by this
    /// without decoding the whole row.
    public struct Order: Comparable, Sendable {
        /// Where the provider's investigation of the incident stands.
        public var status: ExposureStatus
        /// The incident's severity, as revised.
        public var severity: Severity
        /// How much depends on the deployment.
        public var criticality: Criticality
        /// The deployment exposed.
        public var deployment: Slug
        /// The incident.
        public var incident: Slug

        /// The ordering key of a row.
        public init(
            status: ExposureStatus, severity: Severity, criticality: Criticality, deployment: Slug, incident: Slug
        ) {
            (self.status, self.severity, self.criticality) = (status, severity, criticality)
            (self.deployment, self.incident) = (deployment, incident)
        }

        /// Most urgent status first, then the worst severity, the highest criticality, then ids.
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
    /// Where the response stands.
    public var state: ResponseState
    /// Who is responsible for it.
    public var owner: String
    /// When this response was recorded (its time of occurrence).
    public var since: Timestamp
    /// `deployment`, or `provider` for one analysis recorded for every deployment on the provider.
    public var scope: String
    /// What was done or decided.
    public var note: String?
    /// Why the exposure does not apply (`not-affected` only).
    public var justification: NotAffectedJustification?
    /// When an accepted risk is to be looked at again.
    public var reviewBy: Timestamp?
}
