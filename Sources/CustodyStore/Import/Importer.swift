import CustodyCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Bulk import of JSON Lines in the format `custody events --json` prints.
///
/// Every line is validated before anything is written; a bad line is reported with its number and nothing is
/// written. The write is one transaction that holds the log's global lock exclusively (appends wait for it, so
/// versions and the readers' order stay consistent), streaming rows with COPY. Into an empty log, a file whose
/// lines all carry their stored fields is a restore: positions, versions, recorded times and hashes are kept.
public struct Importer: Sendable {
    let database: Database

    public init(_ database: Database) { self.database = database }

    public struct Summary: Sendable, Equatable, Codable {
        public var lines: Int
        /// Events written.
        public var imported: Int
        /// Events whose ids were already stored with the same content.
        public var alreadyStored: Int
        public var restored: Bool
    }

    /// Events per COPY batch and per id/stream lookup.
    static let batchSize = 5000

    public func importFile(at path: String, metadata defaultMetadata: EventMetadata, now: Timestamp = .now) async throws -> Summary {
        let scan = try scan(path: path, now: now)
        let summary = try await database.withTransaction { connection in
            try await write(path: path, scan: scan, defaultMetadata: defaultMetadata, connection: connection)
        }
        if summary.imported > 0 {
            // Fresh statistics after a bulk load: without them the planner may read the log by bitmap scan and
            // sort, making every page of a reader cost the whole remaining log.
            try await database.query("ANALYZE custody_events")
            await EventStore(database).notifyFollowers()
        }
        return summary
    }

    struct Scan {
        var lines = 0
        var events = 0
        var allStored = true
    }

    /// The validation pass: shape, types, times, and for exported lines the hash chain itself.
    private func scan(path: String, now: Timestamp) throws(StoreError) -> Scan {
        var reader = try LineReader(path: path)
        var scan = Scan()
        var chains: [String: (version: Int64, hash: [UInt8])] = [:]
        var seen = Set<UUID>()
        var chainBroken: (line: Int, reason: String)?
        while let line = try reader.next() {
            scan.lines = reader.lineNumber
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let parsed: EventLine
            do {
                parsed = try EventLine(parsing: line)
                try Registry.checkTexts(in: parsed.data)
            } catch {
                throw .importRefused(line: reader.lineNumber, reason: error.message)
            }
            if parsed.occurredAt > now.adding(seconds: 60) {
                throw .importRefused(line: reader.lineNumber, reason: "occurredAt \(parsed.occurredAt) lies in the future")
            }
            guard seen.insert(parsed.id).inserted else {
                throw .importRefused(line: reader.lineNumber, reason: "event id \(parsed.id.uuidString.lowercased()) appears twice in the file")
            }
            scan.events += 1
            guard let stored = parsed.stored else {
                scan.allStored = false
                continue
            }
            let previous = chains[parsed.stream.description] ?? (0, [])
            if chainBroken == nil {
                let recorded = parsed.recorded(stored, metadata: parsed.metadata ?? EventMetadata(actor: "", source: ""))
                if stored.version != previous.version + 1 {
                    chainBroken = (reader.lineNumber, "\(parsed.stream) version \(stored.version) follows version \(previous.version)")
                } else if recorded.expectedHash(after: previous.hash, data: parsed.data) != stored.hash {
                    chainBroken = (reader.lineNumber, "hash of \(parsed.stream) version \(stored.version) does not match its content")
                }
            }
            chains[parsed.stream.description] = (stored.version, stored.hash)
        }
        // A broken chain only matters for a restore: other imports assign fresh versions and hashes.
        if scan.allStored, let chainBroken {
            throw .importRefused(line: chainBroken.line, reason: chainBroken.reason + " (the export was altered)")
        }
        return scan
    }

