import CustodyTestSupport
import Testing

@testable import CustodyCore

/// The read models as the projector's changes leave them, kept in memory: the oracle compares them with every
/// row and view evaluated from scratch. Exposure rows are kept as stored (without `paused` and `status`), beside
/// the pauses and the investigations' states, and organizations as their registry part.
struct Tables: Equatable {
    var exposures: [ReadModelChanges.Key: Exposure] = [:]
    var pauses: Set<VendorPause> = []
    var states: [SupplyChain.Pair: ExposureStatus] = [:]
    var organizations: [Slug: OrganizationRegistry] = [:]

    /// The rows as a reader gets them: `paused` and `status` composed from the pauses and states.
    var composed: [ReadModelChanges.Key: Exposure] {
        exposures.mapValues { row in
            var row = row
            row.paused = pauses.contains(VendorPause(provider: row.provider, vendor: row.vendor))
            row.status = states[SupplyChain.Pair(first: row.provider, second: row.incident)] ?? .potential
            return row
        }
    }

    /// The summaries as a reader counts them from the composed current rows.
    var summaries: [Slug: OrganizationSummary] {
        let rows = Dictionary(grouping: composed.values.filter(\.isCurrent), by: \.organization)
        return organizations.mapValues {
            $0.view(counting: CountedRows((rows[$0.organization.id] ?? []).compactMap(CountedExposure.init)), at: .now)
                .summary
        }
    }

    mutating func apply(_ changes: ReadModelChanges) {
        // New rows are inserted without a look for one to replace: the tables must not hold them.
        for row in changes.newExposures { #expect(exposures[row.key] == nil) }
        for row in changes.changedExposures { #expect(exposures[row.key] != nil) }
        for row in changes.exposures {
            exposures[row.key] = row.stored
        }
        #expect(pauses.isDisjoint(with: changes.pausesStarted) && Set(changes.pausesEnded).isSubset(of: pauses))
        pauses.formUnion(changes.pausesStarted)
        pauses.subtract(changes.pausesEnded)
        for state in changes.statesEnded {
            #expect(states[state.pair] == state.status)
            states[state.pair] = nil
        }
        for state in changes.statesSet {
            #expect(states[state.pair] != state.status)
            states[state.pair] = state.status
        }
        for key in changes.removedExposures { exposures[key] = nil }
        for registry in changes.organizations { organizations[registry.organization.id] = registry }
    }

    /// Everything evaluated from scratch: what a rebuild writes.
    init(_ chain: SupplyChain, at time: Timestamp) {
        for row in chain.exposures(at: time) {
            exposures[row.key] = row.stored
        }
        pauses = chain.pauses(at: time)
        for state in chain.investigationStates(at: time) { states[state.pair] = state.status }
        var supplying: [Slug: [Slug]] = [:]
        for id in chain.organizationIds {
            organizations[id] = chain.organizationRegistry(id, at: time, supplying: &supplying)
        }
    }

    init() {}
}

@Suite struct ExposureProjectorTests {
    /// Seeded random logs over every event type, applied in pages of random size while the clock moves through
    /// the facts' own times (so many facts are still in the future when folded, and come true later): after
    /// every step the tables equal a rebuild at that moment.
    @Test(arguments: 0..<100)
    func incrementalStepsEqualARebuildAtEveryMoment(seed: Int) async {
        var workload = RandomWorkload(seed: UInt64(seed))
        let events = workload.recorded(count: 200, recordedAt: workload.start)
        var clock = workload.start
        var projector = ExposureProjector(evaluatedAt: clock)
        var tables = Tables()
        var index = 0
        while index < events.count || projector.nextDue != nil {
            // CPU-bound for seconds over 100 seeds: let the other tests' waiting work run between steps (two cores,
            // two threads in the pool; a test that never yields holds one of them until it ends).
            await Task.yield()
            let size = workload.below(8)
            let page = events[index..<min(index + size, events.count)]
            index += page.count
            clock = clock.adding(seconds: Int64(workload.below(Int(workload.span / 40))))
            let step = projector.step(page, at: clock)
            tables.apply(step.changes)
            projector = step.next
            #expect(tables == Tables(projector.chain, at: clock), "seed \(seed), after event \(index) at \(clock)")
            if tables != Tables(projector.chain, at: clock) { return }
            let rows = projector.chain.exposures(at: clock)
            #expect(
                tables.composed
                    == Dictionary(
                        uniqueKeysWithValues: rows.map {
                            ($0.key, $0)
                        }))
            #expect(tables.summaries == projector.chain.organizationViews(at: clock).mapValues(\.summary))
        }
        #expect(
            projector.chain
                == {
                    var chain = SupplyChain()
                    chain.apply(events)
                    return chain
                }())
    }

