import CustodyCore
import Logging
import PostgresNIO

extension ExposureProjection {
    /// Progress of a rebuild, reported as it folds.
    public struct Progress: Sendable {
        /// Events (or, while folding, facts) done so far.
        public var events: Int64
        /// How many there are in this phase.
        public var total: Int64
        /// `folding`, `writing` or `swapping`.
        public var phase: String
    }

    /// Rebuilds the read models from the log into shadow tables and swaps them in atomically.
    ///
    /// The log is read in pages (short transactions: a long one would hold back every reader's visibility
    /// horizon), the shadow tables are filled in batches, and only the swap takes the projector lock, so readers
    /// keep the old tables until the new ones are complete. Interrupted, it leaves the live tables untouched and
    /// can be run again.
    public static func rebuild(
        _ store: EventStore, progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Checkpoint {
        // One rebuild at a time: a second would drop the first one's shadow tables under it.
        try await Database.withConnection(store.database.url, logger: store.database.logger) { session in
            var taken = false
            for try await lock in try await session.query("SELECT pg_try_advisory_lock(\(rebuildKey))").decode(
                Bool.self)
            {
                taken = lock
            }
            guard taken else {
                throw StoreError.busy("another `custody projections rebuild` is running; wait for it to finish")
            }
            let checkpoint = try await rebuildHoldingLock(store, progress: progress)
            // Released now, not when the server notices the closed session: a rebuild right after this one was
            // refused as "running" while the old backend was still exiting (seen under load in CI).
            try await session.query("SELECT pg_advisory_unlock(\(rebuildKey))")
            return checkpoint
        }
    }

    /// Held, session-level, by a running rebuild.
    static let rebuildKey: Int64 = 7_350_123_900_004

    private static func rebuildHoldingLock(
        _ store: EventStore, progress: @Sendable (Progress) -> Void
    ) async throws -> Checkpoint {
        let database = store.database
        // The read models will stand at the visible head as it is now; events committed later lie after it and are
        // the live projector's.
        let (head, total, facts:factCount) = try await store.visibleHead()
        var chain = SupplyChain()
        // The facts folded, kept for the fold snapshot written after the swap.
        var facts: [RecordedEvent] = []
        var fetched = try await store.fetchFacts(after: .start, upTo: head, limit: 10_000)
        while !fetched.rows.isEmpty {
            // PostgreSQL reads the next page while this one is decoded and folded.
            let after = fetched.next
            async let following = store.fetchFacts(after: after, upTo: head, limit: 10_000)
            let page = try await fetched.decode()
            for entry in page.entries {
                chain.apply(entry.event)
                facts.append(entry.event)
            }
            progress(Progress(events: Int64(facts.count), total: factCount, phase: "folding"))
            fetched = try await following
        }
        let (cursor, events) = (head, total)
        // Read to the end: a SELECT's rows stream, and the COPY below, on another connection, must see the tables.
        for try await _ in try await database.query("SELECT custody_prepare_read_model_rebuild()") {}
        progress(Progress(events: events, total: total, phase: "writing"))
        let logger = database.logger
        let evaluatedAt = Timestamp.now
        let views = Views(chain, at: evaluatedAt)
        // The shadow tables are empty and have no indexes yet: rows stream in by COPY, with nothing to compare or
        // replace.
        try await database.withConnection { connection in
            func copy(_ rows: some Sequence<[String]>, into table: String, columns: [String]) async throws {
                try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                    var stream = CopyStream(writer)
                    for row in rows { try await stream.row(row) }
                    try await stream.flush()
                }
            }
            try await copy(views.exposures, into: "custody_exposures_rebuild", columns: ReadModelRow.exposureColumns)
            try await copy(
                views.organizations, into: "custody_organization_views_rebuild",
                columns: ReadModelRow.organizationColumns)
            try await copy(
                views.deployments, into: "custody_deployments_rebuild", columns: ReadModelRow.deploymentColumns)
            try await copy(views.pauses, into: "custody_pauses_rebuild", columns: ReadModelRow.pauseColumns)
            try await copy(
                views.states, into: "custody_investigation_states_rebuild", columns: ReadModelRow.stateColumns)
        }
        // Loaded, the shadow tables get their indexes, each built in one sort (schema/025); fresh tables have no
        // statistics, and the planner guesses badly without them (schema/024).
        for try await _ in try await database.query("SELECT custody_index_read_model_rebuild()") {}
        for try await _ in try await database.query("SELECT custody_analyze_read_model_rebuild()") {}
        let finalCursor = cursor
        let finalEvents = events
        progress(Progress(events: events, total: total, phase: "swapping"))
        try await database.withTransaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("SELECT custody_swap_read_models()", logger: logger)
            try await storeCheckpoint(
                finalCursor, events: finalEvents, evaluatedAt: evaluatedAt, connection, logger: logger)
        }
        try await FoldSnapshot(cursor: finalCursor, events: finalEvents, facts: facts).store(database)
        // Events that committed while the tables were written are applied by the live projector (or the next
        // catch-up), from the checkpoint just stored.
        return Checkpoint(cursor: finalCursor, events: finalEvents, updatedAt: .now, evaluatedAt: evaluatedAt)
    }
}
