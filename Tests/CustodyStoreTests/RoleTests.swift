import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

/// Each process's role may do what that process needs and nothing else; nobody but the owner writes the log or
/// anything else in it except through custody_append (schema/011; the stream heads are its last events, schema/013).
@Suite struct RoleTests {
    static let append = """
        SELECT * FROM custody_append(ARRAY['vendor-forged'], ARRAY[0::bigint], ARRAY[gen_random_uuid()], ARRAY['vendor-forged'],
            ARRAY['VendorRegistered'], ARRAY[1], ARRAY['{"vendor": "forged", "name": "F"}'], ARRAY['{"actor": "t", "source": "t"}'],
            ARRAY[custody_micros(now())])
        """

    /// Every direct write a hostile process could try, forgery first.
    static let forbidden = [
        """
        INSERT INTO custody_events (event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at, hash)
        VALUES (gen_random_uuid(), 'incident-x', 1, 'IncidentResolved', 1, '{"incident": "x"}', '{"actor": "t", "source": "t"}',
                now(), now() - interval '8 months', '\\x00')
        """,
        "UPDATE custody_events SET data = '{}'",
        "TRUNCATE custody_events",
        "ALTER TABLE custody_events DISABLE TRIGGER custody_events_no_update",
        "UPDATE custody_tokens SET admin = true",
        "INSERT INTO custody_tokens (id, secret_hash, organization, admin) VALUES ('0123456789abcdef', '\\x00', NULL, true)",
        "DELETE FROM custody_access_log",
        "SELECT custody_swap_read_models()",
        "DROP TABLE custody_exposures",
        // A webhook message is signed as the projector wrote it; secrets are stored and rotated, never rewritten.
        "UPDATE custody_webhook_outbox SET body = '{}'",
        "DELETE FROM custody_webhook_outbox",
        "UPDATE custody_webhook_secrets SET secret = 'whsec_forged'",
        "DELETE FROM custody_webhook_secrets",
    ]

    func connect(_ url: DatabaseURL, as role: String, _ body: @Sendable (Database) async throws -> Void) async throws {
        let roleURL = try url.role(role)
        try await Database.with(roleURL, maximumConnections: 1) { database in try await body(database) }
    }

    func refuses(_ database: Database, _ statements: [String], role: String) async {
        for statement in statements {
            do {
                for try await _ in try await database.query(PostgresQuery(unsafeSQL: statement)) {}
                Issue.record("\(role) was allowed: \(statement)")
            } catch {
                #expect(
                    "\(error)".contains("permission denied") || "\(error)".contains("must be owner"),
                    "\(role): \(statement): \(error)")
            }
        }
    }

    @Test func theReaderReadsAndRecordsAccessOnly() async throws {
        let url = try await TestDatabase.create()
        try await Database.with(url) { database in _ = try await EventStore(database).append([Fixture.vendor("mercor")])
        }
        try await connect(url, as: "custody_reader") { database in
            #expect(try await EventStore(database).read(streams: [.vendor(Fixture.slug("mercor"))]).count == 1)
            try await database.query(
                "INSERT INTO custody_access_log (at, scope, route, path, status, request_id) VALUES (now(), 'admin', '/v1/x', '/v1/x', 200, 'r')"
            )
            await refuses(
                database,
                Self.forbidden + [
                    Self.append, "DELETE FROM custody_exposures",
                    "INSERT INTO custody_fold_snapshots (format) VALUES (1)",
                ], role: "custody_reader")
        }
    }

    @Test func theWriterAppendsOnlyThroughTheFunction() async throws {
        let url = try await TestDatabase.create()
        try await connect(url, as: "custody_writer") { database in
            let store = EventStore(database)
            _ = try await store.record(Fixture.vendor("mercor"))
            _ = try await store.record(Fixture.provider("openai"))
            #expect(try await store.read(streams: [.vendor(Fixture.slug("mercor"))]).count == 1)
            await refuses(
                database,
                Self.forbidden + [
                    "DELETE FROM custody_exposures",
                    "INSERT INTO custody_access_log (at, scope, route, path, status, request_id) VALUES (now(), 'a', 'r', 'p', 1, 'r')",
                ],
                role: "custody_writer")
        }
    }

    @Test func theProjectorKeepsTheReadModelsAndNothingElse() async throws {
        let url = try await TestDatabase.create()
        let events = Workload.mixed(organizations: 2)
        try await Database.with(url) { database in
            for event in events { _ = try await EventStore(database).append([event]) }
        }
        try await connect(url, as: "custody_projector") { database in
            let projection = ExposureProjection(EventStore(database))
            try await projection.start()
            // Readers see the log below the cluster's oldest transaction, which another suite may hold a while; while
            // it is held, `lag` is 0 with events still hidden above it, so wait for every event instead.
            var applied = try await projection.catchUp()
            let deadline = ContinuousClock.now + .seconds(60)
            while applied < events.count && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                applied += try await projection.catchUp()
            }
            #expect(applied == events.count)
            #expect(try await ExposureProjection.lag(database) == 0)
            await refuses(database, Self.forbidden, role: "custody_projector")
        }
    }

    /// `serve`'s role answers, records access and leads the projector, but cannot forge an event either.
    @Test func theServersRoleCannotForgeTheLog() async throws {
        let url = try await TestDatabase.create()
        try await connect(url, as: "custody_app") { database in
            _ = try await EventStore(database).append([Fixture.vendor("mercor")])
            try await database.query(
                "INSERT INTO custody_access_log (at, scope, route, path, status, request_id) VALUES (now(), 'admin', '/v1/x', '/v1/x', 200, 'r')"
            )
            // It delivers webhooks: it records what became of a message (and nothing else of it).
            try await database.query(
                "UPDATE custody_webhook_outbox SET attempts = attempts + 1, last_error = NULL WHERE false")
            await refuses(database, Self.forbidden, role: "custody_app")
        }
    }
}
