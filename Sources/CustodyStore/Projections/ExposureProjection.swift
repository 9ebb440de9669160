import CustodyCore
import Crypto
import Foundation
import Logging
import PostgresNIO

/// Keeps the exposure read models (`custody_exposures`, `custody_organization_views`) in step with the log.
///
/// It folds the log into a `SupplyChain`, and after each page of new events writes only the rows whose documents
/// changed, with the checkpoint, in one transaction: a crash between pages loses nothing and repeats nothing.
/// A back-dated event simply changes what the fold answers; the diff writes whatever it touched.
public actor ExposureProjection {
    public static let name = "exposure"
    /// Held (session-level) by the running projector and by a rebuild's swap, so only one writes at a time.
    static let lockKey: Int64 = 7_350_123_900_002

    nonisolated let store: EventStore
    var chain = SupplyChain()
    var cursor = LogCursor.start
    var appliedEvents: Int64 = 0
    /// What the tables hold now, by key, as digests of the JSON text: the diff is taken against this. Digests
    /// rather than the documents themselves keep the server's memory flat (at 1M events the documents ran to
    /// ~80 MB of text, held twice while a page was applied).
    var exposures: [String: DocumentDigest] = [:]
    var organizations: [String: DocumentDigest] = [:]

    /// Told of the fold and its checkpoint after `start` and after every applied page: the API server answers
    /// from the same fold instead of keeping a second one.
    public typealias Observer = @Sendable (SupplyChain, Checkpoint) -> Void
    let observer: Observer?

    public init(_ store: EventStore, observer: Observer? = nil) {
        self.store = store
        self.observer = observer
    }

    private func publish() {
        observer?(chain, Checkpoint(cursor: cursor, events: appliedEvents, updatedAt: .now))
    }

    nonisolated var database: Database { store.database }

    /// Loads the checkpoint and what the tables hold, and folds the log up to the checkpoint.
    public func start() async throws {
        if let checkpoint = try await Self.checkpoint(database) {
            cursor = checkpoint.cursor
            appliedEvents = checkpoint.events
        }
        var position = LogCursor.start
        while position < cursor {
            let page = try await store.readLog(after: position, limit: 5000)
            guard !page.entries.isEmpty else { break }
            for entry in page.entries where entry.cursor <= cursor { chain.apply(entry.event) }
            position = page.next
        }
        exposures = try await Self.digests(database, "SELECT deployment || '/' || incident, \(DocumentDigest.sql) FROM custody_exposures")
        organizations = try await Self.digests(database, "SELECT organization, \(DocumentDigest.sql) FROM custody_organization_views")
        publish()
    }

    /// Applies every visible event after the checkpoint, a page per transaction; returns how many.
    @discardableResult
    public func catchUp(pageSize: Int = 5000) async throws -> Int {
        var applied = 0
        while true {
            let page = try await store.readLog(after: cursor, limit: pageSize)
            guard !page.entries.isEmpty else { return applied }
            try await apply(page)
            applied += page.entries.count
        }
    }

    /// Applies one page and writes what changed, with the checkpoint, in one transaction.
    public func apply(_ page: LogPage) async throws {
        for entry in page.entries { chain.apply(entry.event) }
        let views = Views(chain)
        let changes = Changes(old: exposures, new: views.exposures)
        let organizationChanges = Changes(old: organizations, new: views.organizations)
        let next = page.next
        let count = appliedEvents + Int64(page.entries.count)
        let expected = cursor
        let logger = database.logger
        try await database.withTransaction { connection in
            // A rebuild swaps tables under this lock; if it moved the checkpoint, this projector's memory is stale.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            let stored = try await Self.checkpoint(connection, logger: logger)?.cursor ?? .start
            guard stored == expected else { throw ProjectionMoved() }
            try await changes.write(
                connection,
                upsert: Self.upsertExposures,
                delete: "DELETE FROM custody_exposures WHERE deployment || '/' || incident = ANY($1::text[])",
                logger: logger)
            try await organizationChanges.write(
                connection,
                upsert: Self.upsertOrganizations,
                delete: "DELETE FROM custody_organization_views WHERE organization = ANY($1::text[])",
                logger: logger)
            try await connection.query(
                """
                INSERT INTO custody_projection_checkpoints (projection, transaction_id, position, events, updated_at)
                VALUES (\(Self.name), \(next.transaction), \(next.position), \(count), now())
                ON CONFLICT (projection) DO UPDATE SET transaction_id = excluded.transaction_id,
                    position = excluded.position, events = excluded.events, updated_at = now()
                """, logger: logger)
        }
        exposures = changes.digests
        organizations = organizationChanges.digests
        cursor = next
        appliedEvents = count
        publish()
    }

    /// Follows the log forever: catches up, then applies each new page as it commits.
    public func run(pollInterval: Duration = .milliseconds(200)) async throws {
        while true {
            do {
                try await catchUp()
                try await Follower(store, pollInterval: pollInterval).follow(after: cursor) { page in
                    try await self.apply(page)
                }
            } catch is ProjectionMoved {
                database.logger.info("the projection was rebuilt; reloading")
                reset()
                try await start()
            }
        }
    }

    private func reset() {
        chain = SupplyChain()
        cursor = .start
        appliedEvents = 0
    }

    /// Upserts exposure rows, one array per column of `Views.exposureColumns`.
    static let upsertExposures = """
        INSERT INTO custody_exposures (deployment, incident, organization, model, is_current, document)
        SELECT d, i, o, m, c::boolean, doc::jsonb
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(d, i, o, m, c, doc)
        ON CONFLICT (deployment, incident) DO UPDATE SET organization = excluded.organization,
            model = excluded.model, is_current = excluded.is_current, document = excluded.document
        """

    /// Upserts organization rows, one array per column of `Views.organizationColumns`.
    static let upsertOrganizations = """
        INSERT INTO custody_organization_views (organization, document)
        SELECT o, doc::jsonb FROM unnest($1::text[], $2::text[]) AS x(o, doc)
        ON CONFLICT (organization) DO UPDATE SET document = excluded.document
        """

    // MARK: - Reading

    public struct Checkpoint: Sendable, Equatable {
        public var cursor: LogCursor
        public var events: Int64
        public var updatedAt: Timestamp
    }

    public static func checkpoint(_ database: Database) async throws -> Checkpoint? {
        try await database.withConnection { connection in try await checkpoint(connection, logger: database.logger) }
    }

    static func checkpoint(_ connection: PostgresConnection, logger: Logger) async throws -> Checkpoint? {
        let rows = try await connection.query(
            """
            SELECT transaction_id, position, events, custody_micros(updated_at)
            FROM custody_projection_checkpoints WHERE projection = \(name)
            """, logger: logger)
        for try await (transaction, position, events, updated) in rows.decode((Int64, Int64, Int64, Int64).self) {
            return Checkpoint(
                cursor: LogCursor(transaction: transaction, position: position), events: events,
                updatedAt: Timestamp(microseconds: updated))
        }
        return nil
    }

    /// How many visible events the projection has not applied yet.
    public static func lag(_ database: Database) async throws -> Int64 {
        let cursor = try await checkpoint(database)?.cursor ?? .start
        let rows = try await database.query(
            """
            SELECT count(*) FROM custody_events
            WHERE xid < pg_snapshot_xmin(pg_current_snapshot())
              AND (xid, position) > (\(cursor.transaction)::bigint::text::xid8, \(cursor.position)::bigint)
            """)
        for try await count in rows.decode(Int64.self) { return count }
        return 0
    }

    static func digests(_ database: Database, _ sql: String) async throws -> [String: DocumentDigest] {
        var digests: [String: DocumentDigest] = [:]
        for try await (key, digest) in try await database.query(PostgresQuery(unsafeSQL: sql)).decode((String, ByteBuffer).self) {
            digests[key] = DocumentDigest(digest.readableBytesView)
        }
        return digests
    }
}