    private func write(path: String, scan: Scan, defaultMetadata: EventMetadata, connection: PostgresConnection) async throws -> Summary {
        let logger = database.logger
        try await connection.query("SELECT pg_advisory_xact_lock(custody_global_lock_key())", logger: logger)
        var empty = true
        var transactionTime: Int64 = 0
        var futureIds = false
        for try await (isEmpty, nowMicros, future) in try await connection.query(
            """
            SELECT NOT EXISTS (SELECT 1 FROM custody_events), custody_micros(now()),
                   coalesce((SELECT xid FROM custody_events ORDER BY xid DESC LIMIT 1) >= pg_current_xact_id(), false)
            """, logger: logger
        ).decode((Bool, Int64, Bool).self) {
            (empty, transactionTime, futureIds) = (isEmpty, nowMicros, future)
        }
        if futureIds { throw StoreError.restoredIntoNewCluster }
        let restore = empty && scan.allStored && scan.events > 0
        var summary = Summary(lines: scan.lines, imported: 0, alreadyStored: 0, restored: restore)
        var heads: [String: (version: Int64, hash: [UInt8])] = [:]
        var reader = try LineReader(path: path)
        var batch: [(line: Int, event: EventLine)] = []

        func flush() async throws {
            guard !batch.isEmpty else { return }
            var rows = ByteBuffer()
            if restore {
                for (_, line) in batch {
                    guard let stored = line.stored else { continue }
                    let recorded = line.recorded(stored, metadata: line.metadata ?? defaultMetadata)
                    CopyRow.append(recorded, data: line.data, position: stored.position, to: &rows)
                    heads[recorded.stream.description] = (stored.version, stored.hash)
                }
                summary.imported += batch.count
            } else {
                let existing = try await storedEvents(ids: batch.map(\.event.id), connection: connection)
                let unknownStreams = Set(batch.map(\.event.stream.description)).filter { heads[$0] == nil }
                try await loadHeads(Array(unknownStreams), into: &heads, connection: connection)
                for (number, line) in batch {
                    if let stored = existing[line.id] {
                        guard stored == line.fingerprint else {
                            throw StoreError.importRefused(
                                line: number, reason: "event id \(line.id.uuidString.lowercased()) is already stored with different content")
                        }
                        summary.alreadyStored += 1
                        continue
                    }
                    let head = heads[line.stream.description] ?? (0, [])
                    var recorded = line.recorded(
                        .init(version: head.version + 1, position: 0, recordedAt: Timestamp(microseconds: transactionTime), hash: []),
                        metadata: line.metadata ?? defaultMetadata)
                    recorded.hash = recorded.expectedHash(after: head.hash, data: line.data)
                    CopyRow.append(recorded, data: line.data, position: nil, to: &rows)
                    heads[line.stream.description] = (recorded.version, recorded.hash)
                    summary.imported += 1
                }
            }
            batch.removeAll(keepingCapacity: true)
            guard rows.readableBytes > 0 else { return }
            let columns = (restore ? ["position"] : []) + CopyRow.columns
            try await connection.copyFrom(table: "custody_events", columns: columns, logger: logger) { writer in
                try await writer.write(rows)
            }
        }

        while let line = try reader.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            batch.append((reader.lineNumber, try EventLine(parsing: line)))
            if batch.count >= Self.batchSize { try await flush() }
        }
        try await flush()
        try await saveHeads(heads, connection: connection)
        if restore {
            try await connection.query(
                "SELECT setval(pg_get_serial_sequence('custody_events', 'position'), (SELECT max(position) FROM custody_events))",
                logger: logger)
        }
        return summary
    }

    private func storedEvents(ids: [UUID], connection: PostgresConnection) async throws -> [UUID: EventLine.Fingerprint] {
        var stored: [UUID: EventLine.Fingerprint] = [:]
        let rows = try await connection.query(
            """
            SELECT event_id, stream_id, type, data::text, custody_micros(occurred_at)
            FROM custody_events WHERE event_id = ANY(\(ids))
            """, logger: database.logger)
        for try await (id, stream, type, data, occurred) in rows.decode((UUID, String, String, String, Int64).self) {
            let canonical = (try? EventCoding.value(ofJSON: data))?.jsonbText ?? data
            stored[id] = EventLine.Fingerprint(stream: stream, type: type, data: canonical, occurredAt: occurred)
        }
        return stored
    }

    private func loadHeads(
        _ streams: [String], into heads: inout [String: (version: Int64, hash: [UInt8])], connection: PostgresConnection
    ) async throws {
        guard !streams.isEmpty else { return }
        let rows = try await connection.query(
            "SELECT stream_id, version, last_hash FROM custody_streams WHERE stream_id = ANY(\(streams))",
            logger: database.logger)
        for try await (stream, version, hash) in rows.decode((String, Int64, ByteBuffer).self) {
            heads[stream] = (version, Array(buffer: hash))
        }
    }

    private func saveHeads(_ heads: [String: (version: Int64, hash: [UInt8])], connection: PostgresConnection) async throws {
        let entries = Array(heads)
        for start in stride(from: 0, to: entries.count, by: Self.batchSize) {
            let slice = entries[start..<min(start + Self.batchSize, entries.count)]
            let streams = slice.map(\.key)
            let versions = slice.map(\.value.version)
            let hashes = slice.map { ChainHash.hex($0.value.hash) }
            try await connection.query(
                """
                INSERT INTO custody_streams (stream_id, version, last_hash)
                SELECT s, v, decode(h, 'hex') FROM unnest(\(streams)::text[], \(versions)::bigint[], \(hashes)::text[]) AS x(s, v, h)
                ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, last_hash = excluded.last_hash
                """, logger: database.logger)
        }
    }
}

extension EventLine {
    /// What must match for a re-imported event id to count as the same event.
    struct Fingerprint: Equatable {
        var stream: String
        var type: String
        var data: String
        var occurredAt: Int64
    }

    var fingerprint: Fingerprint {
        Fingerprint(stream: stream.description, type: event.type, data: data.jsonbText, occurredAt: occurredAt.microseconds)
    }

    func recorded(_ stored: Stored, metadata: EventMetadata) -> RecordedEvent {
        RecordedEvent(
            id: id, stream: stream, version: stored.version, position: stored.position, event: event, metadata: metadata,
            occurredAt: occurredAt, recordedAt: stored.recordedAt, hash: stored.hash)
    }
}

/// Rows in COPY's text format: tab-separated, with backslash escapes for the characters that format reserves.
enum CopyRow {
    static let columns = [
        "event_id", "stream_id", "stream_version", "type", "schema_version", "data", "metadata", "occurred_at",
        "recorded_at", "hash",
    ]

    static func append(_ event: RecordedEvent, data: JSONValue, position: Int64?, to buffer: inout ByteBuffer) {
        if let position { field(String(position), &buffer) }
        field(event.id.uuidString.lowercased(), &buffer)
        field(event.stream.description, &buffer)
        field(String(event.version), &buffer)
        field(event.event.type, &buffer)
        field(String(event.event.schemaVersion), &buffer)
        field(data.jsonbText, &buffer)
        field(event.metadata.json.jsonbText, &buffer)
        field(event.occurredAt.description, &buffer)
        field(event.recordedAt.description, &buffer)
        buffer.writeString("\\\\x" + ChainHash.hex(event.hash) + "\n")
    }

    private static func field(_ text: String, _ buffer: inout ByteBuffer) {
        for byte in text.utf8 {
            switch byte {
            case 0x5C: buffer.writeStaticString("\\\\")
            case 0x09: buffer.writeStaticString("\\t")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(0x09))
    }
}
