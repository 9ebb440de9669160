import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

@Suite struct VerifyTests {
    func seed(_ store: EventStore) async throws {
        _ = try await store.append([Fixture.vendor("mercor"), Fixture.vendor("appen")])
        for index in 1...3 { _ = try await store.append([Fixture.finding("inv", "finding \(index)")]) }
    }

    @Test func anUntouchedLogVerifies() async throws {
        try await TestDatabase.with { database in
            try await seed(EventStore(database))
            let report = try await Verifier(database).verify()
            #expect(report.intact)
            #expect(report.events == 5)
            #expect(report.streams == 3)
        }
    }

    @Test func aTamperedRowIsCaughtAtItsVersion() async throws {
        try await TestDatabase.with { database in
            try await seed(EventStore(database))
            // A superuser can disable the trigger; the hash chain still tells.
            try await database.query("ALTER TABLE custody_events DISABLE TRIGGER custody_events_no_update")
            try await database.query(
                """
                UPDATE custody_events SET data = jsonb_set(data, '{finding}', '"nothing happened"')
                WHERE stream_id = 'investigation-inv' AND stream_version = 2
                """)
            let report = try await Verifier(database).verify()
            #expect(report.problems.count == 1)
            #expect(report.problems.first?.stream == "investigation-inv")
            #expect(report.problems.first?.version == 2)
            #expect(report.problems.first?.reason.contains("altered") == true)
        }
    }

    @Test func aDeletedEventBreaksContiguity() async throws {
        try await TestDatabase.with { database in
            try await seed(EventStore(database))
            try await database.query("ALTER TABLE custody_events DISABLE TRIGGER custody_events_no_update")
            try await database.query(
                "DELETE FROM custody_events WHERE stream_id = 'investigation-inv' AND stream_version = 2")
            let report = try await Verifier(database).verify()
            #expect(report.problems.map(\.stream) == ["investigation-inv"])
            #expect(report.problems.first?.version == 3)
        }
    }
}
