/// What happened in an incident, when, and when it was learned: the timeline with the deployments that entered
/// or left exposure at each step, and the intervals a postmortem measures.
public struct Postmortem: Hashable, Sendable, Codable {
    /// One fact of the timeline, with the deployments that entered, left or changed exposure at it.
    public struct Step: Hashable, Sendable, Codable {
        /// When the fact happened.
        public var occurredAt: Timestamp
        /// When the log recorded it: the difference is how late it was learned.
        public var recordedAt: Timestamp
        /// The event's type.
        public var type: String
        /// The stream it belongs to.
        public var stream: String
        /// Who recorded it.
        public var actor: String
        /// Through what it was recorded (cli, import, ...).
        public var source: String
        /// The fact in words.
        public var description: String
        /// Deployments whose current exposure began at this step.
        public var entered: [Slug]
        /// Deployments whose current exposure ended at this step (cleared, resolved, retracted, retired).
        public var left: [Slug]
        /// Deployments whose status or pause changed, as "deployment: from → to".
        public var changed: [String]

        init(_ event: RecordedEvent, description: String, entered: [Slug], left: [Slug], changed: [String]) {
            (occurredAt, recordedAt, type, stream) = (
                event.occurredAt, event.recordedAt, event.event.type, event.stream.description
            )
            (actor, source, self.description) = (event.metadata.actor, event.metadata.source, description)
            (self.entered, self.left, self.changed) = (entered, left, changed)
        }

        init(_ finding: Finding, entered: [Slug], left: [Slug], changed: [String]) {
            (occurredAt, recordedAt) = (finding.occurredAt, finding.recordedAt)
            (type, stream) = (
                InvestigationFindingRecorded.type, StreamName.investigation(finding.investigation).description
            )
            (actor, source, description) = (finding.actor, finding.source, finding.description)
            (self.entered, self.left, self.changed) = (entered, left, changed)
        }
    }

    /// The incident.
    public var incident: Slug
    /// The breached vendor.
    public var vendor: Slug
    /// The breach in a sentence, as reported.
    public var summary: String
    /// Its severity as it stands now.
    public var severity: Severity
    /// When the breach happened.
    public var occurredAt: Timestamp
    /// When it was made public, when known.
    public var disclosedAt: Timestamp?
    /// Whether the report was retracted (as known now, it never happened).
    public var retracted: Bool
    /// When the log first recorded the breach, minus when it happened.
    public var timeToDetectSeconds: Int64
    /// From the breach to its disclosure, when known.
    public var timeToDiscloseSeconds: Int64?
    /// Every fact bearing on the incident, in the order it happened.
    public var timeline: [Step]
    /// The providers' pauses of the vendor after the breach.
    public var pauses: [Pause]
    /// The providers' investigations of the incident.
    public var investigations: [Investigation]
    /// Each deployment's exposure windows.
    public var windows: [Window]
}

extension Postmortem {
    /// Builds the postmortem of `incident` from every recorded event, with its severity and retraction as they
    /// stand at `now` (the caller's clock: the core reads none). Nil for an unknown incident.
    public static func of(_ incident: Slug, events: [RecordedEvent], now: Timestamp) -> Postmortem? {
        of(incident, facts: Facts(events), now: now, everyStep: false)
    }

    /// Builds the postmortem of `incident` from the facts the fold uses and the findings of its investigations.
    public static func of(_ incident: Slug, facts: Facts, now: Timestamp) -> Postmortem? {
        of(incident, facts: facts, now: now, everyStep: false)
    }

    /// `everyStep` evaluates the rows at every step, skipping none, and `wholeWorld` folds every fact instead of
    /// those bearing on the incident: what tests compare the shortcuts with.
    static func of(_ incident: Slug, events: [RecordedEvent], now: Timestamp, everyStep: Bool, wholeWorld: Bool = false)
        -> Postmortem?
    {
        of(incident, facts: Facts(events), now: now, everyStep: everyStep, wholeWorld: wholeWorld)
    }

