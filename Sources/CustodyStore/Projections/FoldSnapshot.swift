import CompressNIO
import Crypto
import CustodyCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A stored snapshot of the facts the exposure fold uses, up to a log cursor (format and table: schema/007).
///
/// Every process that needs the fold (a CLI question, `serve` at start) loads the newest snapshot it can trust
/// and reads only the log after it, instead of the whole log. A snapshot of an unknown format or whose checksum
/// does not match its body is skipped with a warning, never trusted.
public struct FoldSnapshot: Sendable {
    /// The body's format (schema/007, schema/023): 2 is format 1's JSON Lines of `custody events --json` lines,
    /// findings left out, gzip-compressed. Uncompressed, a snapshot at a million events was 7 MB of WAL every
    /// 10,000 events, whose flush held every other commit of the cluster back for a second or more.
    public static let format: Int32 = 2
    /// How many snapshots are kept; older ones are deleted when a new one is stored.
    static let kept = 3

    /// The last event it covers.
    public var cursor: LogCursor
    /// Events of the log the snapshot covers.
    public var events: Int64
    /// The events the fold uses, in position order.
    public var facts: [RecordedEvent]

    /// The body for `facts` as stored (compressed), and the SHA-256 of what is stored.
    static func body(_ facts: [RecordedEvent]) throws -> (ByteBuffer, [UInt8]) {
        var lines = ByteBuffer()
        for fact in facts {
            lines.writeString(EventLine.render(fact, cursor: nil))
            lines.writeInteger(UInt8(ascii: "\n"))
        }
        // The fastest level: the lines repeat their keys, so it already shrinks them about tenfold.
        let body = try lines.compress(
            with: .gzip(configuration: ZlibConfiguration(compressionLevel: .fastestCompression)))
        return (body, Array(SHA256.hash(data: body.readableBytesView)))
    }

    /// Parses a stored body, on every core for a large one.
    static func facts(_ body: ByteBuffer) async throws -> [RecordedEvent] {
        var compressed = body
        let text = try compressed.decompress(with: .gzip())
        let bytes = text.readableBytesView
        var lines: [Range<Int>] = []
        var start = bytes.startIndex
        while let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(start..<end)
            start = end + 1
        }
        let workers = DecodingCores.workers(for: lines.count, perWorker: 2000)
        let chunk = (lines.count + workers - 1) / max(workers, 1)
        return try await withThrowingTaskGroup(of: (Int, [RecordedEvent]).self) { group in
            for first in stride(from: 0, to: lines.count, by: max(chunk, 1)) {
                let part = lines[first..<min(first + chunk, lines.count)]
                group.addTask {
                    let parsed = try part.map { range throws -> RecordedEvent in
                        guard let recorded = try EventLine(parsing: bytes[range], trusted: true).recorded else {
                            throw StoreError.database("a fold snapshot line lacks the stored fields")
                        }
                        return recorded
                    }
                    return (first, parsed)
                }
            }
            var parts: [(Int, [RecordedEvent])] = []
            for try await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    /// Stores a snapshot and deletes all but the newest few.
    public func store(_ database: Database) async throws {
        let (body, checksum) = try Self.body(facts)
        let newest = facts.map(\.recordedAt.microseconds).max()
        try await database.withTransaction { connection in
            try await connection.query(
                """
                INSERT INTO custody_fold_snapshots (format, transaction_id, position, events, lines, max_recorded_at, checksum, body)
                VALUES (\(Self.format), \(cursor.transaction), \(cursor.position), \(events), \(Int64(facts.count)),
                    custody_from_micros(\(newest)), \(ByteBuffer(bytes: checksum)), \(body))
                """, logger: database.logger)
            try await connection.query(
                """
                DELETE FROM custody_fold_snapshots WHERE id NOT IN
                    (SELECT id FROM custody_fold_snapshots ORDER BY transaction_id DESC, position DESC LIMIT \(Self.kept))
                """, logger: database.logger)
        }
    }

    /// The newest snapshot that can be trusted (at or before `limit`, when given), or nil; skipped ones are named
    /// in the log.
    public static func newest(_ database: Database, atOrBefore limit: LogCursor? = nil) async throws -> FoldSnapshot? {
        let limit = limit ?? LogCursor(transaction: .max, position: .max)
        let candidates = try await database.query(
            """
            SELECT id, format, transaction_id, position, events, checksum, body FROM custody_fold_snapshots
            WHERE (transaction_id, position) <= (\(limit.transaction), \(limit.position))
            ORDER BY transaction_id DESC, position DESC LIMIT \(Int64(kept))
            """)
        var rows: [(Int64, Int32, Int64, Int64, Int64, ByteBuffer, ByteBuffer)] = []
        for try await row in candidates.decode((Int64, Int32, Int64, Int64, Int64, ByteBuffer, ByteBuffer).self) {
            rows.append(row)
        }
        for (id, format, transaction, position, events, checksum, body) in rows {
            guard format == Self.format else {
                database.logger.warning("ignoring fold snapshot \(id): unknown format \(format)")
                continue
            }
            guard Self.matches(body, checksum) else {
                database.logger.warning("ignoring fold snapshot \(id): its checksum does not match its body")
                continue
            }
            do {
                let facts = try await Self.facts(body)
                return FoldSnapshot(
                    cursor: LogCursor(transaction: transaction, position: position), events: events, facts: facts)
            } catch {
                database.logger.warning("ignoring fold snapshot \(id): \(error)")
            }
        }
        return nil
    }

    /// Whether a stored body is the one its checksum (SHA-256) was computed from.
    static func matches(_ body: ByteBuffer, _ checksum: ByteBuffer) -> Bool {
        Array(SHA256.hash(data: body.readableBytesView)) == Array(checksum.readableBytesView)
    }

    /// How many events the newest stored snapshot covers, when it has a known format and a matching checksum (nil
    /// when there is none, or it cannot be trusted and should be replaced). Its facts are not decoded: the leader
    /// only needs to know how old it is, and decoding tens of thousands of facts on a busy core delayed the first
    /// pages a new leader applied (a visible-latency outlier of ~270 ms at 1M events).
    static func newestEventsIfTrusted(_ database: Database) async throws -> Int64? {
        let rows = try await database.query(
            """
            SELECT format, events, checksum, body FROM custody_fold_snapshots
            ORDER BY transaction_id DESC, position DESC LIMIT 1
            """)
        for try await (format, events, checksum, body) in rows.decode((Int32, Int64, ByteBuffer, ByteBuffer).self) {
            return format == Self.format && Self.matches(body, checksum) ? events : nil
        }
        return nil
    }
}

extension EventStore {
    /// Every event the exposure fold uses that the log had recorded by `knownAt` (everything when nil): the newest
    /// trusted fold snapshot, then the log after it. Findings are left out (`read(streams:)` has them).
    public func foldFacts(knownAt: Timestamp? = nil) async throws -> [RecordedEvent] {
        let snapshot = try await FoldSnapshot.newest(database)
        var facts = snapshot?.facts ?? []
        if let knownAt { facts.removeAll { !$0.wasKnown(at: knownAt) } }
        let after = snapshot?.cursor ?? .start
        let rows = try await database.query(
            """
            \(unescaped: EventRow.select)
            WHERE (xid, position) > (\(after.transaction)::bigint::text::xid8, \(after.position)::bigint)
              AND \(unescaped: EventRow.fact)
              AND (\(knownAt?.microseconds)::bigint IS NULL OR recorded_at <= custody_from_micros(\(knownAt?.microseconds)))
            ORDER BY position
            """)
        do {
            for try await row in rows {
                facts.append(try EventRow.decode(row).0)
                if facts.count % 10_000 == 0 { try Task.checkCancellation() }
            }
        } catch {
            throw Database.translate(error)
        }
        return facts
    }

