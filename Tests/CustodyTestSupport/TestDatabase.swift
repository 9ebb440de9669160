import CustodyCore
import CustodyStore
import Foundation
import Logging
import PostgresNIO

/// A fresh, migrated database on a cluster scripts/test started, one per test, so tests run in parallel.
public enum TestDatabase {
    /// Readers see the log only below the oldest open transaction of the whole cluster, so tests that hold
    /// transactions open on purpose (store suites racing imports and appends, the horizon test) would make the
    /// end-to-end tests' commands wait. scripts/test starts a cluster for each kind; with only
    /// `CUSTODY_TEST_DATABASE_URL` set, every kind shares it.
    public enum Cluster: String, Sendable {
        case store = "CUSTODY_TEST_DATABASE_URL"
        case endToEnd = "CUSTODY_TEST_E2E_DATABASE_URL"
        case horizon = "CUSTODY_TEST_HORIZON_DATABASE_URL"
        /// A primary with a streaming hot standby (CUSTODY_TEST_REPLICA_STANDBY_URL), for reads from a standby.
        case replica = "CUSTODY_TEST_REPLICA_PRIMARY_URL"
    }

    /// The cluster's URL, from scripts/test.
    public static func clusterURL(_ cluster: Cluster = .store) throws -> DatabaseURL {
        let environment = ProcessInfo.processInfo.environment
        guard
            let text = environment[cluster.rawValue].flatMap({ $0.isEmpty ? nil : $0 })
                ?? environment[Cluster.store.rawValue],
            !text.isEmpty
        else {
            throw StoreError.configuration("CUSTODY_TEST_DATABASE_URL is not set: run the tests with scripts/test")
        }
        return try DatabaseURL(text)
    }

    /// Creates an empty database and returns its URL; `migrated` gives it the schema, as a copy of a database the
    /// migrator migrated once per cluster (migrating each test's database took ~0.4 s of the cluster's two cores).
    public static func create(migrated: Bool = true, on cluster: Cluster = .store) async throws -> DatabaseURL {
        let server = try clusterURL(cluster)
        let template = migrated ? try await templates.template(on: server).value : nil
        return try await createDatabase(on: server, copying: template).url
    }

    static let quiet: Logger = {
        var logger = Logger(label: "custody.test")
        logger.logLevel = .warning
        return logger
    }()

    private static func createDatabase(on server: DatabaseURL, copying template: String?) async throws -> (
        url: DatabaseURL, name: String
    ) {
        let name = String("t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20))
        try await Database.with(server, logger: quiet, maximumConnections: 1) { admin in
            // Names made here, never from input.
            let copy = template.map { " TEMPLATE \($0)" } ?? ""
            try await admin.query("CREATE DATABASE \(unescaped: name)\(unescaped: copy)")
        }
        return (try server.with(database: name), name)
    }

    /// The migrated database each cluster's test databases are copied from, made on first use.
    private static let templates = Templates()

    private actor Templates {
        private var made: [String: Task<String, any Error>] = [:]

        func template(on server: DatabaseURL) -> Task<String, any Error> {
            if let task = made[server.text] { return task }
            let task = Task<String, any Error> {
                let (url, name) = try await TestDatabase.createDatabase(on: server, copying: nil)
                try await Database.with(url, logger: TestDatabase.quiet, maximumConnections: 1) { database in
                    try await Migrator(database).migrate()
                }
                // The pool is closed: a database being copied must have no session open (PostgreSQL waits up to
                // five seconds for one that is ending).
                return name
            }
            made[server.text] = task
            return task
        }
    }

    /// Runs `body` with a fresh migrated database.
    public static func with<R: Sendable>(
        maximumConnections: Int = 20, on cluster: Cluster = .store, _ body: @Sendable (Database) async throws -> R
    ) async throws -> R {
        let url = try await create(on: cluster)
        return try await Database.with(url, maximumConnections: maximumConnections, body)
    }
}

/// Small builders for events, so tests read like the facts they record.
public enum Fixture {
    public static func slug(_ text: String) -> Slug {
        // Fixtures are written by hand in tests; an invalid one is a bug in the test.
        guard let slug = try? Slug(text) else { preconditionFailure("invalid fixture slug \(text)") }
        return slug
    }

    public static func at(_ text: String) -> Timestamp {
        guard let time = try? Timestamp(parsing: text) else { preconditionFailure("invalid fixture time \(text)") }
        return time
    }