/// Another writer (a rebuild) moved the checkpoint under this projector.
struct ProjectionMoved: Error {}

/// The rows the read models hold, computed from the fold at a time (exposure rows once, for both tables),
/// rendered one at a time as they are consumed: each a key (what the row is deleted by) and its columns as text,
/// in the order of `exposureColumns`/`organizationColumns`, the document last. The incremental projector and the
/// rebuild both write these, so a row's columns are derived in one place.
struct Views {
    let chain: SupplyChain
    let time: Timestamp
    let rows: [Exposure]

    init(_ chain: SupplyChain, at time: Timestamp = .now) {
        self.chain = chain
        self.time = time
        rows = chain.exposures(at: time)
    }

    static let exposureColumns = ["deployment", "incident", "organization", "model", "is_current", "document"]
    static let organizationColumns = ["organization", "document"]

    var exposures: some Sequence<(String, [String])> {
        rows.lazy.map { row in
            (row.deployment.rawValue + "/" + row.incident.rawValue, [
                row.deployment.rawValue, row.incident.rawValue, row.organization.rawValue, row.model.rawValue,
                row.isCurrent ? "t" : "f", Self.text(row),
            ])
        }
    }

    var organizations: some Sequence<(String, [String])> {
        chain.organizationViews(at: time, exposures: rows).lazy.map { id, document in
            let stored = StoredOrganization(organization: document.organization, sector: document.sector, summary: document.summary)
            return (id.rawValue, [id.rawValue, Self.text(stored)])
        }
    }

