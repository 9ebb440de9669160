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
}
