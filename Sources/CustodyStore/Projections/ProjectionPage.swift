import CustodyCore
import Logging
import PostgresNIO

extension ExposureProjection {
    /// A page decided and rendered, ready to be written: the rows and messages that change, and the projector and
    /// cursor that hold once they are committed.
    struct PreparedPage: Sendable {
        let step: ExposureProjector.Step
        let rows: ChangedRows
        let outbox: OutboxMessages
        /// The checkpoint the write expects to find (the one the step was decided from).
        let expected: LogCursor
        /// The checkpoint once the page is committed.
        let next: LogCursor
        /// Events the read models cover once it is.
        let events: Int64
        /// Events in the page.
        let count: Int
        /// How long deciding and rendering took, for the debug line that says where a page's time went.
        let decided: Duration
        let rendered: Duration

        init(
            _ step: ExposureProjector.Step, expected: LogCursor, next: LogCursor, events: Int64, count: Int,
            decided: Duration
        ) throws {
            let rendering = ContinuousClock.now
            (self.step, self.expected, self.next, self.events, self.count) = (step, expected, next, events, count)
            rows = ChangedRows(step.changes)
            outbox = try OutboxMessages(
                step.changes.notices, subscriptions: step.subscriptions, at: step.next.evaluatedAt)
            self.decided = decided
            rendered = ContinuousClock.now - rendering
        }

        /// Pages of at least this many events commit without waiting for the disk (`waitsForDisk`).
        static let catchingUp = 100

        /// Whether the commit waits for the disk. The read models are the log's, rebuilt from it at will, and the
        /// checkpoint commits with them: a server crash that loses a page's commit loses its checkpoint too, and
        /// the projector applies the page again, so a page caught up in bulk need not wait (at a million events,
        /// a page of 1,000 can write 8,000 rows). A page with webhook messages waits: a deliverer may send one
        /// at once, and the page applied again would give it a new id. So do the few facts of a live page: a
        /// standby is sent only what the primary has flushed, and would see them up to `wal_writer_delay` late.
        var waitsForDisk: Bool { !outbox.messages.isEmpty || count < Self.catchingUp }

        /// A page and its write, running in the background.
        struct Writing: Sendable {
            let page: PreparedPage
            let task: Task<Void, any Error>
        }

        /// Writes the rows, the messages and the checkpoint in one transaction, under the lock a rebuild's swap
        /// takes; throws `ProjectionMoved` when the stored checkpoint is not the one the page was decided from.
        ///
        /// `previous` is the write of the page this one was decided on, when that is still running: this page's
        /// exposure rows are written beside it when the two pages share none (a second backend on a second core;
        /// a breach page writes thousands), and everything else, the checkpoint's check included, once it has
        /// committed. Its failure fails this page too.
        func write(
            _ database: Database, after previous: Writing?, failure: ExposureProjection.WritePoint?
        ) async throws {
            let started = ContinuousClock.now
            let logger = database.logger
            let beside = previous.map { !step.changes.sharesExposureRows(with: $0.page.step.changes) } ?? false
            if let previous, !beside { try await previous.task.value }
            let ahead = beside ? previous : nil
            try await database.withTransaction { connection in
                // Shared: a page written beside the one before it holds it too; a rebuild's swap takes it alone.
                try await connection.query(
                    """
                    SELECT pg_advisory_xact_lock_shared(\(ExposureProjection.lockKey)),
                        CASE WHEN \(!waitsForDisk) THEN set_config('synchronous_commit', 'off', true) END
                    """, logger: logger)
                try await rows.writeExposures(connection, logger: logger, failure: failure)
                try await ahead?.task.value
                let stored = try await ExposureProjection.checkpoint(connection, logger: logger)?.cursor ?? .start
                guard stored == expected else { throw ProjectionMoved() }
                try await rows.writeSharedRows(connection, logger: logger, failure: failure)
                try await outbox.write(connection, logger: logger)
                try await failure?("outbox")
                try await failure?("checkpoint")
                try await ExposureProjection.storeCheckpoint(
                    next, events: events, evaluatedAt: step.next.evaluatedAt, connection, logger: logger)
                try await failure?("commit")
            }
            logger.debug(
                "applied a page",
                metadata: [
                    "events": "\(count)", "rows": "\(step.changes.exposures.count)",
                    "organizations": "\(step.changes.organizations.count)",
                    "decide_ms": "\(Int(decided.seconds * 1000))", "render_ms": "\(Int(rendered.seconds * 1000))",
                    "write_ms": "\(Int((ContinuousClock.now - started).seconds * 1000))",
                    "waited_for_disk": "\(waitsForDisk)", "beside_previous": "\(beside)",
                ])
        }
    }
}