    /// `walked`, when given, is handed the timeline in order, `part` steps at a time (the last part fewer) as the
    /// walk gets past them: what `markdown(of:facts:now:)` writes meanwhile.
    static func of(
        _ incident: Slug, facts: Facts, now: Timestamp, everyStep: Bool, wholeWorld: Bool = false,
        walked: (part: Int, handOver: ([Step]) -> Void)? = nil
    ) -> Postmortem? {
        guard
            let reportEvent = facts.events.filter({
                if case .breachReported(let e) = $0.event { e.incident == incident } else { false }
            })
            .min(by: { Stamp($0) < Stamp($1) }), case .breachReported(let report) = reportEvent.event
        else { return nil }
        let events =
            wholeWorld ? facts.events : Self.facts(bearingOn: incident, vendor: report.vendor, in: facts.events)
        var chain = SupplyChain()
        chain.apply(events)
        let breachTime = reportEvent.occurredAt
        let investigationIds = Set(
            events.compactMap { event -> Slug? in
                if case .investigationOpened(let e) = event.event, e.incident == incident { return e.investigation }
                return nil
            })
        // Only deployments that ever ran a model of a provider the vendor ever supplied can enter this incident's
        // exposure; a switch or a retirement of any other changes nothing here.
        let candidates = chain.deploymentsReachable(from: report.vendor)
        let related = events.filter { event in
            switch event.event {
            case .breachReported(let e): return e.incident == incident
            case .breachScopeRevised(let e): return e.incident == incident
            case .incidentResolved(let e): return e.incident == incident
            case .incidentRetracted(let e): return e.incident == incident
            case .vendorPaused(let e):
                return e.vendor == report.vendor && (e.incident == incident || event.occurredAt >= breachTime)
            case .vendorResumed(let e): return e.vendor == report.vendor && event.occurredAt >= breachTime
            case .investigationOpened(let e): return e.incident == incident
            case .investigationClosed(let e): return investigationIds.contains(e.investigation)
            case .exposureResponseRecorded(let e): return e.incident == incident
            // A deployment, a switch or a retirement after the breach can begin (or end) an exposure window.
            case .modelDeployed(let e): return candidates.contains(e.deployment) && event.occurredAt >= breachTime
            case .deploymentSwitched(let e): return candidates.contains(e.deployment) && event.occurredAt >= breachTime
            case .deploymentRetired(let e): return candidates.contains(e.deployment) && event.occurredAt >= breachTime
            // A link of the vendor's begun, ended or retracted after the breach widens or narrows its reach.
            case .supplyLinkRecorded(let e): return e.vendor == report.vendor && event.occurredAt >= breachTime
            case .supplyLinkEnded(let e): return e.vendor == report.vendor && event.occurredAt >= breachTime
            case .supplyLinkRetracted(let e): return e.vendor == report.vendor && event.occurredAt >= breachTime
            default: return false
            }
        }.sorted { Stamp($0) < Stamp($1) }
        var findings = facts.findings.filter { investigationIds.contains($0.investigation) }
        findings.sort { $0.stamp < $1.stamp }

        // Walk the steps in stamp order, adding each to the rest of the chain, so two steps at the same instant
        // (a pause and an investigation on the same day) each show their own effect; corrections show at the step
        // that made them.
        let relatedIds = Set(related.map(\.id))
        var stepped = SupplyChain()
        stepped.apply(events.filter { !relatedIds.contains($0.id) })
        // The incident's rows change only with the facts that can reach them: a step (a finding, a pause of
        // another provider's vendor) after which none of those happened keeps the rows of the step before, so a
        // timeline of thousands of findings costs one evaluation per fact that matters, not per step.
        // What each of those can change is kept too: a step re-evaluates only the rows the facts since the step
        // before can reach (as the projector does), unless one reaches the whole incident.
        var reaching: [(at: Timestamp, impact: ExposureImpact)] = []
        var reachingImpacts: [Int64: ExposureImpact] = [:]
        for event in events where SupplyChain.folds(event.event) {
            let impact = chain.impact(of: event.event)
            guard
                impact.incidents.contains(incident) || impact.flagsThrough[incident] != nil
                    || !impact.deployments.isDisjoint(with: candidates)
            else { continue }
            reaching.append((event.occurredAt, impact))
            reachingImpacts[event.position] = impact
        }
        reaching.sort { $0.at < $1.at }
        let changes = reaching.map(\.at)
        var evaluatedAt: Timestamp?
        var previous: [Slug: Exposure] = [:]
        var throughProvider: [Slug: Set<Slug>] = [:]
        var opened: [Slug: Timestamp] = [:]
        var windows: [Window] = []
        var steps: [Step] = []
        // The rows evaluated again at `time`: all of them, or those the facts since the step evaluated before it
        // (and `touched`, the step's own fact) can reach; with the deployments they were evaluated for, whose rows
        // are replaced by these (a deployment among `keys` without a row here has none).
        func rows(at time: Timestamp, touched: ExposureImpact?) -> (rows: [Slug: Exposure], keys: Set<Slug>) {
            var reach = touched ?? ExposureImpact()
            if let since = evaluatedAt, !everyStep {
                for index in Self.firstChange(in: changes, after: since)..<Self.firstChange(in: changes, after: time) {
                    reach.formUnion(reaching[index].impact)
                }
            }
            guard let since = evaluatedAt, since <= time, !everyStep, !reach.incidents.contains(incident) else {
                let all = Dictionary(
                    stepped.unorderedExposures(toIncidents: [incident], among: nil, at: time).filter(\.isCurrent)
                        .map { ($0.deployment, $0) },
                    uniquingKeysWith: { first, _ in first })
                return (all, Set(all.keys).union(previous.keys))
            }
            var keys = reach.deployments
            var rows: [Slug: Exposure] = [:]
            // A flag (a pause, an investigation) changes only what every row through its provider shares: its
            // status and whether it is paused. Those rows are given the provider's new flags, not evaluated again;
            // a provider with no current row (none yet, or cleared) or whose rows become cleared is evaluated.
            var evaluated = Set<Slug>()
            for provider in reach.flagsThrough[incident] ?? [] {
                guard let ids = throughProvider[provider], let any = ids.first.flatMap({ previous[$0] }) else {
                    evaluated.insert(provider)
                    continue
                }
                let status = stepped.status(provider: provider, incident: incident, at: time)
                let paused = stepped.isPaused(provider: provider, vendor: report.vendor, at: time)
                if status == .cleared {
                    evaluated.insert(provider)
                    keys.formUnion(ids)
                    continue
                }
                guard status != any.status || paused != any.paused else { continue }
                for id in ids where !reach.deployments.contains(id) {
                    guard var row = previous[id] else { continue }
                    (row.status, row.paused) = (status, paused)
                    rows[id] = row
                    keys.insert(id)
                }
            }
            var fresh: [Exposure] = []
            if !reach.deployments.isEmpty {
                fresh += stepped.unorderedExposures(toIncidents: [incident], among: reach.deployments, at: time)
            }
            if !evaluated.isEmpty {
                fresh += stepped.unorderedExposures(toIncidents: [incident], among: nil, through: evaluated, at: time)
            }
            for row in fresh where row.isCurrent {
                rows[row.deployment] = row
                keys.insert(row.deployment)
            }
            return (rows, keys)
        }
        // The rows at a step, and who entered, left or changed since the step evaluated before it. Only the rows
        // evaluated again can differ, and only they are replaced: the others are neither compared nor copied.
        func evaluate(at time: Timestamp, touched: ExposureImpact? = nil) -> (
            entered: [Slug], left: [Slug], changed: [String]
        ) {
            let (now, keys) = rows(at: time, touched: touched)
            evaluatedAt = time
            var (entered, left, changed): ([Slug], [Slug], [String]) = ([], [], [])
            for id in keys.sorted() {
                let after = now[id]
                // Replaced in place, the row before moved out: a row is large, and a step can reach thousands.
                let before: Exposure?
                if let after {
                    before = previous.updateValue(after, forKey: id)
                } else {
                    before = previous.removeValue(forKey: id)
                }
                if before?.provider != after?.provider {
                    if let before { throughProvider[before.provider]?.remove(id) }
                    if let after { throughProvider[after.provider, default: []].insert(id) }
                }
                switch (before, after) {
                case (nil, .some):
                    entered.append(id)
                    // A window opens at the step where its deployment entered (the rule the Markdown states), not
                    // at the row's `since`: a correction dates that from the breach, while the timeline shows it
                    // when it was made.
                    opened[id] = time
                case (let before?, nil):
                    left.append(id)
                    if let from = opened.removeValue(forKey: id) {
                        windows.append(
                            Window(
                                deployment: id, organization: before.organization, model: before.model,
                                provider: before.provider, from: from, to: time))
                    }
                case (let before?, let after?):
                    if before.status != after.status {
                        changed.append("\(id): \(before.status.rawValue) → \(after.status.rawValue)")
                    }
                    if before.paused != after.paused {
                        changed.append("\(id): \(after.paused ? "provider paused the vendor" : "provider resumed")")
                    }
                case (nil, nil): break
                }
            }
            return (entered, left, changed)
        }
        func evaluates(_ time: Timestamp) -> Bool {
            everyStep || evaluatedAt == nil
                || Self.anyChange(in: changes, after: evaluatedAt ?? time, upTo: time)
        }
        // The timeline so far, handed over in parts as it grows when a caller asked for it.
        var handedOver = 0
        func append(_ step: Step) {
            steps.append(step)
            if let walked, steps.count - handedOver >= walked.part { handOver() }
        }
        func handOver() {
            guard let walked, handedOver < steps.count else { return }
            walked.handOver(Array(steps[handedOver...]))
            handedOver = steps.count
        }
        // Findings fold nothing: each is a step of its own, between the facts around it in stamp order.
        var nextFinding = 0
        func findingSteps(before stamp: Stamp?) {
            while nextFinding < findings.count, stamp.map({ findings[nextFinding].stamp < $0 }) ?? true {
                let finding = findings[nextFinding]
                nextFinding += 1
                let (entered, left, changed) =
                    evaluates(finding.occurredAt) ? evaluate(at: finding.occurredAt) : ([], [], [])
                append(Step(finding, entered: entered, left: left, changed: changed))
            }
        }
        for event in related {
            findingSteps(before: Stamp(event))
            stepped.apply(event)
            let touched = reachingImpacts[event.position]
            let (entered, left, changed) =
                touched != nil || evaluates(event.occurredAt)
                ? evaluate(at: event.occurredAt, touched: touched) : ([], [], [])
            append(Step(event, description: describe(event.event), entered: entered, left: left, changed: changed))
        }
        findingSteps(before: nil)
        handOver()
        for (id, from) in opened.sorted(by: { $0.key < $1.key }) {
            if let row = previous[id] {
                windows.append(
                    Window(
                        deployment: id, organization: row.organization, model: row.model, provider: row.provider,
                        from: from, to: nil))
            }
        }

        let responses = related.filter { if case .exposureResponseRecorded = $0.event { true } else { false } }
        windows = windows.map { window in respondedTo(window, incident: incident, among: responses) }

        var pauses: [Pause] = []
        for event in related {
            guard case .vendorPaused(let e) = event.event, !pauses.contains(where: { $0.provider == e.provider }) else {
                continue
            }
            pauses.append(
                Pause(
                    provider: e.provider, pausedAt: event.occurredAt,
                    afterBreachSeconds: seconds(breachTime, event.occurredAt)))
        }
        var investigations: [Investigation] = []
        for event in related {
            guard case .investigationOpened(let e) = event.event else { continue }
            let closing = related.first {
                if case .investigationClosed(let c) = $0.event { c.investigation == e.investigation } else { false }
            }
            var outcome: InvestigationOutcome?
            if case .investigationClosed(let c)? = closing?.event { outcome = c.outcome }
            investigations.append(
                Investigation(
                    investigation: e.investigation, provider: e.provider, openedAt: event.occurredAt,
                    closedAt: closing?.occurredAt,
                    outcome: outcome, toOpenSeconds: seconds(breachTime, event.occurredAt),
                    toCloseSeconds: closing.map { seconds(event.occurredAt, $0.occurredAt) }))
        }
        let known = chain.breach(incident, at: now)
        return Postmortem(
            incident: incident, vendor: report.vendor, summary: report.summary,
            severity: known?.severity ?? report.severity,
            occurredAt: breachTime, disclosedAt: report.disclosedAt, retracted: known == nil,
            // A breach may be stamped up to a minute ahead of its recording (clock skew): detection never precedes it.
            timeToDetectSeconds: max(0, seconds(breachTime, reportEvent.recordedAt)),
            timeToDiscloseSeconds: report.disclosedAt.map { seconds(breachTime, $0) }, timeline: steps, pauses: pauses,
            investigations: investigations,
            windows: windows.sorted { ($0.from, $0.deployment) < ($1.from, $1.deployment) })
    }

    static func seconds(_ from: Timestamp, _ to: Timestamp) -> Int64 {
        (to.microseconds - from.microseconds) / 1_000_000
    }

    /// The window with its time to acknowledge (first response of any state) and to mitigate, counting the
    /// deployment's own responses and its organization's for the provider, within the window.
    static func respondedTo(_ window: Window, incident: Slug, among events: [RecordedEvent]) -> Window {
        var window = window
        for event in events {
            guard case .exposureResponseRecorded(let e) = event.event, event.occurredAt >= window.from,
                window.to.map({ event.occurredAt <= $0 }) ?? true,
                e.deployment == window.deployment
                    || (e.deployment == nil && e.provider == window.provider && e.organization == window.organization)
            else { continue }
            if window.acknowledgedAfterSeconds == nil {
                window.acknowledgedAfterSeconds = seconds(window.from, event.occurredAt)
            }
            if e.state == .mitigated, window.mitigatedAfterSeconds == nil {
                window.mitigatedAfterSeconds = seconds(window.from, event.occurredAt)
            }
        }
        return window
    }
}