    public static func proposed(_ payload: any EventPayload, at time: String = "2026-01-01", id: UUID = UUID())
        -> ProposedEvent
    {
        ProposedEvent(
            id: id, event: payload.event, metadata: EventMetadata(actor: "test", source: "test"), occurredAt: at(time))
    }

    /// `events` as the log would record them in this order: positions from 1, each at `recordedAt` (when it
    /// happened, when nil).
    public static func recorded(_ events: [ProposedEvent], at recordedAt: Timestamp? = nil) -> [RecordedEvent] {
        events.enumerated().map { index, event in
            RecordedEvent(
                id: event.id, stream: event.event.stream, version: 1, position: Int64(index + 1), event: event.event,
                metadata: event.metadata, occurredAt: event.occurredAt, recordedAt: recordedAt ?? event.occurredAt,
                hash: [])
        }
    }

    public static func vendor(_ id: String) -> ProposedEvent {
        proposed(VendorRegistered(vendor: slug(id), name: id.capitalized))
    }

    public static func provider(_ id: String) -> ProposedEvent {
        proposed(ProviderRegistered(provider: slug(id), name: id.capitalized))
    }

    public static func finding(_ investigation: String, _ text: String) -> ProposedEvent {
        proposed(InvestigationFindingRecorded(investigation: slug(investigation), finding: text))
    }

    /// What findings need first, in a history consistent in time: a breach at mercor (2025-12-01) and these
    /// investigations of it by openai, opened 2025-12-15 (findings are stamped 2026-01-01). Register the vendor
    /// and the provider before.
    public static func investigations(_ ids: [String]) -> [ProposedEvent] {
        [
            proposed(
                BreachReported(
                    incident: slug("b1"), vendor: slug("mercor"), severity: .high, summary: "s", dataKinds: [],
                    providers: [],
                    sources: [], disclosedAt: nil), at: "2025-12-01")
        ]
            + ids.map {
                proposed(
                    InvestigationOpened(investigation: slug($0), incident: slug("b1"), provider: slug("openai")),
                    at: "2025-12-15")
            }
    }
}

extension EventStore {
    /// The whole log once `count` events are visible. Suites share one cluster, and any suite's open transaction
    /// holds back the cluster-wide visibility horizon for a moment, so a single read may legitimately see less.
    public func waitForLog(count: Int, timeout: Duration = .seconds(20)) async throws -> [LogEntry] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let entries = try await readLog(after: .start, limit: 100_000).entries
            if entries.count >= count || ContinuousClock.now > deadline { return entries }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// The exposure read models as text, row by row, for comparing two ways of building them.
public enum ReadModels {
    public static func rows(_ database: Database) async throws -> [String] {
        var rows: [String] = []
        for (table, order) in [
            ("custody_exposures", "deployment, incident"), ("custody_organization_views", "organization"),
            ("custody_deployments", "deployment"),
            ("custody_pauses", "provider, vendor"), ("custody_investigation_states", "incident, provider"),
        ] {
            let query = PostgresQuery(unsafeSQL: "SELECT row_to_json(t)::text FROM \(table) t ORDER BY \(order)")
            for try await text in try await database.query(query).decode(String.self) { rows.append(text) }
        }
        return rows
    }
}

extension DatabaseURL {
    /// The same database as one of the process roles of schema/011 (`custody_writer`, `custody_app`, …).
    public func role(_ name: String) throws -> DatabaseURL {
        try DatabaseURL(text.replacingOccurrences(of: "://custody@", with: "://\(name)@"))
    }
}

extension CLI {
    /// The same binary and database, logging in as one of the process roles.
    public func role(_ name: String) throws -> CLI {
        guard let databaseURL else { throw ExampleScenario.Failed(description: "no database") }
        return CLI(databaseURL: try databaseURL.role(name))
    }
}

extension Fixture {
    /// Runs `body` while an append of `vendor-early` sits in a transaction left open: the cluster's visibility
    /// horizon stays behind it until `body` returns, then it commits.
    public static func withEarlyAppendHeldOpen<R: Sendable>(_ database: Database, _ body: () async throws -> R)
        async throws -> R
    {
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
        let result: Result<R, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        release.continuation.yield()
        try await held.value
        return try result.get()
    }
}
