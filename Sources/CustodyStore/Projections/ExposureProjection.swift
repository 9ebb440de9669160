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
    /// The projection's name in `custody_projection_checkpoints`.
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
        case leading
        case standingBy = "standing by"
    }

    /// Told when this process starts leading or standing by.
    let roleChanged: (@Sendable (Role) -> Void)?

    /// A projector of `store`'s log; `observer` hears of each state it publishes, `roleChanged` of leading and standing by.
    public init(_ store: EventStore, observer: Observer? = nil, roleChanged: (@Sendable (Role) -> Void)? = nil) {
        self.store = store
        self.observer = observer
        self.roleChanged = roleChanged
    }

    private func publish() {
        observer?(
            projector.chain, cursor,
            Checkpoint(cursor: cursor, events: appliedEvents, updatedAt: .now, evaluatedAt: projector.evaluatedAt))
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
        let started = ContinuousClock.now
        let step = projector.step(page.entries.map(\.event), at: .now)
        try await commit(step, through: page.next, events: page.entries.count, decided: ContinuousClock.now - started)
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

    /// Writes a step; `decided` is how long the step took to compute, for the debug line that says where a page's
    /// time went.
    private func commit(_ step: ExposureProjector.Step, through next: LogCursor, events: Int, decided: Duration = .zero)
        async throws
    {
        committing = true
        defer { committing = false }
        let count = appliedEvents + Int64(events)
        let expected = cursor
        let evaluatedAt = step.next.evaluatedAt
        let rendering = ContinuousClock.now
        let rows = ChangedRows(step.changes)
        let writing = ContinuousClock.now
        let outbox = try OutboxMessages(
            step.changes.notices,
            subscriptions: step.subscriptions,
            at: evaluatedAt)
        let failure = self.failure
        let logger = database.logger
        try await database.withTransaction { connection in
            // A rebuild swaps tables under this lock; if it moved the checkpoint, this projector's memory is stale.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            let stored = try await Self.checkpoint(connection, logger: logger)?.cursor ?? .start
            guard stored == expected else { throw ProjectionMoved() }
            try await rows.write(connection, logger: logger, failure: failure)
            try await outbox.write(connection, logger: logger)
            try failure?("outbox")
            try failure?("checkpoint")
            try await Self.storeCheckpoint(next, events: count, evaluatedAt: evaluatedAt, connection, logger: logger)
            try failure?("commit")
        }
        database.logger.debug(
            "applied a page",
            metadata: [
                "events": "\(events)", "rows": "\(step.changes.exposures.count)",
                "organizations": "\(step.changes.organizations.count)",
                "decide_ms": "\(Int(decided.seconds * 1000))",
                "render_ms": "\(Int((writing - rendering).seconds * 1000))",
                "write_ms": "\(Int((ContinuousClock.now - writing).seconds * 1000))",
            ])
        projector = step.next
        cursor = next
        appliedEvents = count
        if !outbox.messages.isEmpty { database.outboxBell.ring() }
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
        var stored = try await FoldSnapshot.newestEventsIfTrusted(database) ?? -1
        var storedAt = ContinuousClock.now
        while true {
            let (cursor, applied) = (self.cursor, appliedEvents)
            let due =
                stored < 0 || applied - stored >= Self.snapshotEvents
                || (applied > stored && ContinuousClock.now - storedAt >= Self.snapshotAge)
            if due, applied > 0 {
                let started = ContinuousClock.now
                let snapshot = try await DecodingCores.$background.withValue(true) {
                    try await store.snapshot(upTo: cursor)
                }
                let folded = ContinuousClock.now
                try await snapshot.store(database)
                (stored, storedAt) = (snapshot.events, .now)
                database.logger.debug(
                    "stored a fold snapshot",
                    metadata: [
                        "events": "\(snapshot.events)", "facts": "\(snapshot.facts.count)",
                        "fold_ms": "\(Int((folded - started).seconds * 1000))",
                        "store_ms": "\(Int((ContinuousClock.now - folded).seconds * 1000))",
                    ])
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
}
