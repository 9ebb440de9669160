import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite struct AppendTests {
    @Test func idempotentRetryStoresTheEventOnce() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let event = Fixture.vendor("mercor")
            let first = try await store.append([event], expecting: [event.event.stream: .noStream])
            // The retry expects no stream again, as a retried command would: the stored result wins.
            let retry = try await store.append([event], expecting: [event.event.stream: .noStream])
            #expect(first.map(\.duplicate) == [false])
            #expect(retry.map(\.duplicate) == [true])
            #expect(retry.first?.recorded == first.first?.recorded)
            let all = try await store.read(streams: [event.event.stream])
            #expect(all.count == 1)
        }
    }

    @Test func theSameIdWithDifferentContentIsRejected() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let event = Fixture.vendor("mercor")
            _ = try await store.append([event])
            var changed = event
            changed.event = .vendorRegistered(VendorRegistered(vendor: Fixture.slug("mercor"), name: "Other"))
            await #expect(throws: StoreError.conflictingEventId(event.id)) { try await store.append([changed]) }
        }
    }

    @Test func staleExpectedVersionFailsWithTheActualVersion() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            _ = try await store.append([Fixture.vendor("mercor")])
            let stream = StreamName.vendor(Fixture.slug("mercor"))
            await #expect(
                throws: StoreError.wrongExpectedVersion(stream: "vendor-mercor", expected: .noStream, actual: 1)
            ) {
                try await store.append([Fixture.vendor("mercor")], expecting: [stream: .noStream])
            }
            await #expect(
                throws: StoreError.wrongExpectedVersion(stream: "vendor-mercor", expected: .exact(3), actual: 1)
            ) {
                try await store.append([Fixture.vendor("mercor")], expecting: [stream: .exact(3)])
            }
            let events = try await store.read(streams: [stream])
            #expect(events.count == 1)
        }
    }

    @Test func aMultiEventAppendGetsConsecutiveVersionsAndIsAllOrNothing() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let investigation = StreamName.investigation(Fixture.slug("inv"))
            let appended = try await store.append([
                Fixture.finding("inv", "a"), Fixture.finding("inv", "b"), Fixture.vendor("x"),
            ])
            #expect(appended.map(\.recorded.version) == [1, 2, 1])
            // The second batch fails on its vendor stream, so its finding must not be written either.
            await #expect(throws: StoreError.self) {
                try await store.append(
                    [Fixture.finding("inv", "c"), Fixture.vendor("x")],
                    expecting: [.vendor(Fixture.slug("x")): .noStream])
            }
            #expect(try await store.read(streams: [investigation]).count == 2)
        }
    }

    @Test func concurrentAppendsToOneStreamHaveExactlyOneWinnerPerVersion() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let stream = StreamName.investigation(Fixture.slug("inv"))
            _ = try await store.append([Fixture.finding("inv", "first")])
            let writers = 16
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<writers {
                    group.addTask {
                        do {
                            _ = try await store.append(
                                [Fixture.finding("inv", "w\(index)")], expecting: [stream: .exact(1)])
                            return true
                        } catch StoreError.wrongExpectedVersion(_, _, let actual) {
                            #expect(actual == 2)
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            let events = try await store.read(streams: [stream])
            #expect(events.map(\.version) == [1, 2])
        }
    }

    @Test func theLogRefusesUpdateDeleteAndTruncate() async throws {
        try await TestDatabase.with { database in
            _ = try await EventStore(database).append([Fixture.vendor("mercor")])
            for statement in [
                "UPDATE custody_events SET type = 'X'", "DELETE FROM custody_events", "TRUNCATE custody_events",
            ] {
                do {
                    try await database.query(PostgresQuery(unsafeSQL: statement))
                    Issue.record("\(statement) was allowed")
                } catch let error as StoreError {
                    #expect(error.description.contains("append-only"), "\(error)")
                }
            }
            #expect(try await EventStore(database).read(streams: [.vendor(Fixture.slug("mercor"))]).count == 1)
        }
    }

    @Test func theApplicationRoleCannotAlterTheLog() async throws {
        let url = try await TestDatabase.create()
        let appURL = try url.role("custody_app")
        try await Database.with(appURL, maximumConnections: 1) { database in
            _ = try await EventStore(database).append([Fixture.vendor("mercor")])
            await #expect(throws: StoreError.self) {
                try await database.query("ALTER TABLE custody_events DISABLE TRIGGER custody_events_no_update")
            }
            for statement in [
                "DELETE FROM custody_events", "UPDATE custody_events SET data = '{}'", "TRUNCATE custody_events",
                "UPDATE custody_tokens SET admin = true",
                "DELETE FROM custody_access_log",
            ] {
                do {
                    try await database.query(PostgresQuery(unsafeSQL: statement))
                    Issue.record("custody_app was allowed: \(statement)")
                } catch let error as StoreError {
                    #expect(
                        error.description.contains("permission denied") || error.description.contains("append-only"),
                        "\(statement): \(error)")
                }
            }
            #expect(try await EventStore(database).read(streams: [.vendor(Fixture.slug("mercor"))]).count == 1)
        }
    }

    @Test func aLogWithTransactionIdsFromTheFutureRefusesAppends() async throws {
        try await TestDatabase.with { database in
            // What a table copied from another cluster looks like: stored xids above this cluster's counter.
            try await database.query(
                """
                INSERT INTO custody_events (event_id, stream_id, stream_version, type, schema_version, data, metadata,
                                            occurred_at, recorded_at, xid, hash)
                VALUES (gen_random_uuid(), 'vendor-old', 1, 'VendorRegistered', 1, '{"vendor": "old", "name": "Old"}',
                        '{"actor": "t", "source": "t"}', now(), now(), '900000000000'::xid8, '\\x00')
                """)
            await #expect(throws: StoreError.restoredIntoNewCluster) {
                try await EventStore(database).append([Fixture.vendor("mercor")])
            }
        }
    }

    @Test func recordValidatesAgainstTheNamedStreams() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let model = Fixture.proposed(
                ModelRegistered(
                    model: Fixture.slug("gpt-5"), name: "GPT-5", provider: Fixture.slug("openai"), openWeights: false))
            await #expect(throws: CustodyError.unknown(what: "provider", id: "openai")) {
                try await store.record(model)
            }
            _ = try await store.record(Fixture.provider("openai"))
            let recorded = try await store.record(model)
            #expect(recorded.recorded.version == 1)
            // A retry of a committed command returns the stored event instead of "already registered".
            let retried = try await store.record(model)
            #expect(retried.duplicate)
        }
    }
}
