import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// Holds an append transaction open on purpose, which holds back the cluster-wide visibility horizon:
/// scripts/test runs this suite alone.
@Suite(.serialized) struct VisibilityHorizonTests {
    @Test func aReaderWaitsForAnEarlierTransactionInsteadOfSkippingIt() async throws {
        try await TestDatabase.with(on: .horizon) { database in
            let store = EventStore(database)
            let whileOpen = try await Fixture.withEarlyAppendHeldOpen(database) {
                // A later transaction commits while the earlier one is still open.
                _ = try await store.append([Fixture.vendor("late")])
                let whileOpen = try await store.readLog(after: .start, limit: 100)
                #expect(whileOpen.entries.isEmpty, "the reader passed an open transaction's event")
                return whileOpen
            }
            let afterCommit = try await store.readLog(after: whileOpen.next, limit: 100)
            #expect(afterCommit.entries.map(\.event.stream.description) == ["vendor-early", "vendor-late"])
        }
    }

    /// A present view asks whether the read models are current in the statement that also says whether anything
    /// was in progress: a fact committed behind an open transaction must still count once that one ends.
    @Test func whetherTheReadModelsAreCurrentWaitsForAnEarlierTransaction() async throws {
        try await TestDatabase.with(on: .horizon) { database in
            let store = EventStore(database)
            _ = try await ExposureProjection.rebuild(store)
            let asked = try await Fixture.withEarlyAppendHeldOpen(database) {
                _ = try await store.append([Fixture.vendor("late")])
                let asked = Task { try await ExposureProjection.behind(database) }
                // Long enough for the question to be asked while the early transaction is still open.
                try await Task.sleep(for: .milliseconds(500))
                return asked
            }
            #expect(
                try await asked.value == 2,
                "both facts committed before the answer, read models checkpointed before them")
        }
    }

    @Test func aLongOpenTransactionIsReportedAsTheStallsCause() async throws {
        let url = try await TestDatabase.create(on: .horizon)
        try await Database.with(url) { database in
            let store = EventStore(database)
            let opened = AsyncStream.makeStream(of: Int32.self)
            let release = AsyncStream.makeStream(of: Void.self)
            let held = Task {
                try await database.withTransaction { connection in
                    var pid: Int32 = 0
                    for try await value in try await connection.query(
                        "SELECT pg_backend_pid(), txid_current()", logger: database.logger
                    )
                    .decode((Int32, Int64).self) { pid = value.0 }
                    opened.continuation.yield(pid)
                    var iterator = release.stream.makeAsyncIterator()
                    _ = await iterator.next()
                }
            }
            var openedIterator = opened.stream.makeAsyncIterator()
            let pid = await openedIterator.next()
            _ = try await store.append([Fixture.vendor("waiting")])
            try await Task.sleep(for: .seconds(5.5))
            let horizon = try await store.horizon()
            #expect(horizon.heldBack == 1)
            #expect(horizon.holder?.pid == pid && horizon.holder?.state == "idle in transaction")
            #expect(horizon.isStalled())
            let status = try await CLI(databaseURL: url).run(["projections", "status", "--json"])
            #expect(
                status.stdout.contains("\"stalledBy\": {") && status.stdout.contains("\"heldBack\": 1"),
                "\(status.stdout)")
            let human = try await CLI(databaseURL: url).run(["projections", "status"])
            #expect(
                human.stdout.contains("stalled: 1 committed event(s) wait behind the transaction of pid \(pid ?? 0)"),
                "\(human.stdout)")
            let server = try await ServerProcess(CLI(databaseURL: url), arguments: ["--no-auth"])
            let ready = try await server.http.get("/ready")
            #expect(
                ready.status == 503 && ready.text.contains("held back by the transaction of pid \(pid ?? 0)"),
                "\(ready.text)")
            _ = try await server.stop()
            release.continuation.yield()
            try await held.value
            #expect(try await store.horizon().heldBack == 0)
        }
    }
}