    /// jsonb's own text form, so a document read back hashes equal to the one computed.
    static func text(_ value: some Encodable) -> String {
        ((try? EventCoding.value(of: value)) ?? .null).jsonbText
    }
}

/// The first 128 bits of a document's SHA-256: enough to tell a changed document from an unchanged one.
struct DocumentDigest: Hashable, Sendable {
    let high: UInt64
    let low: UInt64

    /// The same digest, computed by PostgreSQL from a stored row's `document` column.
    static let sql = "sha256(convert_to(document::text, 'UTF8'))"

    init(_ bytes: some Sequence<UInt8>) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.prefix(16).enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
    }

    init(of text: String) { self.init(SHA256.hash(data: Data(text.utf8))) }
}

/// An organization's row in `custody_organization_views`: the view without its exposure rows and time.
public struct StoredOrganization: Codable, Sendable {
    public var organization: Reference
    public var sector: String
    public var summary: OrganizationSummary
}

/// Rows to upsert and keys to delete, from what a table holds (by the digest of each row's document) and the rows
/// it should hold; only changed rows are kept.
struct Changes {
    var upserts: [[String]] = []
    var deletes: [String] = []
    /// What the table holds once the changes are written.
    var digests: [String: DocumentDigest] = [:]

    init(old: [String: DocumentDigest], new rows: some Sequence<(String, [String])>) {
        for (key, row) in rows {
            let digest = DocumentDigest(of: row.last ?? "")
            digests[key] = digest
            if old[key] != digest { upserts.append(row) }
        }
        for key in old.keys where digests[key] == nil { deletes.append(key) }
    }

    func write(_ connection: PostgresConnection, upsert: String, delete: String, logger: Logger) async throws {
        for start in stride(from: 0, to: upserts.count, by: 5000) {
            let slice = upserts[start..<min(start + 5000, upserts.count)]
            var binds = PostgresBindings()
            for column in 0..<(slice.first?.count ?? 0) { binds.append(slice.map { $0[column] }) }
            try await connection.query(PostgresQuery(unsafeSQL: upsert, binds: binds), logger: logger)
        }
        for start in stride(from: 0, to: deletes.count, by: 5000) {
            var binds = PostgresBindings()
            binds.append(Array(deletes[start..<min(start + 5000, deletes.count)]))
            try await connection.query(PostgresQuery(unsafeSQL: delete, binds: binds), logger: logger)
        }
    }
}

extension ExposureProjection {
    /// An organization's view from the read models, as the fold would answer it at the checkpoint.
    public static func organizationView(_ database: Database, _ id: Slug) async throws -> OrganizationExposure? {
        var stored: StoredOrganization?
        for try await text in try await database.query(
            "SELECT document::text FROM custody_organization_views WHERE organization = \(id.rawValue)"
        ).decode(String.self) {
            stored = try EventCoding.decoder.decode(StoredOrganization.self, from: Data(text.utf8))
        }
        guard let stored else { return nil }
        var rows: [Exposure] = []
        for try await text in try await database.query(
            "SELECT document::text FROM custody_exposures WHERE organization = \(id.rawValue) AND is_current"
        ).decode(String.self) {
            rows.append(try EventCoding.decoder.decode(Exposure.self, from: Data(text.utf8)))
        }
        return OrganizationExposure(
            organization: stored.organization, sector: stored.sector, asOf: .now, summary: stored.summary,
            exposures: rows.sorted(by: <))
    }
}
