import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// Holds an append transaction open on purpose, which holds back the cluster-wide visibility horizon:
/// scripts/test runs this suite alone.
@Suite(.serialized) struct VisibilityHorizonTests {
    @Test func aReaderWaitsForAnEarlierTransactionInsteadOfSkippingIt() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let opened = AsyncStream.makeStream(of: Void.self)
            let release = AsyncStream.makeStream(of: Void.self)
            let held = Task {
                try await database.withTransaction { connection in
                    try await connection.query(
                        """
                        SELECT * FROM custody_append(ARRAY['vendor-early'], ARRAY[0::bigint], ARRAY[gen_random_uuid()],
                            ARRAY['vendor-early'], ARRAY['VendorRegistered'], ARRAY[1], ARRAY['{"vendor":"early","name":"E"}'],
                            ARRAY['{"actor":"t","source":"t"}'], ARRAY[0::bigint])
                        """, logger: database.logger)
                    opened.continuation.yield()
                    var iterator = release.stream.makeAsyncIterator()
                    _ = await iterator.next()
                }
            }
            var openedIterator = opened.stream.makeAsyncIterator()
            _ = await openedIterator.next()
            // A later transaction commits while the earlier one is still open.
            _ = try await store.append([Fixture.vendor("late")])
            let whileOpen = try await store.readLog(after: .start, limit: 100)
            #expect(whileOpen.entries.isEmpty, "the reader passed an open transaction's event")
            release.continuation.yield()
            try await held.value
            let afterCommit = try await store.readLog(after: whileOpen.next, limit: 100)
            #expect(afterCommit.entries.map(\.event.stream.description) == ["vendor-early", "vendor-late"])
        }
    }
}