    /// A step's notices are exactly the changes a reader of the subscribed organizations sees (rows composed with
    /// their pauses, before and after), and none for an organization nobody subscribed for.
    @Test(arguments: 0..<40)
    func noticesAreTheComposedChangesOfSubscribedOrganizations(seed: Int) {
        _ = noticesOfComposedChanges(seed: seed)
    }

    @discardableResult
    func noticesOfComposedChanges(seed: Int) -> [ExposureNotice] {
        var workload = RandomWorkload(seed: UInt64(seed) + 5000)
        let listening: Set<Slug> = [Fixture.slug("o0"), Fixture.slug("o2")]
        let subscriptions = listening.sorted().enumerated().map { index, organization in
            RecordedEvent(
                id: .init(), stream: .webhook(Fixture.slug("w\(index)")), version: 1, position: Int64(index - 2),
                event: .webhookSubscribed(
                    WebhookSubscribed(
                        subscription: Fixture.slug("w\(index)"), organization: organization,
                        url: "https://example.org/hook", messages: [],
                        overdueAfterSeconds: nil)),
                metadata: EventMetadata(actor: "t", source: "t"), occurredAt: workload.start,
                recordedAt: workload.start, hash: [])
        }
        let events = workload.recorded(count: 200, recordedAt: workload.start)
        var clock = workload.start
        var projector = ExposureProjector(evaluatedAt: clock).step(subscriptions, at: clock).next
        var tables = Tables()
        var index = 0
        var told: [ExposureNotice] = []
        while index < events.count || projector.nextDue != nil {
            let page = events[index..<min(index + workload.below(8), events.count)]
            index += page.count
            clock = clock.adding(seconds: Int64(workload.below(Int(workload.span / 40))))
            let before = tables.composed
            let step = projector.step(page, at: clock)
            tables.apply(step.changes)
            projector = step.next
            let after = tables.composed
            var expected: [ExposureNotice] = []
            for key in Set(before.keys).union(after.keys).sorted() {
                guard let organization = (after[key] ?? before[key])?.organization, listening.contains(organization),
                    let type = ExposureMessageType.of(previous: before[key], current: after[key])
                else { continue }
                expected.append(ExposureNotice(type: type, previous: before[key], current: after[key]))
            }
            let notices = step.changes.notices.map {
                ExposureNotice(type: $0.type, previous: $0.previous, current: $0.current)
            }
            #expect(notices == expected, "seed \(seed), after event \(index) at \(clock)")
            if notices != expected { return told }
            told += notices
        }
        return told
    }

