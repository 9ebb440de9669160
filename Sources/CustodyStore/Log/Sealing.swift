import CustodyCore
import PostgresNIO

extension EventStore {
    /// Folds the log into a seal builder, in position order, through the newest position every writer has
    /// committed (no event at or below it can still appear); returns the builder and that position.
    ///
    /// The position is read under the log's global lock taken exclusively, which waits for the appends in flight
    /// and is released at once: positions are handed out before commit, so without it an event still committing
    /// could later appear below the seal's position.
    public func sealBuilder() async throws -> (Seal.Builder, Int64) {
        let position = try await database.withTransaction { connection -> Int64 in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(custody_global_lock_key())", logger: database.logger)
            for try await newest in try await connection.query(
                "SELECT coalesce(max(position), 0) FROM custody_events", logger: database.logger
            ).decode(Int64.self) { return newest }
            return 0
        }
        return (try await sealBuilder(through: position), position)
    }

    /// Folds every event at or below `position`, in position order: what a restore keeps (positions, streams,
    /// versions, content), so a seal verifies against an exact restore of the log it sealed.
    public func sealBuilder(through position: Int64) async throws -> Seal.Builder {
        var builder = Seal.Builder()
        var after: Int64 = 0
        while after < position {
            let rows = try await database.query(
                """
                \(unescaped: EventRow.select) WHERE position > \(after) AND position <= \(position)
                ORDER BY position LIMIT 5000
                """)
            var count = 0
            do {
                for try await row in rows {
                    let event = try EventRow.decode(row).0
                    builder.add(event)
                    after = event.position
                    count += 1
                }
            } catch {
                throw Database.translate(error)
            }
            if count < 5000 { break }
        }
        return builder
    }

    /// Folds the log in (transaction, position) order up to `cursor`: how seals of format 1 were made, whose
    /// cursor holds this cluster's transaction ids (they do not survive a restore).
    public func sealBuilder(upTo cursor: LogCursor) async throws -> Seal.Builder {
        var builder = Seal.Builder()
        _ = try await foldLog(after: .start, upTo: cursor) { events in
            for event in events { builder.add(event) }
        }
        return builder
    }
}
