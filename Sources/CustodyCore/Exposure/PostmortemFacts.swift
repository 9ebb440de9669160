extension Postmortem {
    /// What a postmortem is built from: the facts the fold uses, and the findings of the incident's investigations
    /// kept apart. Findings change no exposure and a large incident has hundreds of thousands of them, so a reader
    /// can take only what a timeline step shows of each (`Finding`) instead of decoding them as events.
    public struct Facts: Sendable {
        /// Every fact the fold uses (findings, if any, are moved to `findings`).
        public var events: [RecordedEvent]
        /// Findings, in any order.
        public var findings: [Finding]

        /// Facts and findings read apart.
        public init(events: [RecordedEvent], findings: [Finding]) {
            self.events = events.filter { SupplyChain.folds($0.event) }
            self.findings = findings + events.compactMap(Finding.init)
        }

        /// From events that may include findings.
        public init(_ events: [RecordedEvent]) { self.init(events: events, findings: []) }

        /// Only the facts and findings for which `isIncluded` holds, given when each happened and was recorded.
        public func filter(_ isIncluded: (_ occurredAt: Timestamp, _ recordedAt: Timestamp) -> Bool) -> Facts {
            var facts = self
            facts.events.removeAll { !isIncluded($0.occurredAt, $0.recordedAt) }
            facts.findings.removeAll { !isIncluded($0.occurredAt, $0.recordedAt) }
            return facts
        }
    }

    /// A finding as a timeline step shows it.
    public struct Finding: Hashable, Sendable {
        /// Its log position.
        public var position: Int64
        /// When it was found.
        public var occurredAt: Timestamp
        /// When the log recorded it.
        public var recordedAt: Timestamp
        /// The investigation it belongs to.
        public var investigation: Slug
        /// What was found, as written.
        public var finding: String
        /// Who recorded it.
        public var actor: String
        /// Through what it was recorded.
        public var source: String

        /// A finding from its parts.
        public init(
            position: Int64, occurredAt: Timestamp, recordedAt: Timestamp, investigation: Slug, finding: String,
            actor: String, source: String
        ) {
            (self.position, self.occurredAt, self.recordedAt) = (position, occurredAt, recordedAt)
            (self.investigation, self.finding, self.actor, self.source) = (investigation, finding, actor, source)
        }

        /// The finding an event records; nil for any other event.
        public init?(_ event: RecordedEvent) {
            guard case .investigationFindingRecorded(let e) = event.event else { return nil }
            self.init(
                position: event.position, occurredAt: event.occurredAt, recordedAt: event.recordedAt,
                investigation: e.investigation, finding: e.finding, actor: event.metadata.actor,
                source: event.metadata.source)
        }

        /// Its place in the timeline.
        var stamp: Stamp { Stamp(occurredAt: occurredAt, position: position) }

        /// The finding in words, as `describe` says it of the event.
        var description: String { Postmortem.describeFinding(investigation, finding) }
    }
}