    /// Over all seeds, subscribers were told of changes, pauses among them (a change nobody stores).
    @Test func noticesIncludePauses() {
        let notices = (0..<40).flatMap { noticesOfComposedChanges(seed: $0) }
        #expect(notices.count > 50)
        #expect(
            notices.contains { $0.previous != nil && $0.current != nil && $0.previous?.paused != $0.current?.paused })
    }

    /// A restarted projector (the fold restored up to the checkpoint, the tables as they were) continues exactly,
    /// including facts that were still in the future when it stopped.
    @Test(arguments: 0..<20)
    func aRestoredProjectorContinuesAsTheOneThatStopped(seed: Int) {
        var workload = RandomWorkload(seed: UInt64(seed) + 1000)
        let events = workload.recorded(count: 120, recordedAt: workload.start)
        let middle = workload.start.adding(seconds: workload.span / 2)
        let first = ExposureProjector(evaluatedAt: workload.start).step(events.prefix(60), at: middle)
        var tables = Tables()
        tables.apply(first.changes)
        var restored = ExposureProjector(evaluatedAt: middle)
        restored.restore(events.prefix(60))
        #expect(restored.pending.map(\.id) == first.next.pending.map(\.id))
        let end = workload.start.adding(seconds: workload.span)
        let step = restored.step(events.dropFirst(60), at: end)
        tables.apply(step.changes)
        #expect(tables == Tables(step.next.chain, at: end))
    }

    @Test func aFactStampedInTheFutureIsScheduledAndShownWhenItsTimeComes() {
        var workload = RandomWorkload(seed: 1)
        let s = Fixture.slug
        let now = workload.time()
        func recorded(_ event: DomainEvent, at time: Timestamp, _ position: Int64) -> RecordedEvent {
            RecordedEvent(
                id: .init(), stream: event.stream, version: 1, position: position, event: event,
                metadata: EventMetadata(actor: "t", source: "t"), occurredAt: time, recordedAt: now, hash: [])
        }
        let past = now.adding(seconds: -86_400)
        let world: [RecordedEvent] = [
            recorded(
                .modelRegistered(ModelRegistered(model: s("m"), name: "M", provider: s("p"), openWeights: false)),
                at: past, 1),
            recorded(
                .supplyLinkRecorded(
                    SupplyLinkRecorded(vendor: s("v"), provider: s("p"), dataKinds: [.rlhf], models: [])), at: past, 2),
            recorded(
                .organizationRegistered(OrganizationRegistered(organization: s("o"), name: "O", sector: "x")), at: past,
                3),
            recorded(
                .modelDeployed(
                    ModelDeployed(
                        deployment: s("d"), organization: s("o"), model: s("m"), workload: "w", criticality: .high)),
                at: past, 4),
            recorded(
                .breachReported(
                    BreachReported(
                        incident: s("i"), vendor: s("v"), severity: .high, summary: "s", dataKinds: [], providers: [],
                        sources: [], disclosedAt: nil)),
                at: now.adding(seconds: 30), 5),
        ]
        var tables = Tables()
        let first = ExposureProjector(evaluatedAt: past).step(world, at: now)
        tables.apply(first.changes)
        #expect(first.changes.exposures.isEmpty)
        #expect(first.next.nextDue == now.adding(seconds: 30))
        let early = first.next.step([], at: now.adding(seconds: 29))
        #expect(early.changes.exposures.isEmpty)
        let due = early.next.step([], at: now.adding(seconds: 30))
        tables.apply(due.changes)
        #expect(due.changes.exposures.map(\.deployment) == [s("d")])
        #expect(tables.summaries[s("o")]?.exposedDeployments == 1)
        #expect(due.next.nextDue == nil)
    }

    /// Two consecutive pages share an exposure row exactly when one writes or deletes a key the other writes or
    /// deletes (the leader then writes the later page only after the earlier has committed).
    @Test(arguments: 0..<20)
    func pagesShareExposureRowsWhenTheirKeysMeet(seed: Int) {
        var workload = RandomWorkload(seed: UInt64(seed) + 4400)
        let events = workload.recorded(count: 200, recordedAt: workload.start)
        var (projector, clock) = (ExposureProjector(evaluatedAt: workload.start), workload.start)
        var steps: [ReadModelChanges] = []
        for start in stride(from: 0, to: events.count, by: 10) {
            clock = clock.adding(seconds: Int64(workload.span / 20))
            let step = projector.step(events[start..<min(start + 10, events.count)], at: clock)
            steps.append(step.changes)
            projector = step.next
        }
        func keys(_ changes: ReadModelChanges) -> Set<ReadModelChanges.Key> {
            Set(changes.exposures.map(\.key)).union(changes.removedExposures)
        }
        var apart = 0
        for (earlier, later) in zip(steps, steps.dropFirst()) {
            let meet = !keys(earlier).isDisjoint(with: keys(later))
            #expect(earlier.sharesExposureRows(with: later) == meet)
            #expect(later.sharesExposureRows(with: earlier) == meet)
            if !meet && !keys(later).isEmpty { apart += 1 }
        }
        #expect(apart > 0, "seed \(seed): no page wrote rows apart from the one before it")
        // A page deleting a row another writes shares it, either way round.
        if let row = steps.lazy.flatMap(\.exposures).first {
            var (writes, deletes) = (ReadModelChanges(), ReadModelChanges())
            writes.exposures = [row]
            deletes.removedExposures = [row.key]
            #expect(writes.sharesExposureRows(with: deletes) && deletes.sharesExposureRows(with: writes))
            #expect(!writes.sharesExposureRows(with: ReadModelChanges()))
        }
    }
}

/// A postmortem folds only the facts bearing on its incident and evaluates the incident's rows only after facts
/// that can reach them; it must say exactly what folding the whole world and evaluating at every step says, for
/// logs full of findings and unrelated facts.
@Suite struct PostmortemSkippingTests {
    @Test(arguments: 0..<40)
    func shortcutsChangeNothing(seed: Int) async {
        var workload = RandomWorkload(seed: UInt64(seed) + 9000)
        let events = workload.recorded(count: 250, recordedAt: workload.start)
        var compared = 0
        for incident in (0..<4).map({ Fixture.slug("i\($0)") }) {
            await Task.yield()  // CPU-bound: see incrementalStepsEqualARebuildAtEveryMoment
            let fast = Postmortem.of(incident, events: events, now: .now)
            let world = Postmortem.of(incident, events: events, now: .now, everyStep: false, wholeWorld: true)
            let every = Postmortem.of(incident, events: events, now: .now, everyStep: true, wholeWorld: true)
            #expect(fast == world, "seed \(seed), \(incident): folding the incident's neighbourhood only")
            #expect(world == every, "seed \(seed), \(incident): skipping steps")
            if let every, every.timeline.count > 3 { compared += 1 }
        }
        #expect(compared > 0 || seed % 7 == 0)
    }
}
