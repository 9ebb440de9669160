import CustodyCore
import PostgresNIO

/// Recomputes every stream's hash chain and checks versions are contiguous, positions follow versions and record
/// times never go back along a stream. A deleted tail of a stream leaves a chain that holds: a seal finds it.
public struct Verifier: Sendable {
    let database: Database

    /// A verifier of `database`'s log.
    public init(_ database: Database) { self.database = database }

    /// A broken link: the first per stream.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The stream.
        public var stream: String
        /// The version where it breaks.
        public var version: Int64
        /// What is wrong.
        public var reason: String
        /// `stream vN: reason`.
        public var description: String { "\(stream) v\(version): \(reason)" }
    }

    /// What `custody verify` found: how much it checked, and every problem (an intact log has none).
    public struct Report: Sendable, Equatable {
        /// Events checked.
        public var events: Int64
        /// Streams checked.
        public var streams: Int64
        /// Every problem found, the first per stream.
        public var problems: [Problem]
        /// Whether none was found.
        public var intact: Bool { problems.isEmpty }
    }

    /// Every stream's problems (the first broken link of each), with how many events and streams were checked.
    public func verify() async throws -> Report {
        // Each link is checked against the stored previous hash, so one edited row breaks its own link, and a
        // row whose hash was recomputed to hide an edit breaks the next one.
        let links = try await database.query(
            """
            SELECT DISTINCT ON (stream_id) stream_id, stream_version, reason FROM (
                SELECT stream_id, stream_version,
                       CASE WHEN stream_version <> coalesce(lag(stream_version) OVER w, 0) + 1
                                THEN 'version ' || stream_version || ' follows version '
                                     || coalesce(lag(stream_version) OVER w, 0) || ' (versions must be contiguous)'
                            WHEN hash <> custody_event_hash(lag(hash) OVER w, event_id, stream_id, stream_version, type,
                                                            schema_version, data, metadata, occurred_at, recorded_at)
                                THEN 'hash does not match the event and the previous link (the row was altered)'
                            WHEN NOT custody_known_event(type, schema_version) OR jsonb_typeof(data) <> 'object'
                                THEN 'a ' || type || ' of schema version ' || schema_version
                                     || ' that no reader can read (unknown type or version, or data not an object)'
                            WHEN position < lag(position) OVER w
                                THEN 'at position ' || position || ', before version ' || (stream_version - 1)
                                     || ' (positions must follow versions)'
                            WHEN recorded_at < lag(recorded_at) OVER w
                                THEN 'recorded at ' || to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                                     || ', before version ' || (stream_version - 1) || ' (record times never go back along a stream)'
                       END AS reason
                FROM custody_events
                WINDOW w AS (PARTITION BY stream_id ORDER BY stream_version)
            ) links
            WHERE reason IS NOT NULL
            ORDER BY stream_id, stream_version
            """)
        var problems: [Problem] = []
        for try await (stream, version, reason) in links.decode((String, Int64, String).self) {
            problems.append(Problem(stream: stream, version: version, reason: reason))
        }
        let counts = try await database.query(
            "SELECT count(*), count(DISTINCT stream_id) FROM custody_events")
        var report = Report(events: 0, streams: 0, problems: problems.sorted { $0.stream < $1.stream })
        for try await (events, streams) in counts.decode((Int64, Int64).self) {
            (report.events, report.streams) = (events, streams)
        }
        return report
    }
}
