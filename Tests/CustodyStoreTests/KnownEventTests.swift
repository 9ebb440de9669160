import CustodyCore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CustodyStore

/// The log accepts only what every reader can read (schema/012).
@Suite struct KnownEventTests {
    static func append(type: String, schemaVersion: Int = 1, data: String) -> String {
        """
        SELECT * FROM custody_append(ARRAY['vendor-odd'], ARRAY[-1::bigint], ARRAY[gen_random_uuid()], ARRAY['vendor-odd'],
            ARRAY['\(type)'], ARRAY[\(schemaVersion)], ARRAY['\(data)'], ARRAY['{"actor": "t", "source": "t"}'], ARRAY[custody_micros(now())])
        """
    }

    @Test func theSQLCatalogIsCustodyCoresCatalog() async throws {
        try await TestDatabase.with { database in
            for payload in DomainEvent.catalog {
                for (version, known) in [(payload.schemaVersion, true), (payload.schemaVersion + 1, false), (0, false)]
                {
                    for try await answer in try await database.query(
                        "SELECT custody_known_event(\(payload.type), \(Int32(version)))"
                    ).decode(Bool.self) {
                        #expect(answer == known, "\(payload.type) v\(version)")
                    }
                }
            }
            for try await answer in try await database.query("SELECT custody_known_event('NoSuchEvent', 1)").decode(
                Bool.self)
            {
                #expect(answer == false)
            }
        }
    }

    @Test func anUnreadableEventIsRefusedAndNothingWritten() async throws {
        try await TestDatabase.with { database in
            for statement in [
                Self.append(type: "NoSuchEvent", data: #"{"vendor": "odd"}"#),
                Self.append(type: "VendorRegistered", schemaVersion: 9, data: #"{"vendor": "odd", "name": "O"}"#),
                Self.append(type: "VendorRegistered", data: "[1, 2]"),
            ] {
                do {
                    for try await _ in try await database.query(PostgresQuery(unsafeSQL: statement)) {}
                    Issue.record("accepted: \(statement)")
                } catch {
                    #expect("\(Database.translate(error))".contains("the log accepts only event types"), "\(error)")
                }
            }
            let written = try await EventStore(database).readLog(after: .start, limit: 10).entries
            #expect(written.isEmpty)
        }
    }

    /// A row written before the rule (the constraint is NOT VALID, so such a log still migrates) is named by verify.
    @Test func verifyNamesAnUnreadableRowOfAnOlderLog() async throws {
        try await TestDatabase.with { database in
            try await database.query("ALTER TABLE custody_events DROP CONSTRAINT custody_events_readable")
            for try await _ in try await database.query(
                PostgresQuery(unsafeSQL: Self.append(type: "NoSuchEvent", data: #"{"vendor": "odd"}"#)))
            {}
            try await database.query(
                """
                ALTER TABLE custody_events ADD CONSTRAINT custody_events_readable CHECK (custody_known_event(type, schema_version)
                    AND jsonb_typeof(data) = 'object' AND jsonb_typeof(metadata) = 'object') NOT VALID
                """)
            let report = try await Verifier(database).verify()
            #expect(
                report.problems.first?.reason.contains("a NoSuchEvent of schema version 1 that no reader can read")
                    == true, "\(report.problems)")
            // A reader that meets it names it instead of failing silently.
            do {
                // By stream, not through the horizon-bound log reader: other suites' transactions may hold that back.
                _ = try await EventStore(database).read(streams: [.vendor(Fixture.slug("odd"))])
                Issue.record("the unreadable event was read")
            } catch {
                #expect(
                    "\(error)".contains("the event at position 1 (stream vendor-odd, version 1, type NoSuchEvent"),
                    "\(error)")
            }
        }
    }
}
