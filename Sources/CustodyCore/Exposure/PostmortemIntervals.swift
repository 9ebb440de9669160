// The intervals a postmortem measures: pauses, investigations and exposure windows, each from the breach.

extension Postmortem {
    /// A provider pausing its work with the breached vendor, and how long after the breach.
    public struct Pause: Hashable, Sendable, Codable {
        /// The provider that paused.
        public var provider: Slug
        /// When it paused.
        public var pausedAt: Timestamp
        /// How long after the breach.
        public var afterBreachSeconds: Int64
    }

    /// A provider's investigation of the incident: when it opened and closed, and its outcome.
    public struct Investigation: Hashable, Sendable, Codable {
        /// The investigation's id.
        public var investigation: Slug
        /// The provider investigating.
        public var provider: Slug
        /// When it opened.
        public var openedAt: Timestamp
        /// When it closed; nil while open.
        public var closedAt: Timestamp?
        /// What it concluded; nil while open.
        public var outcome: InvestigationOutcome?
        /// From the breach to the opening.
        public var toOpenSeconds: Int64
        /// From the opening to the closing; nil while open.
        public var toCloseSeconds: Int64?
    }

    /// A deployment's exposure window: from the step it entered to the step it left (open while it has not).
    public struct Window: Hashable, Sendable, Codable {
        /// The deployment exposed.
        public var deployment: Slug
        /// Its organization.
        public var organization: Slug
        /// The model it ran.
        public var model: Slug
        /// The model's provider.
        public var provider: Slug
        /// The step it entered exposure.
        public var from: Timestamp
        /// Nil while the exposure is still current.
        public var to: Timestamp?
        /// From entering exposure to the organization's first response, and to `mitigated`, when they came.
        public var acknowledgedAfterSeconds: Int64? = nil
        /// From entering exposure to `mitigated`, when it came.
        public var mitigatedAfterSeconds: Int64? = nil
    }
}
