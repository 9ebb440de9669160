import CustodyCore
import Foundation
import Logging
import PostgresNIO

/// Where the read models stand: their checkpoint, how far behind the log they are, and whether they can go on.
extension ExposureProjection {
    /// The read models' checkpoint: the log cursor and event count they reflect, and when they were written.
    public struct Checkpoint: Sendable, Equatable {
        /// The last event applied.
        public var cursor: LogCursor
        /// How many events of the log the read models cover.
        public var events: Int64
        /// When the checkpoint was written.
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

    /// The read models' checkpoint; nil before the first projection run or rebuild.
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
        for try await (transaction, position, events, updated, evaluated) in rows.decode(
            (Int64, Int64, Int64, Int64, Int64).self)
        {
            return Checkpoint(
                cursor: LogCursor(transaction: transaction, position: position), events: events,
                updatedAt: Timestamp(microseconds: updated), evaluatedAt: Timestamp(microseconds: evaluated))
        }
        return nil
    }

    /// Nil when the read models are current (checkpointed and no visible event left to apply); otherwise how many
    /// events they are behind: whether a question may be answered from them. Throws as `Migrator.requireCurrent`
    /// when the schema is not this binary's, and asks once the events committed before it are visible
    /// (`EventStore.waitForHorizon`), so a fact the user just recorded counts. One statement says all three in
    /// the usual case (a present view's first round trip): only when a transaction was in progress does it wait
    /// and ask again.
    public static func behind(_ database: Database) async throws -> Int64? {
        var standing = try await standing(database)
        try Migrator.requireCurrent(standing.schema)
        if !standing.settled {
            _ = try await EventStore(database).waitForHorizon()
            standing = try await Self.standing(database)
        }
        return standing.checkpointed && standing.lag == 0 ? nil : standing.lag
    }

    /// The schema's version, whether nothing was in progress when it was asked (`settled`, as `waitForHorizon`
    /// asks), whether a checkpoint exists, and how many visible events lie after it: one statement, one snapshot.
    static func standing(_ database: Database) async throws -> (
        schema: Int, settled: Bool, checkpointed: Bool, lag: Int64
    ) {
        do {
            let rows = try await database.query(
                """
                SELECT \(unescaped: Migrator.version),
                    pg_snapshot_xmin(pg_current_snapshot()) >= pg_snapshot_xmax(pg_current_snapshot()),
                    c.projection IS NOT NULL, (
                        SELECT count(*) FROM custody_events
                        WHERE \(unescaped: EventRow.visible)
                          AND (xid, position) > (coalesce(c.transaction_id, 0)::text::xid8, coalesce(c.position, 0))
                    )
                FROM (SELECT 1) one LEFT JOIN custody_projection_checkpoints c ON c.projection = \(name)
                """)
            for try await (schema, settled, checkpointed, lag) in rows.decode((Int64, Bool, Bool, Int64).self) {
                return (Int(schema), settled, checkpointed, lag)
            }
            return (0, true, false, 0)
        } catch {
            // A table it asks about may be missing: a schema older than this binary's is named as such.
            try await Migrator(database).requireCurrent()
            throw error
        }
    }

    /// The first event after the checkpoint that no reader can decode, named (position, stream, version, type),
    /// or nil. A projector stops at such an event and retries for ever; this is how `/ready` and `projections
    /// status` say so instead of only counting the events behind it. Reads at most one catch-up page.
    public static func unreadable(_ database: Database, within events: Int = 5000) async throws -> String? {
        let page = try await EventStore(database).fetchLog(
            after: try await checkpoint(database)?.cursor ?? .start, limit: events)
        for row in page.rows {
            do { _ = try EventRow.decode(row) } catch CustodyError.malformedEvent(let reason) { return reason }
        }
        return nil
    }

    /// How many visible events the projection has not applied yet.
    public static func lag(_ database: Database) async throws -> Int64 { try await standing(database).lag }
}
