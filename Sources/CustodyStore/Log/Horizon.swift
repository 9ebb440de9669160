import CustodyCore
import PostgresNIO

/// Why readers of the log may not see everything that committed: an older transaction still open somewhere in
/// the cluster holds the visibility horizon back, and events committed after it wait.
public struct Horizon: Sendable, Equatable {
    /// The oldest open transaction that holds the horizon (it has written something), cluster-wide.
    public struct Holder: Sendable, Equatable, Codable, CustomStringConvertible {
        /// Its server process.
        public var pid: Int32
        /// The database it is in.
        public var database: String
        /// Its state (`idle in transaction`, `active`).
        public var state: String
        /// Its application name, when set.
        public var application: String
        /// How long it has been open.
        public var seconds: Double

        /// The holder in one line, for messages.
        public var description: String {
            "transaction of pid \(pid) (\(state) for \(Int(seconds))s in database \(database)"
                + (application.isEmpty ? "" : ", application \(application)") + ")"
        }
    }

    /// Committed events readers cannot see yet.
    public var heldBack: Int64
    /// The transaction holding them back, when one does.
    public var holder: Holder?

    /// Held back by a transaction open longer than `patience`: worth telling an operator.
    public func isStalled(patience: Double = 5) -> Bool {
        heldBack > 0 && (holder?.seconds ?? 0) >= patience
    }
}

extension EventStore {
    /// How many committed events readers cannot see yet, and the transaction that holds them back when one does.
    public func horizon() async throws -> Horizon {
        var horizon = Horizon(heldBack: 0, holder: nil)
        for try await count in try await database.query(
            "SELECT count(*) FROM custody_events WHERE NOT (\(unescaped: EventRow.visible))"
        ).decode(Int64.self) {
            horizon.heldBack = count
        }
        let rows = try await database.query(
            """
            SELECT pid, coalesce(datname, ''), coalesce(state, ''), coalesce(application_name, ''),
                   extract(epoch FROM now() - xact_start)::float8
            FROM pg_stat_activity
            WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
            ORDER BY age(backend_xid) DESC LIMIT 1
            """)
        for try await (pid, name, state, application, seconds) in rows.decode(
            (Int32, String, String, String, Double).self)
        {
            horizon.holder = Horizon.Holder(
                pid: pid, database: name, state: state, application: application, seconds: seconds)
        }
        return horizon
    }
}