    /// Folds the newest trusted snapshot at or before `limit`, then the visible log after it up to `limit` (to
    /// its head when nil); returns the cursor reached and how many events of the log that covers.
    public func fold(upTo limit: LogCursor? = nil, _ apply: ([RecordedEvent]) -> Void) async throws -> (
        LogCursor, Int64
    ) {
        let snapshot = try await FoldSnapshot.newest(database, atOrBefore: limit)
        if let snapshot { apply(snapshot.facts) }
        let (cursor, events) = try await foldLog(after: snapshot?.cursor ?? .start, upTo: limit, apply)
        return (cursor, events + (snapshot?.events ?? 0))
    }

    /// Hands the visible log after `cursor` to `apply` a page at a time, up to `limit` (to its head when nil);
    /// returns the cursor reached and how many events that was.
    public func foldLog(
        after cursor: LogCursor, upTo limit: LogCursor? = nil, _ apply: ([RecordedEvent]) -> Void
    ) async throws -> (LogCursor, Int64) {
        var cursor = cursor
        var events: Int64 = 0
        while limit.map({ cursor < $0 }) ?? true {
            // A server told to stop while it folds a long log stops between pages, not after the last one.
            try Task.checkCancellation()
            let page = try await readLog(after: cursor, limit: 5000)
            let entries = page.entries.filter { entry in limit.map { entry.cursor <= $0 } ?? true }
            apply(entries.map(\.event))
            events += Int64(entries.count)
            cursor = entries.last?.cursor ?? cursor
            if page.entries.count < 5000 || entries.count < page.entries.count { break }
        }
        return (cursor, events)
    }

    /// Every event the fold uses up to `cursor`, with how many events of the log that is: a new snapshot's content,
    /// from the newest trusted snapshot and the log between it and `cursor`.
    func snapshot(upTo cursor: LogCursor) async throws -> FoldSnapshot {
        var facts: [RecordedEvent] = []
        let (_, events) = try await fold(upTo: cursor) { events in
            facts += events.filter { SupplyChain.folds($0.event) }
        }
        facts.sort { $0.position < $1.position }
        return FoldSnapshot(cursor: cursor, events: events, facts: facts)
    }
}
