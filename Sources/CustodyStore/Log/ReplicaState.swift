import CustodyCore
import PostgresNIO

/// Where reads come from when they come from a hot standby, and how far behind the primary it is: in events of
/// the log (what an answer misses) and in seconds since the last transaction it replayed.
public struct ReplicaState: Sendable, Codable, Equatable {
    /// The host the reads are served from (`the socket …` or `host:port`).
    public var readingFrom: String
    /// False when no standby answers and the primary stands in.
    public var inRecovery: Bool
    /// Committed events the standby has not replayed yet (0 when reading from the primary).
    public var behindEvents: Int64
    /// Nil when reading from the primary; 0 when nothing is missing.
    public var replayLagSeconds: Double?

    /// Where `reads` stands against `primary` now.
    public static func measure(reads: Database, primary: Database) async throws -> ReplicaState {
        var inRecovery = false
        var newest: Int64 = 0
        var lag: Double?
        let rows = try await reads.query(
            """
            SELECT pg_is_in_recovery(), coalesce((SELECT max(position) FROM custody_events), 0),
                   extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
            """)
        for try await (recovery, position, seconds) in rows.decode((Bool, Int64, Double?).self) {
            (inRecovery, newest, lag) = (recovery, position, seconds)
        }
        var behind: Int64 = 0
        if inRecovery {
            for try await count in try await primary.query(
                "SELECT count(*) FROM custody_events WHERE position > \(newest)"
            ).decode(Int64.self) {
                behind = count
            }
        }
        return ReplicaState(
            readingFrom: reads.server, inRecovery: inRecovery, behindEvents: behind,
            replayLagSeconds: inRecovery ? (behind == 0 ? 0 : max(lag ?? 0, 0)) : nil)
    }
}
