import CustodyCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The rules every new fact meets on every path (`Registry.check`), applied to each line in file order against
/// the streams the import touches, as the log holds them in this transaction (which holds the global lock, so they
/// cannot change underneath). The first refused line names its number, and nothing is written.
struct Rules {
    var registry = Registry()
    var loaded = Set<String>()
    /// The exposure fold, for the rule on responses: the file's lines as they are admitted, and the log's facts
    /// once a response needs them (the fold does not care about order).
    var chain = SupplyChain()
    var logFolded = true
    var admitted: Int64 = 0

    /// Folds the streams these lines touch (their own and those they name) that are not folded yet.
    mutating func load(_ lines: [Lines.Numbered], _ connection: PostgresConnection, logger: Logger) async throws {
        var wanted: [String] = []
        for line in lines {
            for stream in [line.event.stream] + line.event.event.references
            where loaded.insert(stream.description).inserted {
                wanted.append(stream.description)
            }
        }
        if !wanted.isEmpty {
            let rows = try await connection.query(
                "\(unescaped: EventRow.select) WHERE stream_id = ANY(\(wanted)) ORDER BY stream_id, stream_version",
                logger: logger)
            for try await row in rows { registry.apply(try EventRow.decode(row).0) }
        }
        let responds = lines.contains { if case .exposureResponseRecorded = $0.event.event { true } else { false } }
        if responds, !logFolded {
            let rows = try await connection.query(
                "\(unescaped: EventRow.select) WHERE \(unescaped: EventRow.fact) ORDER BY position",
                logger: logger)
            for try await row in rows { chain.apply(try EventRow.decode(row).0) }
            logFolded = true
        }
    }

    /// Checks a line against everything before it, then adds it.
    mutating func admit(_ line: Lines.Numbered) throws(StoreError) {
        let (event, time) = (line.event.event, line.event.occurredAt)
        do {
            try registry.check(event, at: time)
            if case .exposureResponseRecorded(let response) = event { try chain.check(response, at: time) }
        } catch {
            throw .importRefused(line: line.number, reason: error.message)
        }
        registry.apply(event, at: time)
        guard SupplyChain.folds(event) else { return }
        // Stamped after everything the log holds, in file order, as the import will record them.
        admitted += 1
        chain.apply(
            RecordedEvent(
                id: line.event.id, stream: line.event.stream, version: 0, position: Int64.max / 2 + admitted,
                event: event,
                metadata: line.event.metadata ?? EventMetadata(actor: "import", source: "import"), occurredAt: time,
                recordedAt: .now, hash: []))
    }
}

/// Where each stream the import touches stands: its version and last hash, read from its last event where needed.
struct Heads {
    var streams: [String: (version: Int64, hash: [UInt8])] = [:]

    /// The line as the next event of its stream, hash-chained.
    mutating func link(_ line: EventLine, metadata: EventMetadata, texts: CopyRow.Texts, at recordedAt: Timestamp)
        -> RecordedEvent
    {
        let key = line.stream.description
        let head = streams[key] ?? (0, [])
        var recorded = line.recorded(
            .init(version: head.version + 1, position: 0, recordedAt: recordedAt, hash: []),
            metadata: line.metadata ?? metadata)
        recorded.hash = recorded.expectedHash(after: head.hash, dataText: texts.data, metadataText: texts.metadata)
        streams[key] = (recorded.version, recorded.hash)
        return recorded
    }

    mutating func load(_ wanted: Set<String>, _ connection: PostgresConnection, logger: Logger) async throws {
        let missing = wanted.filter { streams[$0] == nil }
        guard !missing.isEmpty else { return }
        let rows = try await connection.query(
            """
            SELECT DISTINCT ON (stream_id) stream_id, stream_version, hash FROM custody_events
            WHERE stream_id = ANY(\(Array(missing))) ORDER BY stream_id, stream_version DESC
            """, logger: logger)
        for try await (stream, version, hash) in rows.decode((String, Int64, ByteBuffer).self) {
            streams[stream] = (version, Array(buffer: hash))
        }
    }
}
extension EventLine {
    /// What must match for a re-imported event id to count as the same event: what `custody_append` compares
    /// for a retried id (schema/010), no more and no less (docs/rules.md, "The same fact twice").
    struct Fingerprint: Equatable {
        var stream: String
        var type: String
        var schemaVersion: Int
        var data: String
        var occurredAt: Int64

        /// As PostgreSQL compares a recording command's retry of an id: exact text (see `isSameText`).
        static func == (a: Fingerprint, b: Fingerprint) -> Bool {
            a.stream.isSameText(as: b.stream) && a.type.isSameText(as: b.type) && a.schemaVersion == b.schemaVersion
                && a.data.isSameText(as: b.data) && a.occurredAt == b.occurredAt
        }
    }

    var fingerprint: Fingerprint {
        Fingerprint(
            stream: stream.description, type: event.type, schemaVersion: event.schemaVersion, data: data.jsonbText,
            occurredAt: occurredAt.microseconds)
    }

    func recorded(_ stored: Stored, metadata: EventMetadata) -> RecordedEvent {
        RecordedEvent(
            id: id, stream: stream, version: stored.version, position: stored.position, event: event,
            metadata: metadata,
            occurredAt: occurredAt, recordedAt: stored.recordedAt, hash: stored.hash)
    }
}

/// An event as a row of `custody_events` for COPY.
enum CopyRow {
    static let columns = [
        "event_id", "stream_id", "stream_version", "type", "schema_version", "data", "metadata", "occurred_at",
        "recorded_at", "hash",
    ]

    /// The event's data and metadata as `jsonb` text, rendered once for both the hash and the row.
    struct Texts {
        var data: String
        var metadata: String
    }

    static func fields(_ event: RecordedEvent, texts: Texts, position: Int64?) -> [String] {
        (position.map { [String($0)] } ?? []) + [
            event.id.uuidString.lowercased(), event.stream.description, String(event.version), event.event.type,
            String(event.event.schemaVersion), texts.data, texts.metadata, event.occurredAt.description,
            event.recordedAt.description, "\\x" + ChainHash.hex(event.hash),
        ]
    }
}
