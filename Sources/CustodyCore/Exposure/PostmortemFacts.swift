extension Postmortem {
    /// What a postmortem is built from: the facts the fold uses, and the findings of the incident's investigations
    /// kept apart. Findings change no exposure and a large incident has hundreds of thousands of them, so a reader
    /// can take only what a timeline step shows of each (`Finding`) instead of decoding them as events.
    public struct Facts: Sendable {
        /// Every fact the fold uses (findings, if any, are moved to `findings`).
        public var events: [RecordedEvent]
        /// Findings, in any order.
        public var findings: [Finding]

        /// Facts and findings read apart; the arrays are kept as given when no finding is among the facts (what a
        /// store reads), instead of copied: a large incident has over 100,000 findings.
        public init(events: [RecordedEvent], findings: [Finding]) {
            let moved = events.compactMap(Finding.init)
            self.events = moved.isEmpty ? events : events.filter { SupplyChain.folds($0.event) }
            self.findings = moved.isEmpty ? findings : findings + moved
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

extension Postmortem {
    /// A fact in the words of a timeline step.
    static func describeFinding(_ investigation: Slug, _ finding: String) -> String {
        "finding in \(investigation): \(finding)"
    }

    static func describe(_ event: DomainEvent) -> String {
        switch event {
        case .breachReported(let e):
            return "breach at \(e.vendor) reported (\(e.severity.rawValue)): \(e.summary)"
        case .breachScopeRevised(let e):
            let parts = [
                e.dataKinds.map { "data " + ($0.isEmpty ? "unknown" : $0.map(\.rawValue).joined(separator: ", ")) },
                e.providers.map {
                    "providers " + ($0.isEmpty ? "every client" : $0.map(\.rawValue).joined(separator: ", "))
                },
                e.severity.map { "severity " + $0.rawValue },
            ].compactMap { $0 }
            return "scope revised (\(parts.joined(separator: "; "))): \(e.reason)"
        case .vendorPaused(let e): return "\(e.provider) paused work with \(e.vendor)"
        case .vendorResumed(let e): return "\(e.provider) resumed work with \(e.vendor)"
        case .investigationOpened(let e): return "\(e.provider) opened investigation \(e.investigation)"
        case .investigationFindingRecorded(let e): return describeFinding(e.investigation, e.finding)
        case .investigationClosed(let e):
            return "investigation \(e.investigation) closed: \(e.outcome.rawValue)"
                + (e.summary.map { " (\($0))" } ?? "")
        case .incidentResolved(let e): return "incident resolved" + (e.summary.map { ": \($0)" } ?? "")
        case .incidentRetracted(let e): return "report retracted: \(e.reason)"
        case .modelDeployed(let e): return "\(e.organization) deployed \(e.deployment) on model \(e.model)"
        case .deploymentSwitched(let e): return "deployment \(e.deployment) switched to model \(e.model)"
        case .supplyLinkRecorded(let e): return "\(e.vendor) began supplying \(e.provider)"
        case .supplyLinkEnded(let e): return "\(e.vendor) stopped supplying \(e.provider)"
        case .supplyLinkRetracted(let e):
            return "the link from \(e.vendor) to \(e.provider) was recorded by mistake: \(e.reason)"
        case .deploymentRetired(let e): return "deployment \(e.deployment) retired"
        case .exposureResponseRecorded(let e):
            let subject =
                e.deployment.map { "deployment \($0)" } ?? "every deployment on \(e.provider?.rawValue ?? "?")"
            return "\(e.organization) responded for \(subject): \(e.state.rawValue) (owner \(e.owner))"
                + (e.justification.map { ", \($0.rawValue)" } ?? "") + (e.note.map { ": \($0)" } ?? "")
        default: return event.type
        }
    }
}
