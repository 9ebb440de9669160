import CustodyCore
import PostgresNIO

extension ExposureProjection {
    /// How the read models stand when a statement reads them: the schema's version, whether nothing was in
    /// progress (`settled`, as `EventStore.waitForHorizon` asks), whether a checkpoint exists, and how many visible
    /// events lie after it. A present view reads it in the statement that reads its answer (`list`,
    /// `organizationView`): one snapshot for both, and one round trip fewer than asking first (~1 ms of a
    /// one-shot command's 18).
    struct Standing: Sendable {
        var schema: Int
        var settled: Bool
        var checkpointed: Bool
        var lag: Int64

        /// The statement's first row, that says it (trusted text, for `unescaped:`): its four columns, then
        /// `payload` (NULLs of the types of the answer's columns, which follow `Standing.none` in its rows); nothing
        /// when not `asked`, so that only the answer's rows remain.
        static func row(_ asked: Bool, payload: String) -> String {
            asked ? select(payload: ", " + payload) + "\nUNION ALL\n" : ""
        }

        /// The standing alone, or followed by `payload`.
        static func select(payload: String = "") -> String {
            """
            SELECT \(Migrator.version),
                pg_snapshot_xmin(pg_current_snapshot()) >= pg_snapshot_xmax(pg_current_snapshot()),
                c.projection IS NOT NULL, (
                    SELECT count(*) FROM custody_events
                    WHERE \(EventRow.visible)
                      AND (xid, position) > (coalesce(c.transaction_id, 0)::text::xid8, coalesce(c.position, 0))
                )\(payload)
            FROM (SELECT 1) one LEFT JOIN custody_projection_checkpoints c ON c.projection = '\(name)'
            """
        }

        /// The four columns of the answer's rows (typed: a statement without the standing row starts with them).
        static let none = "NULL::bigint, NULL::bool, NULL::bool, NULL::bigint"

        /// The standing a row carries; nil for the answer's rows.
        init?(_ schema: Int64?, _ settled: Bool?, _ checkpointed: Bool?, _ lag: Int64?) {
            guard let schema, let settled, let checkpointed, let lag else { return nil }
            (self.schema, self.settled, self.checkpointed, self.lag) = (Int(schema), settled, checkpointed, lag)
        }

        var isCurrent: Bool { checkpointed && lag == 0 }
    }

    /// An answer from the read models, or how many events they are behind the log (then it is not one).
    public enum Current<Answer: Sendable>: Sendable {
        case current(Answer)
        case behind(Int64)

        /// The same standing, with `transform`'s answer.
        public func map<Other>(_ transform: (Answer) -> Other) -> Current<Other> {
            switch self {
            case .current(let answer): return .current(transform(answer))
            case .behind(let lag): return .behind(lag)
            }
        }
    }

    /// `read`'s answer when the read models are current. Throws as `Migrator.requireCurrent` when the schema is
    /// not this binary's, and reads again once the events committed before it are visible
    /// (`EventStore.waitForHorizon`) when a transaction was in progress, so a fact the user just recorded counts.
    static func whenCurrent<Answer: Sendable>(
        _ database: Database, _ read: () async throws -> (Answer, Standing?)
    ) async throws -> Current<Answer> {
        var (answer, standing) = try await naming(database, read)
        try Migrator.requireCurrent(standing?.schema ?? 0)
        if standing?.settled == false {
            _ = try await EventStore(database).waitForHorizon()
            (answer, standing) = try await naming(database, read)
        }
        guard let standing, standing.isCurrent else { return .behind(standing?.lag ?? 0) }
        return .current(answer)
    }

    /// Nil when the read models are current (checkpointed and no visible event left to apply); otherwise how many
    /// events they are behind: whether a question not read with its standing may be answered from them.
    public static func behind(_ database: Database) async throws -> Int64? {
        switch try await whenCurrent(database, { ((), try await standing(database)) }) {
        case .current: return nil
        case .behind(let lag): return lag
        }
    }

    /// How many visible events the projection has not applied yet.
    public static func lag(_ database: Database) async throws -> Int64 {
        try await naming(database) { try await standing(database)?.lag ?? 0 }
    }

    /// The standing alone.
    private static func standing(_ database: Database) async throws -> Standing? {
        let rows = try await database.query("\(unescaped: Standing.select())")
        for try await (schema, settled, checkpointed, lag) in rows.decode((Int64?, Bool?, Bool?, Int64?).self) {
            return Standing(schema, settled, checkpointed, lag)
        }
        return nil
    }

    /// `read`'s value; its failure named as a schema older than this binary's when that is what it is (a table
    /// it asks about may be missing).
    private static func naming<T>(_ database: Database, _ read: () async throws -> T) async throws -> T {
        do { return try await read() } catch {
            try await Migrator(database).requireCurrent()
            throw error
        }
    }
}
