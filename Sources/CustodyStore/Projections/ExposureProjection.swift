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
    /// Held by every page's transaction, shared (two pages may be written at once), and by a rebuild's swap alone:
    /// a swap never lands between a page's statements.
    static let lockKey: Int64 = 7_350_123_900_002

    nonisolated let store: EventStore
    var projector = ExposureProjector(evaluatedAt: .now)
    var cursor = LogCursor.start
    var appliedEvents: Int64 = 0
    /// Pages being written: the stored checkpoint may be ahead of memory until they are taken.
    var writesInFlight = 0
    /// Whether a leader's `advance` is running, and who waits for it to end (`advance` runs one at a time).
    var advancing = false
    var waitingToAdvance: [CheckedContinuation<Void, Never>] = []
    /// Called at each named point of a page's write transaction: tests make it fail there, to check that nothing
    /// is half-applied, or hold it there, to have two pages written at once.
    typealias WritePoint = @Sendable (String) async throws -> Void
    var failure: WritePoint?

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

    func injectFailure(_ failure: WritePoint?) { self.failure = failure }

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
    ///
    /// A page's write starts as soon as it is decided: its exposure rows go in beside the earlier page's when the
    /// two share none (`PreparedPage.write`), the rest once that page has committed. The page after it is read,
    /// decided and rendered while the two are written, before waiting for the older one: deciding is this
    /// process's work and writing PostgreSQL's, in a backend per page, so on two cores they overlap (decided
    /// only after the older page's commit, a page's reading and deciding were 40 % of a batch's time, with one
    /// backend writing). Memory takes a page only after its COMMIT, in order, and a page decided on one that
    /// fails to commit fails with it.
    @discardableResult
    public func catchUp(pageSize: Int = 5000) async throws -> Int {
        var applied = 0
        // The pages being written, oldest first: two at most.
        var writing: [PreparedPage.Writing] = []
        writesInFlight += 1
        defer { writesInFlight -= 1 }
        do {
            var next = try await readAndPrepare(after: nil, pageSize: pageSize)
            while let (prepared, isFull) = next {
                applied += prepared.count
                // A short page reached the end of what is visible: there is nothing to decide while it is written,
                // and the fact just appended becomes visible soonest written here (new events wake the caller).
                guard isFull else {
                    while !writing.isEmpty { try await taken(writing.removeFirst()) }
                    try await commit(prepared)
                    return applied
                }
                let (database, failure, older) = (self.database, self.failure, writing.last)
                writing.append(
                    .init(
                        page: prepared,
                        task: Task { try await prepared.write(database, after: older, failure: failure) }))
                next = try await readAndPrepare(after: prepared, pageSize: pageSize)
                if writing.count == 2 { try await taken(writing.removeFirst()) }
            }
            while !writing.isEmpty { try await taken(writing.removeFirst()) }
        } catch {
            // The pages still being written when something else failed are taken, in order, as far as they commit:
            // memory and tables agree. One after a page that failed fails with it (`PreparedPage.write`).
            for page in writing {
                guard (try? await page.task.value) != nil else { break }
                take(page.page)
            }
            throw error
        }
        return applied
    }

    /// Reads the page after `previous` (after the checkpoint when nil) and decides it on `previous`'s projector;
    /// nil when nothing is visible there. `isFull` is false for a page shorter than `pageSize`: the end of what is
    /// visible.
    private func readAndPrepare(after previous: PreparedPage?, pageSize: Int) async throws -> (
        page: PreparedPage, isFull: Bool
    )? {
        let from = previous?.next ?? cursor
        let page = try await store.readLog(after: from, limit: pageSize)
        guard !page.entries.isEmpty else { return nil }
        let prepared = try prepare(
            page.entries.map(\.event), on: previous?.step.next ?? projector, from: from, to: page.next,
            covering: previous?.events ?? appliedEvents)
        return (prepared, page.entries.count == pageSize)
    }

    /// Applies one page and writes what changed, with the checkpoint, in one transaction.
    public func apply(_ page: LogPage) async throws {
        let prepared = try prepare(
            page.entries.map(\.event), on: projector, from: cursor, to: page.next, covering: appliedEvents)
        try await commit(prepared)
    }

    /// Re-evaluates what facts whose time has come touch, when any has. Only after the pages being written, never
    /// beside them: `advance` calls it.
    private func refreshDue() async throws {
        let now = Timestamp.now
        guard let due = projector.nextDue, due <= now else { return }
        try await commit(prepare([], on: projector, from: cursor, to: cursor, covering: appliedEvents, at: now))
    }

    /// The one way a leader writes: the pages after its checkpoint, then what has come due; one at a time,
    /// whoever asks (a new event's wake-up, or the clock reaching a fact stamped in the future). The clock's
    /// re-evaluation used to run only when it found no page being written, retrying at once when it did: on a busy
    /// machine, where catching up runs on every tick, it could be put off for as long as that lasted, spinning.
    private func advance() async throws {
        if advancing { await withCheckedContinuation { waitingToAdvance.append($0) } }
        advancing = true
        defer {
            // Handed to the next caller as it is, still advancing; released only when nobody waits.
            if waitingToAdvance.isEmpty { advancing = false } else { waitingToAdvance.removeFirst().resume() }
        }
        try await catchUp(pageSize: Self.followingPage)
        try await refreshDue()
    }

    /// When the next folded fact comes true.
    public var nextDue: Timestamp? { projector.nextDue }

    /// Throws `ProjectionMoved` when the stored checkpoint is not the one this projector wrote last.
    private func checkNotRebuilt() async throws {
        guard writesInFlight == 0, let stored = try await Self.checkpoint(database), writesInFlight == 0 else { return }
        if stored.cursor != cursor || stored.evaluatedAt != projector.evaluatedAt { throw ProjectionMoved() }
    }

    /// Decides and renders `events` on `base`, the projector as of the checkpoint `from` (covering `covered` events).
    private func prepare(
        _ events: [RecordedEvent], on base: ExposureProjector, from: LogCursor, to next: LogCursor,
        covering covered: Int64, at now: Timestamp = .now
    ) throws -> PreparedPage {
        let started = ContinuousClock.now
        let step = base.step(events, at: now)
        return try PreparedPage(
            step, expected: from, next: next, events: covered + Int64(events.count), count: events.count,
            decided: ContinuousClock.now - started)
    }

    /// Writes a page and takes it.
    private func commit(_ page: PreparedPage) async throws {
        writesInFlight += 1
        defer { writesInFlight -= 1 }
        try await page.write(database, after: nil, failure: failure)
        take(page)
    }

    /// Waits for a page written in the background and takes it; throws what its write threw.
    private func taken(_ writing: PreparedPage.Writing) async throws {
        try await writing.task.value
        take(writing.page)
    }

    /// Takes a committed page: memory then matches the tables.
    private func take(_ page: PreparedPage) {
        projector = page.step.next
        cursor = page.next
        appliedEvents = page.events
        if !page.outbox.messages.isEmpty { database.outboxBell.ring() }
        publish()
    }

    /// Held, session-level, by the one process that writes the read models: any number of `projections run` and
    /// `serve` may run, and the others stand by.
    static let leaderKey: Int64 = 7_350_123_900_003

    /// Events per page once caught up: a page's transaction holds every reader's horizon back while it writes
    /// (a page of 1,000 mixed events takes up to ~250 ms at a million events, one of 5,000 over a second).
    static let followingPage = 1000

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
                    group.addTask {
                        try await Follower(self.store, pollInterval: pollInterval).onEveryWake {
                            try await self.advance()
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
            if let due = nextDue, due <= .now { try await advance() }
        }
    }
}
