/// The exposure projector as a decision, without I/O: the fold the read models reflect, the world time they were
/// evaluated at, and the facts folded in that are not true yet (stamped in the future).
///
/// `step` folds a page into a copy and says which rows to write; the caller writes them with the checkpoint in
/// one transaction and only then takes `Step.next`, so a failed write leaves the projector where its checkpoint
/// is. Invariant: the read models hold exactly the views of `chain` at `evaluatedAt`.
public struct ExposureProjector: Sendable {
    public private(set) var chain: SupplyChain
    public private(set) var evaluatedAt: Timestamp
    /// Folded facts that were still in the future at `evaluatedAt`, earliest first: their time has to come before
    /// the views show them, and the projector re-evaluates what they touch then.
    public private(set) var pending: [RecordedEvent] = []

    /// A projector whose read models were evaluated at `evaluatedAt` (nothing folded yet: see `restore`).
    public init(evaluatedAt: Timestamp) {
        chain = SupplyChain()
        self.evaluatedAt = evaluatedAt
    }

    /// Folds events the read models already reflect (a restart reading the log up to the checkpoint).
    public mutating func restore(_ events: some Sequence<RecordedEvent>) {
        for event in events {
            chain.apply(event)
            if event.occurredAt > evaluatedAt { schedule(event) }
        }
    }

    /// When a folded fact comes true and the views must be evaluated again; nil when nothing is waiting.
    public var nextDue: Timestamp? { pending.first?.occurredAt }

    /// What one step decides: the changes to write, and the projector to continue with once they are committed.
    public struct Step: Sendable {
        /// What to write.
        public var changes: ReadModelChanges
        /// The projector once the changes are committed.
        public var next: ExposureProjector
        /// The subscriptions standing after the step: whom its notices are for.
        public var subscriptions: [WebhookSubscription]
    }

    /// The changes that `events` (possibly none) and the passing of time up to `now` make to the read models.
    public func step(_ events: some Collection<RecordedEvent>, at now: Timestamp) -> Step {
        // Time never runs backwards for the read models: a clock behind the last evaluation keeps that time.
        let now = max(now, evaluatedAt)
        var next = self
        var impact = ExposureImpact()
        var causes = Causes()
        next.chain.apply(events)
        for event in events {
            let reach = chain.impact(of: event.event)
            impact.formUnion(reach)
            causes.note(event, reach)
            let after = next.chain.impact(of: event.event)
            impact.formUnion(after)
            causes.note(event, after)
            if event.occurredAt > now { next.schedule(event) }
        }
        while let due = next.pending.first, due.occurredAt <= now {
            next.pending.removeFirst()
            let reach = next.chain.impact(of: due.event)
            impact.formUnion(reach)
            causes.note(due, reach)
        }
        next.evaluatedAt = now
        // Only organizations with a standing subscription are told of changes: the rows of others whose only change
        // is composed at read time (a pause, an investigation's status) need not even be evaluated.
        let standing = next.chain.webhookSubscriptions().filter { $0.removedAt == nil }
        let listening = Set(standing.map(\.organization))
        var changes = ReadModelChanges(
            from: chain, at: evaluatedAt, to: next.chain, at: now, within: impact, noticing: listening)
        for index in changes.notices.indices {
            changes.notices[index].cause = changes.notices[index].row.flatMap(causes.cause)
        }
        return Step(changes: changes, next: next, subscriptions: standing)
    }

    /// The last event (in log order) of a step that reached each incident and deployment: a row's change is said
    /// to be caused by the later of its incident's and its deployment's.
    private struct Causes {
        var byIncident: [Slug: RecordedEvent] = [:]
        var byDeployment: [Slug: RecordedEvent] = [:]

        mutating func note(_ event: RecordedEvent, _ impact: ExposureImpact) {
            for incident in impact.incidents { keepLater(&byIncident, incident, event) }
            for incident in impact.flagsThrough.keys { keepLater(&byIncident, incident, event) }
            for deployment in impact.deployments { keepLater(&byDeployment, deployment, event) }
        }

        private func keepLater(_ causes: inout [Slug: RecordedEvent], _ id: Slug, _ event: RecordedEvent) {
            if causes[id].map({ $0.position < event.position }) ?? true { causes[id] = event }
        }

        func cause(of row: Exposure) -> RecordedEvent? {
            [byIncident[row.incident], byDeployment[row.deployment]].compactMap { $0 }.max { $0.position < $1.position }
        }
    }

    private mutating func schedule(_ event: RecordedEvent) {
        let index = pending.firstIndex { event.occurredAt < $0.occurredAt } ?? pending.endIndex
        pending.insert(event, at: index)
    }
}
