import CustodyCore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CustodyStore

@Suite struct FoldSnapshotTests {
    /// The fold straight from the whole log, without any snapshot: the oracle.
    func logFold(_ store: EventStore, knownAt: Timestamp? = nil) async throws -> SupplyChain {
        var chain = SupplyChain()
        for entry in try await store.waitForLog(count: 0) where knownAt.map({ entry.event.recordedAt <= $0 }) ?? true {
            chain.apply(entry.event)
        }
        return chain
    }

    /// Appends a seeded random log in batches (so record times differ), snapshots it midway; every answer that
    /// folds the snapshot and the log after it equals the answer from the whole log, for every clock.
    @Test(arguments: 0..<3)
    func answersWithAndWithoutSnapshotsAreIdentical(seed: Int) async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            var workload = RandomWorkload(seed: UInt64(seed) + 500)
            let events = workload.proposed(count: 240) + (0..<20).map { Fixture.finding("n\($0 % 6)", "finding \($0)") }
            var recordTimes: [Timestamp] = []
            for (index, start) in stride(from: 0, to: events.count, by: 20).enumerated() {
                _ = try await store.append(Array(events[start..<min(start + 20, events.count)]))
                if index == 6 {
                    let log = try await store.waitForLog(count: start + 20)
                    let snapshot = try await store.snapshot(upTo: log[log.count - 1].cursor)
                    #expect(snapshot.events == Int64(start + 20))
                    try await snapshot.store(database)
                }
                recordTimes.append(Timestamp.now)
                try await Task.sleep(for: .milliseconds(5))
            }
            let log = try await store.waitForLog(count: events.count)
            #expect(log.count == events.count)
            let snapshot = try #require(try await FoldSnapshot.newest(database))
            #expect(snapshot.events == 140)
            #expect(snapshot.facts.count < 140, "findings are kept out of snapshots")
            let now = Timestamp.now
            let whole = try await logFold(store)
            let folded = try await store.supplyChain()
            #expect(folded == whole)
            #expect(folded.exposures(at: now) == whole.exposures(at: now))
            // A postmortem reads the snapshot, the log after it, and its findings apart (not decoded as events):
            // the same report as from the whole log, findings included.
            let everything = try await store.waitForLog(count: 0).map(\.event)
            var findingsShown = 0
            for incident in whole.incidentIds {
                let facts = try await store.postmortemFacts(of: incident)
                let read = Postmortem.of(incident, facts: facts, now: now)
                #expect(read == Postmortem.of(incident, events: everything, now: now), "\(incident)")
                findingsShown += read?.timeline.filter { $0.type == InvestigationFindingRecorded.type }.count ?? 0
            }
            #expect(findingsShown > 0, "no finding reached a postmortem: the comparison proves nothing")
            for knownAt in [recordTimes[2], recordTimes[6], recordTimes[9]] {
                let then = try await store.supplyChain(knownAt: knownAt)
                let oracle = try await logFold(store, knownAt: knownAt)
                #expect(then == oracle, "known at \(knownAt)")
                #expect(then.organizationViews(at: knownAt) == oracle.organizationViews(at: knownAt))
            }
        }
    }

    /// A snapshot whose body was altered, or of a format this version does not know, is never trusted: answers
    /// come from the log; and the leading projector replaces it.
    @Test func corruptAndUnknownSnapshotsAreIgnoredAndReplaced() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            for event in Workload.mixed() { _ = try await store.append([event]) }
            _ = try await store.waitForLog(count: Workload.mixed().count)
            _ = try await ExposureProjection.rebuild(store)
            let good = try #require(try await FoldSnapshot.newest(database))
            #expect(good.events == Int64(Workload.mixed().count))
            let whole = try await logFold(store)

            // An altered body (one byte of the compressed lines): the checksum no longer matches.
            try await database.query(
                "UPDATE custody_fold_snapshots SET body = set_byte(body, length(body) / 2, 255 - get_byte(body, length(body) / 2))"
            )
            #expect(try await FoldSnapshot.newest(database) == nil)
            #expect(try await store.supplyChain() == whole)
            try await database.query("DELETE FROM custody_fold_snapshots")

            _ = try await ExposureProjection.rebuild(store)
            try await database.query("UPDATE custody_fold_snapshots SET format = 99")
            #expect(try await FoldSnapshot.newest(database) == nil)
            #expect(try await store.supplyChain() == whole)

            let projection = ExposureProjection(store)
            try await projection.start()
            let runner = Task { try await projection.run(pollInterval: .milliseconds(50)) }
            defer { runner.cancel() }
            let deadline = ContinuousClock.now + .seconds(20)
            var replaced: FoldSnapshot?
            while true {
                replaced = try await FoldSnapshot.newest(database)
                guard replaced == nil, ContinuousClock.now < deadline else { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(replaced?.events == Int64(Workload.mixed().count))
            #expect(try await store.supplyChain() == whole)
        }
    }
}
