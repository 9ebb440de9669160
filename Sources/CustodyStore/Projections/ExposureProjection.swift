import CustodyCore
import Foundation
import Logging
import PostgresNIO

/// Keeps the exposure read models (`custody_exposures`, `custody_organization_views`) in step with the log.
///
/// The decision is `ExposureProjector` (CustodyCore): for each page of new events it folds a copy and says which
/// rows change, from what the events touch; this actor writes exactly those rows and the checkpoint in one
/// transaction, and takes the new state only after COMMIT. A crash between pages loses nothing and repeats
/// nothing; a failed write leaves it exactly at its checkpoint. Facts stamped in the future are re-evaluated when
/// their time comes (`run` wakes for them).
public actor ExposureProjection {
    public static let name = "exposure"
    /// Held (session-level) by the running projector and by a rebuild's swap, so only one writes at a time.
    static let lockKey: Int64 = 7_350_123_900_002

    nonisolated let store: EventStore
    var projector = ExposureProjector(evaluatedAt: .now)
    var cursor = LogCursor.start
    var appliedEvents: Int64 = 0
    /// A page is being written: the stored checkpoint may be ahead of memory until it is taken.
    var committing = false
    /// Tests make the write transaction fail at a named point, to check that nothing is half-applied.
    var failure: (@Sendable (String) throws -> Void)?

    /// Told of the fold, the cursor it has reached and the read models' checkpoint, after `start`, after every
    /// committed page, and while standing by: the API server answers from the same fold instead of keeping a
    /// second one.
    public typealias Observer = @Sendable (SupplyChain, LogCursor, Checkpoint) -> Void
    let observer: Observer?

    /// What a process running the projection is doing.
    public enum Role: String, Sendable {
        case leading, standingBy = "standing by"
    }

    /// Told when this process starts leading or standing by.
    let roleChanged: (@Sendable (Role) -> Void)?

    public init(_ store: EventStore, observer: Observer? = nil, roleChanged: (@Sendable (Role) -> Void)? = nil) {
        self.store = store
        self.observer = observer
        self.roleChanged = roleChanged
    }

    private func publish() {
        observer?(projector.chain, cursor, Checkpoint(cursor: cursor, events: appliedEvents, updatedAt: .now, evaluatedAt: projector.evaluatedAt))
    }

    nonisolated var database: Database { store.database }

    /// The fold the read models reflect.
    public var chain: SupplyChain { projector.chain }

    func injectFailure(_ failure: (@Sendable (String) throws -> Void)?) { self.failure = failure }

    /// Loads the checkpoint and folds the log up to it: memory then matches what the tables hold.
    public func start() async throws {
        let checkpoint = try await Self.checkpoint(database)
        cursor = checkpoint?.cursor ?? .start
        appliedEvents = checkpoint?.events ?? 0
        var projector = ExposureProjector(evaluatedAt: checkpoint?.evaluatedAt ?? .now)
        if cursor > .start { _ = try await store.fold(upTo: cursor) { projector.restore($0) } }
        self.projector = projector
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
        try await commit(projector.step(page.entries.map(\.event), at: .now), through: page.next, events: page.entries.count)
    }

    /// Re-evaluates what facts whose time has come touch, when any has; returns whether one had.
    @discardableResult
    public func refreshDue(at now: Timestamp = .now) async throws -> Bool {
        guard let due = projector.nextDue, due <= now else { return false }
        try await commit(projector.step([], at: now), through: cursor, events: 0)
        return true
    }

    /// When the next folded fact comes true.
    public var nextDue: Timestamp? { projector.nextDue }

    /// Throws `ProjectionMoved` when the stored checkpoint is not the one this projector wrote last.
    private func checkNotRebuilt() async throws {
        guard !committing, let stored = try await Self.checkpoint(database), !committing else { return }
        if stored.cursor != cursor || stored.evaluatedAt != projector.evaluatedAt { throw ProjectionMoved() }
    }

    private func commit(_ step: ExposureProjector.Step, through next: LogCursor, events: Int) async throws {
        committing = true
        defer { committing = false }
        let count = appliedEvents + Int64(events)
        let expected = cursor
        let evaluatedAt = step.next.evaluatedAt
        let rows = ChangedRows(step.changes)
        let failure = self.failure
        let logger = database.logger
        try await database.withTransaction { connection in
            // A rebuild swaps tables under this lock; if it moved the checkpoint, this projector's memory is stale.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            let stored = try await Self.checkpoint(connection, logger: logger)?.cursor ?? .start
            guard stored == expected else { throw ProjectionMoved() }
            try await rows.write(connection, logger: logger, failure: failure)
            try failure?("checkpoint")
            try await Self.storeCheckpoint(next, events: count, evaluatedAt: evaluatedAt, connection, logger: logger)
            try failure?("commit")
        }
        projector = step.next
        cursor = next
        appliedEvents = count
        publish()
    }

    /// Held, session-level, by the one process that writes the read models: any number of `projections run` and
    /// `serve` may run, and the others stand by.
    static let leaderKey: Int64 = 7_350_123_900_003

    /// Whether this process writes the read models now.
    public private(set) var isLeader = false
    /// A standing-by process's own fold of the log and where it stands.
    var follower: (chain: SupplyChain, cursor: LogCursor)?

    /// Runs forever as the leader when it can take the lead, standing by otherwise: a standby follows the log
    /// (its observer keeps getting the fold, so a server keeps answering) and tries to take the lead every second,
    /// so it takes over within a second or two of the leader's death (its session, and so its lock, ends).
    public nonisolated func run(pollInterval: Duration = .milliseconds(200)) async throws {
        while true {
            let led = try await Database.withConnection(database.url, logger: database.logger) { session in
                guard try await Self.takeLead(session) else { return false }
                try await self.lead(pollInterval: pollInterval, session: session)
                return true
            }
            if !led { try await standBy(for: .seconds(1), pollInterval: pollInterval) }
            try Task.checkCancellation()
        }
    }

    /// The server process (backend pid) whose session leads the projection now, and since when it is connected;
    /// nil when none does.
    public static func leader(_ database: Database) async throws -> (pid: Int32, since: Timestamp)? {
        for try await (pid, started) in try await database.query(
            """
            SELECT l.pid, custody_micros(a.backend_start)
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = (\(leaderKey) >> 32)::oid AND l.objid = (\(leaderKey) & 4294967295)::oid
            """
        ).decode((Int32, Int64?).self) {
            return (pid, Timestamp(microseconds: started ?? 0))
        }
        return nil
    }

    static func takeLead(_ session: Database) async throws -> Bool {
        for try await taken in try await session.query("SELECT pg_try_advisory_lock(\(leaderKey))").decode(Bool.self) {
            return taken
        }
        return false
    }

    /// Catches up, then applies each new page as it commits, re-evaluates the views when a fact stamped in the
    /// future comes true, and keeps a fold snapshot near the checkpoint; until the lead's session fails.
    private func lead(pollInterval: Duration, session: Database) async throws {
        isLeader = true
        follower = nil
        defer { isLeader = false }
        try await start()
        roleChanged?(.leading)
        while true {
            do {
                try await catchUp()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let cursor = self.cursor
                    group.addTask {
                        try await Follower(self.store, pollInterval: pollInterval).follow(after: cursor) { page in
                            try await self.apply(page)
                        }
                    }
                    group.addTask { try await self.followTime() }
                    group.addTask { try await self.maintainSnapshots() }
                    // The lock lives as long as its session: a lead whose session died must stop writing. And a
                    // rebuild moves the checkpoint: reload at once (the server's answers change with it), not at
                    // the next event.
                    group.addTask {
                        while true {
                            try await Task.sleep(for: .seconds(1))
                            guard await session.answers(within: .seconds(5)) else {
                                throw StoreError.unavailable("the projector's session stopped answering")
                            }
                            try await self.checkNotRebuilt()
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } catch is ProjectionMoved {
                database.logger.info("the projection was rebuilt; reloading")
                try await start()
            }
        }
    }

    /// Follows the log without writing, for `duration`: its fold continues from where the last stand-by left it
    /// (loaded once, from the newest snapshot), and the observer hears of it with the leader's checkpoint.
    private func standBy(for duration: Duration, pollInterval: Duration) async throws {
        if follower == nil {
            roleChanged?(.standingBy)
            var chain = SupplyChain()
            let (cursor, _) = try await store.fold { chain.apply($0) }
            follower = (chain, cursor)
        }
        let deadline = ContinuousClock.now + duration
        while true {
            guard var (chain, cursor) = follower else { return }
            (cursor, _) = try await store.foldLog(after: cursor) { chain.apply($0) }
            follower = (chain, cursor)
            if let checkpoint = try await Self.checkpoint(database) { observer?(chain, cursor, checkpoint) }
            guard ContinuousClock.now < deadline else { return }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// A fold snapshot is stored when this many events were applied since the last one, or when any were and the
    /// last one is this old; and at once when the newest stored one cannot be trusted.
    static let snapshotEvents: Int64 = 10_000
    static let snapshotAge: Duration = .seconds(600)

    /// Keeps a fold snapshot near the checkpoint, for every other process that needs the fold.
    private func maintainSnapshots() async throws {
        let trusted = try await FoldSnapshot.newest(database)
        var stored = trusted?.events ?? -1
        var storedAt = ContinuousClock.now
        if try await FoldSnapshot.newestCursor(database) != trusted?.cursor { stored = -1 }
        while true {
            let (cursor, applied) = (self.cursor, appliedEvents)
            let due = stored < 0 || applied - stored >= Self.snapshotEvents
                || (applied > stored && ContinuousClock.now - storedAt >= Self.snapshotAge)
            if due, applied > 0 {
                let snapshot = try await store.snapshot(upTo: cursor)
                try await snapshot.store(database)
                (stored, storedAt) = (snapshot.events, .now)
                database.logger.debug("stored a fold snapshot", metadata: ["events": "\(snapshot.events)", "facts": "\(snapshot.facts.count)"])
            }
            try await Task.sleep(for: .seconds(2))
        }
    }

    /// Wakes when the next future-stamped fact comes true (checking at least every 250 ms for new ones).
    private func followTime() async throws {
        while true {
            let wait = nextDue.map { max(0, $0.microseconds - Timestamp.now.microseconds) } ?? 250_000
            try await Task.sleep(for: .microseconds(min(wait, 250_000)))
            try await refreshDue()
        }
    }

    // MARK: - Reading

    public struct Checkpoint: Sendable, Equatable {
        public var cursor: LogCursor
        public var events: Int64
        public var updatedAt: Timestamp
        /// The world time the read models were evaluated at (see schema/006).
        public var evaluatedAt: Timestamp
    }

    /// Moves the checkpoint, in the caller's transaction (the incremental projector's, with the rows it wrote;
    /// the rebuild's, with the swap).
    static func storeCheckpoint(
        _ cursor: LogCursor, events: Int64, evaluatedAt: Timestamp, _ connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO custody_projection_checkpoints (projection, transaction_id, position, events, updated_at, evaluated_at)
            VALUES (\(name), \(cursor.transaction), \(cursor.position), \(events), now(), custody_from_micros(\(evaluatedAt.microseconds)))
            ON CONFLICT (projection) DO UPDATE SET transaction_id = excluded.transaction_id,
                position = excluded.position, events = excluded.events, updated_at = now(),
                evaluated_at = excluded.evaluated_at
            """, logger: logger)
    }

    public static func checkpoint(_ database: Database) async throws -> Checkpoint? {
        try await database.withConnection { connection in try await checkpoint(connection, logger: database.logger) }
    }

    static func checkpoint(_ connection: PostgresConnection, logger: Logger) async throws -> Checkpoint? {
        let rows = try await connection.query(
            """
            SELECT transaction_id, position, events, custody_micros(updated_at),
                custody_micros(coalesce(evaluated_at, updated_at))
            FROM custody_projection_checkpoints WHERE projection = \(name)
            """, logger: logger)
        for try await (transaction, position, events, updated, evaluated) in rows.decode((Int64, Int64, Int64, Int64, Int64).self) {
            return Checkpoint(
                cursor: LogCursor(transaction: transaction, position: position), events: events,
                updatedAt: Timestamp(microseconds: updated), evaluatedAt: Timestamp(microseconds: evaluated))
        }
        return nil
    }

    /// Nil when the read models are current (checkpointed and no visible event left to apply); otherwise how many
    /// events they are behind: whether a question may be answered from them.
    public static func behind(_ database: Database) async throws -> Int64? {
        let behind = try await lag(database)
        guard behind == 0 else { return behind }
        return try await checkpoint(database) == nil ? behind : nil
    }

    /// Every organization's summary view as stored (`jsonb` text, ordered by organization), or only `only`'s.
    public static func organizationViews(_ database: Database, only: Slug?) async throws -> [String] {
        var rows: [String] = []
        for try await text in try await database.query(
            """
            SELECT document::text FROM custody_organization_views
            WHERE \(only?.rawValue)::text IS NULL OR organization = \(only?.rawValue) ORDER BY organization
            """
        ).decode(String.self) { rows.append(text) }
        return rows
    }

    /// The first event after the checkpoint that no reader can decode, named (position, stream, version, type),
    /// or nil. A projector stops at such an event and retries for ever; this is how `/ready` and `projections
    /// status` say so instead of only counting the events behind it. Reads at most one catch-up page.
    public static func unreadable(_ database: Database, within events: Int = 5000) async throws -> String? {
        let page = try await EventStore(database).fetchLog(after: try await checkpoint(database)?.cursor ?? .start, limit: events)
        for row in page.rows {
            do { _ = try EventRow.decode(row) } catch CustodyError.malformedEvent(let reason) { return reason }
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
}

/// Another writer (a rebuild) moved the checkpoint under this projector.
struct ProjectionMoved: Error {}

/// How a read-model row is laid out in its table: its columns as text, in the order of `exposureColumns` and
/// `organizationColumns`, the document last. The incremental projector and the rebuild both write these, so a
/// row's columns are derived in one place.
enum ReadModelRow {
    static let exposureColumns = ["deployment", "incident", "organization", "model", "is_current", "document"]
    static let organizationColumns = ["organization", "document"]
    static let deploymentColumns = ["deployment", "organization", "document"]

    static func deployment(_ entry: DeploymentEntry) -> [String] {
        [entry.id.rawValue, entry.organization.rawValue, text(entry)]
    }

    static func exposure(_ row: Exposure) -> [String] {
        [
            row.deployment.rawValue, row.incident.rawValue, row.organization.rawValue, row.model.rawValue,
            row.isCurrent ? "t" : "f", text(row),
        ]
    }

    static func organization(_ view: OrganizationExposure) -> [String] {
        let stored = StoredOrganization(organization: view.organization, sector: view.sector, summary: view.summary)
        return [view.organization.id.rawValue, text(stored)]
    }

    /// jsonb's own text form.
    static func text(_ value: some Encodable) -> String {
        ((try? EventCoding.value(of: value)) ?? .null).jsonbText
    }
}

/// Every row the read models hold, from the fold at a time (exposure rows computed once, for both tables),
/// rendered one at a time as they are consumed: what a rebuild writes.
struct Views {
    let chain: SupplyChain
    let time: Timestamp
    let rows: [Exposure]

    init(_ chain: SupplyChain, at time: Timestamp) {
        self.chain = chain
        self.time = time
        rows = chain.exposures(at: time)
    }

    var exposures: some Sequence<[String]> { rows.lazy.map(ReadModelRow.exposure) }

    var organizations: some Sequence<[String]> {
        chain.organizationViews(at: time, exposures: rows).sorted { $0.key < $1.key }.lazy.map { ReadModelRow.organization($0.value) }
    }

    var deployments: some Sequence<[String]> { chain.deploymentEntries(at: time).lazy.map(ReadModelRow.deployment) }
}

/// An organization's row in `custody_organization_views`: the view without its exposure rows and time.
public struct StoredOrganization: Codable, Sendable {
    public var organization: Reference
    public var sector: String
    public var summary: OrganizationSummary
}

/// `ReadModelChanges` as statements: upserts of whole rows (one array per column) and deletes by primary key.
struct ChangedRows: Sendable {
    let exposures: [[String]]
    let removedExposures: [ReadModelChanges.Key]
    let organizations: [[String]]
    let deployments: [[String]]

    init(_ changes: ReadModelChanges) {
        exposures = changes.exposures.map(ReadModelRow.exposure)
        removedExposures = changes.removedExposures
        organizations = changes.organizations.map(ReadModelRow.organization)
        deployments = changes.deployments.map(ReadModelRow.deployment)
    }

    func write(_ connection: PostgresConnection, logger: Logger, failure: (@Sendable (String) throws -> Void)?) async throws {
        try await upsert(exposures, Self.upsertExposures, connection, logger)
        try failure?("exposures")
        for start in stride(from: 0, to: removedExposures.count, by: 5000) {
            let slice = removedExposures[start..<min(start + 5000, removedExposures.count)]
            try await connection.query(
                """
                DELETE FROM custody_exposures e USING unnest(\(slice.map(\.deployment.rawValue))::text[],
                    \(slice.map(\.incident.rawValue))::text[]) AS x(deployment, incident)
                WHERE e.deployment = x.deployment AND e.incident = x.incident
                """, logger: logger)
        }
        try failure?("removed exposures")
        try await upsert(organizations, Self.upsertOrganizations, connection, logger)
        try failure?("organizations")
        try await upsert(deployments, Self.upsertDeployments, connection, logger)
        try failure?("deployments")
    }

    private func upsert(_ rows: [[String]], _ sql: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        for start in stride(from: 0, to: rows.count, by: 5000) {
            let slice = rows[start..<min(start + 5000, rows.count)]
            var binds = PostgresBindings()
            for column in 0..<(slice.first?.count ?? 0) { binds.append(slice.map { $0[column] }) }
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }

    /// Upserts exposure rows, one array per column of `ReadModelRow.exposureColumns`.
    static let upsertExposures = """
        INSERT INTO custody_exposures (deployment, incident, organization, model, is_current, document)
        SELECT d, i, o, m, c::boolean, doc::jsonb
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(d, i, o, m, c, doc)
        ON CONFLICT (deployment, incident) DO UPDATE SET organization = excluded.organization,
            model = excluded.model, is_current = excluded.is_current, document = excluded.document
        """

    /// Upserts organization rows, one array per column of `ReadModelRow.organizationColumns`.
    static let upsertOrganizations = """
        INSERT INTO custody_organization_views (organization, document)
        SELECT o, doc::jsonb FROM unnest($1::text[], $2::text[]) AS x(o, doc)
        ON CONFLICT (organization) DO UPDATE SET document = excluded.document
        """

    /// Upserts deployment entries, one array per column of `ReadModelRow.deploymentColumns`.
    static let upsertDeployments = """
        INSERT INTO custody_deployments (deployment, organization, document)
        SELECT d, o, doc::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS x(d, o, doc)
        ON CONFLICT (deployment) DO UPDATE SET organization = excluded.organization, document = excluded.document
        """
}

extension ExposureProjection {
    /// An organization's view from the read models, read in one statement (one snapshot: never torn by a page
    /// committed or a rebuild swapped in between two reads).
    public static func organizationView(_ database: Database, _ id: Slug) async throws -> OrganizationExposure? {
        var stored: StoredOrganization?
        var rows: [Exposure] = []
        for try await (isView, text) in try await database.query(
            """
            SELECT true, document::text FROM custody_organization_views WHERE organization = \(id.rawValue)
            UNION ALL
            SELECT false, document::text FROM custody_exposures WHERE organization = \(id.rawValue) AND is_current
            """
        ).decode((Bool, String).self) {
            if isView {
                stored = try EventCoding.decode(StoredOrganization.self, from: Data(text.utf8))
            } else {
                rows.append(try EventCoding.decode(Exposure.self, from: Data(text.utf8)))
            }
        }
        guard let stored else { return nil }
        return OrganizationExposure(
            organization: stored.organization, sector: stored.sector, asOf: .now, summary: stored.summary,
            exposures: rows.sorted(by: <))
    }
}

extension ExposureProjection {
    /// The deployments of the registry (of one organization when given), from the read model in one statement;
    /// nil when the organization is not registered.
    public static func deployments(_ database: Database, of organization: Slug?) async throws -> [DeploymentEntry]? {
        var known = organization == nil
        var entries: [DeploymentEntry] = []
        for try await text in try await database.query(
            """
            SELECT NULL::text FROM custody_organization_views WHERE organization = \(organization?.rawValue)
            UNION ALL
            SELECT document::text FROM custody_deployments
            WHERE \(organization?.rawValue)::text IS NULL OR organization = \(organization?.rawValue)
            """
        ).decode(String?.self) {
            if let text { entries.append(try EventCoding.decode(DeploymentEntry.self, from: Data(text.utf8))) } else { known = true }
        }
        return known ? entries.sorted { $0.id < $1.id } : nil
    }
}

extension ExposureProjection {
    /// What a list of exposure rows is about.
    public enum Subject: String, Sendable {
        case deployment, model, incident

        /// The stream whose existence says the subject is known (its first fact registers or reports it).
        func stream(_ id: Slug) -> StreamName {
            switch self {
            case .deployment: return .deployment(id)
            case .model: return .model(id)
            case .incident: return .incident(id)
            }
        }
    }

    /// A deployment's or a model's current exposures (the subject's name is its column's, and each column is
    /// indexed), or an incident's blast radius (cleared rows included), from
    /// the read models in one statement; nil when the log knows no such subject.
    public static func list(_ database: Database, _ subject: Subject, _ id: Slug) async throws -> ExposureList? {
        let stream = subject.stream(id).description
        let every = subject == .incident
        var known = false
        var rows: [Exposure] = []
        for try await text in try await database.query(
            """
            (SELECT NULL::text FROM custody_events WHERE stream_id = \(stream) LIMIT 1)
            UNION ALL
            SELECT document::text FROM custody_exposures
            WHERE \(unescaped: subject.rawValue) = \(id.rawValue) AND (is_current OR \(every))
            """
        ).decode(String?.self) {
            if let text { rows.append(try EventCoding.decode(Exposure.self, from: Data(text.utf8))) } else { known = true }
        }
        guard known else { return nil }
        return ExposureList(subject: subject.rawValue, id: id, asOf: .now, exposures: rows.sorted(by: <))
    }
}
