import CustodyCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Bulk import of JSON Lines in the format `custody events --json` prints.
///
/// One pass over the file, in one transaction that holds the log's global lock exclusively (appends wait for
/// it, so versions and the readers' order stay consistent): each line is validated and turned into a row as it is
/// read, and the first refused line rolls everything back, so a bad line is reported with its number and nothing
/// is written. Into an empty log nothing can be stored already, so rows stream through a single COPY while the
/// next lines are parsed (PostgreSQL ingests on its own core meanwhile); into a log that holds events, lines go in
/// batches that first look up which ids are stored and where their streams stand. Into an empty log, a file whose
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

    /// Events per lookup batch.
    static let batchSize = 5000

    public func importFile(at path: String, metadata defaultMetadata: EventMetadata, now: Timestamp = .now) async throws -> Summary {
        let run = Run(path: path, now: now, defaultMetadata: defaultMetadata, logger: database.logger)
        var written = try await database.withTransaction { connection in try await run.write(restoreIfEmpty: true, connection) }
        if written == nil {
            // The file began with exported lines but also holds new ones: an import, not a restore, from the top.
            written = try await database.withTransaction { connection in try await run.write(restoreIfEmpty: false, connection) }
        }
        guard let summary = written else { throw StoreError.database("the import could not decide between restore and import") }
        if summary.imported > 0 {
            // Fresh statistics after a bulk load: without them the planner may read the log by bitmap scan and
            // sort, making every page of a reader cost the whole remaining log.
            try await database.query("ANALYZE custody_events")
            await EventStore(database).notifyFollowers()
        }
        return summary
    }

    private enum NotARestore: Error { case signal }

    /// One attempt at writing the file.
    private struct Run: Sendable {
        let path: String
        let now: Timestamp
        let defaultMetadata: EventMetadata
        let logger: Logger

        /// The summary, or nil when a restore met a line without stored fields: the COPY has then failed, which
        /// aborted the transaction, and the caller's COMMIT rolls it back.
        func write(restoreIfEmpty: Bool, _ connection: PostgresConnection) async throws -> Summary? {
            try await connection.query("SELECT pg_advisory_xact_lock(custody_global_lock_key())", logger: logger)
            var empty = true
            var transactionTime: Int64 = 0
            var futureIds = false
            for try await (isEmpty, nowMicros, future) in try await connection.query(
                """
                SELECT NOT EXISTS (SELECT 1 FROM custody_events),
                       -- Taken after the lock, never before a time the log already holds: record times never go
                       -- back along a stream, even when appends committed while this import waited for the lock.
                       custody_micros(greatest(clock_timestamp(), (SELECT max(recorded_at) FROM custody_events))),
                       coalesce((SELECT xid FROM custody_events ORDER BY xid DESC LIMIT 1) >= pg_current_xact_id(), false)
                """, logger: logger
            ).decode((Bool, Int64, Bool).self) {
                (empty, transactionTime, futureIds) = (isEmpty, nowMicros, future)
            }
            if futureIds { throw StoreError.restoredIntoNewCluster }
            var lines = Lines(reader: try LineReader(path: path), now: now)
            var heads = Heads()
            var rules = Rules()
            let recordedAt = Timestamp(microseconds: transactionTime)
            var summary = Summary(lines: 0, imported: 0, alreadyStored: 0, restored: false)
            if empty, let first = try lines.next() {
                summary.restored = restoreIfEmpty && first.event.stored != nil
                do {
                    try await stream(
                        first: first, from: &lines, restore: summary.restored, recordedAt: recordedAt, heads: &heads, rules: &rules,
                        connection)
                } catch NotARestore.signal {
                    return nil
                }
                if summary.restored {
                    if let broken = lines.chainBroken {
                        throw StoreError.importRefused(line: broken.line, reason: broken.reason + " (the export was altered)")
                    }
                    try await connection.query(
                        "SELECT setval(pg_get_serial_sequence('custody_events', 'position'), (SELECT max(position) FROM custody_events))",
                        logger: logger)
                }
                summary.imported = lines.events
            } else if !empty {
                rules.logFolded = false
                try await batches(from: &lines, recordedAt: recordedAt, heads: &heads, rules: &rules, summary: &summary, connection)
            }
            summary.lines = lines.reader.lineNumber
            return summary
        }

        /// Into an empty log: every line becomes a row, streamed through one COPY.
        private func stream(
            first: Lines.Numbered, from lines: inout Lines, restore: Bool, recordedAt: Timestamp, heads: inout Heads,
            rules: inout Rules, _ connection: PostgresConnection
        ) async throws {
            let columns = (restore ? ["position"] : []) + CopyRow.columns
            try await connection.copyFrom(table: "custody_events", columns: columns, logger: logger) { writer in
                var rows = CopyStream(writer)
                var next: Lines.Numbered? = first
                while let line = next {
                    // The file's history must be consistent with itself: each line is checked against the ones before.
                    try rules.admit(line)
                    let texts = texts(of: line.event)
                    if restore {
                        guard let stored = line.event.stored else { throw NotARestore.signal }
                        let recorded = line.event.recorded(stored, metadata: line.event.metadata ?? defaultMetadata)
                        try lines.checkRestored(recorded, number: line.number)
                        lines.checkChain(recorded, texts: texts, number: line.number)
                        try await rows.row(CopyRow.fields(recorded, texts: texts, position: stored.position))
                    } else {
                        let recorded = heads.link(line.event, metadata: defaultMetadata, texts: texts, at: recordedAt)
                        try await rows.row(CopyRow.fields(recorded, texts: texts, position: nil))
                    }
                    next = try lines.next()
                }
                try await rows.flush()
            }
        }

        /// Into a log that holds events: batches that skip ids already stored with the same content.
        private func batches(
            from lines: inout Lines, recordedAt: Timestamp, heads: inout Heads, rules: inout Rules, summary: inout Summary,
            _ connection: PostgresConnection
        ) async throws {
            var batch: [Lines.Numbered] = []
            var rows: [[String]] = []
            var finished = false
            while !finished {
                if let line = try lines.next() { batch.append(line) } else { finished = true }
                guard batch.count >= Importer.batchSize || (finished && !batch.isEmpty) else { continue }
                let existing = try await storedEvents(ids: batch.map(\.event.id), connection)
                try await heads.load(Set(batch.map(\.event.stream.description)), connection, logger: logger)
                try await rules.load(batch, connection, logger: logger)
                for line in batch {
                    if let stored = existing[line.event.id] {
                        guard stored == line.event.fingerprint else {
                            throw StoreError.importRefused(
                                line: line.number,
                                reason: "event id \(line.event.id.uuidString.lowercased()) is already stored with different content")
                        }
                        summary.alreadyStored += 1
                        continue
                    }
                    try rules.admit(line)
                    let texts = texts(of: line.event)
                    let recorded = heads.link(line.event, metadata: defaultMetadata, texts: texts, at: recordedAt)
                    rows.append(CopyRow.fields(recorded, texts: texts, position: nil))
                    summary.imported += 1
                }
                batch.removeAll(keepingCapacity: true)
                guard !rows.isEmpty else { continue }
                try await connection.copyFrom(table: "custody_events", columns: CopyRow.columns, logger: logger) { writer in
                    var stream = CopyStream(writer)
                    for row in rows { try await stream.row(row) }
                    try await stream.flush()
                }
                rows.removeAll(keepingCapacity: true)
            }
        }

        /// The line's data and metadata as `jsonb` text, rendered once for both the hash and the row.
        private func texts(of line: EventLine) -> CopyRow.Texts {
            CopyRow.Texts(data: line.data.jsonbText, metadata: (line.metadata ?? defaultMetadata).json.jsonbText)
        }

        private func storedEvents(ids: [UUID], _ connection: PostgresConnection) async throws -> [UUID: EventLine.Fingerprint] {
            var stored: [UUID: EventLine.Fingerprint] = [:]
            let rows = try await connection.query(
                """
                SELECT event_id, stream_id, type, schema_version, data::text, custody_micros(occurred_at)
                FROM custody_events WHERE event_id = ANY(\(ids))
                """, logger: logger)
            for try await (id, stream, type, version, data, occurred) in rows.decode((UUID, String, String, Int32, String, Int64).self) {
                let canonical = (try? EventCoding.value(ofJSON: data))?.jsonbText ?? data
                stored[id] = EventLine.Fingerprint(
                    stream: stream, type: type, schemaVersion: Int(version), data: canonical, occurredAt: occurred)
            }
            return stored
        }
    }
}

/// The file's event lines, each validated as it is read: shape and types, times, ids unique in the file, and for
/// exported lines the hash chain.
private struct Lines {
    var reader: LineReader
    let now: Timestamp
    private var seen = Set<UUID>()
    private var chains: [String: (version: Int64, hash: [UInt8])] = [:]
    /// The first line where an exported chain does not hold; it matters only for a restore, which keeps them.
    private(set) var chainBroken: (line: Int, reason: String)?
    private(set) var events = 0

    struct Numbered: Sendable {
        var number: Int
        var event: EventLine
    }

    init(reader: LineReader, now: Timestamp) { (self.reader, self.now) = (reader, now) }

    /// The next event line, validated; nil at the end of the file.
    mutating func next() throws(StoreError) -> Numbered? {
        while let line = try reader.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let number = reader.lineNumber
            let parsed: EventLine
            do {
                parsed = try EventLine(parsing: line)
                try Registry.checkTexts(in: parsed.data)
                if let metadata = parsed.metadata { try Registry.checkMetadata(metadata) }
            } catch {
                throw .importRefused(line: number, reason: error.message)
            }
            if parsed.occurredAt.isInTheFuture(of: now) {
                throw .importRefused(line: number, reason: "occurredAt \(parsed.occurredAt) lies in the future")
            }
            guard seen.insert(parsed.id).inserted else {
                throw .importRefused(line: number, reason: "event id \(parsed.id.uuidString.lowercased()) appears twice in the file")
            }
            events += 1
            return Numbered(number: number, event: parsed)
        }
        return nil
    }

    /// The highest position a restore may keep: far below the sequence's limit, so appends have room after it.
    static let maximumPosition: Int64 = 1 << 53
    private var lastPosition: Int64 = 0
    private var lastRecorded: [String: Timestamp] = [:]

    /// What a restore keeps must be a log this database could have written: positions increasing through the file
    /// and leaving room for appends, record times not in the future and never going back along a stream.
    mutating func checkRestored(_ recorded: RecordedEvent, number: Int) throws(StoreError) {
        guard recorded.position > lastPosition else {
            throw .importRefused(line: number, reason: "position \(recorded.position) does not follow position \(lastPosition) (positions increase through an export)")
        }
        guard recorded.position <= Self.maximumPosition else {
            throw .importRefused(line: number, reason: "position \(recorded.position) is beyond \(Self.maximumPosition), leaving no room for appends")
        }
        guard !recorded.recordedAt.isInTheFuture(of: now) else {
            throw .importRefused(line: number, reason: "recordedAt \(recorded.recordedAt) lies in the future")
        }
        let key = recorded.stream.description
        if let previous = lastRecorded[key], recorded.recordedAt < previous {
            throw .importRefused(
                line: number, reason: "recordedAt \(recorded.recordedAt) is before \(previous), the time of the stream's version before (record times never go back along a stream)")
        }
        lastPosition = recorded.position
        lastRecorded[key] = recorded.recordedAt
    }

    /// Checks an exported line against the chain of the lines before it.
    mutating func checkChain(_ recorded: RecordedEvent, texts: CopyRow.Texts, number: Int) {
        let key = recorded.stream.description
        let previous = chains[key] ?? (0, [])
        if chainBroken == nil {
            if recorded.version != previous.version + 1 {
                chainBroken = (number, "\(recorded.stream) version \(recorded.version) follows version \(previous.version)")
            } else if recorded.expectedHash(after: previous.hash, dataText: texts.data, metadataText: texts.metadata) != recorded.hash {
                chainBroken = (number, "hash of \(recorded.stream) version \(recorded.version) does not match its content")
            }
        }
        chains[key] = (recorded.version, recorded.hash)
    }
}

/// The rules every new fact meets on every path (`Registry.check`), applied to each line in file order against
/// the streams the import touches, as the log holds them in this transaction (which holds the global lock, so they
/// cannot change underneath). The first refused line names its number, and nothing is written.
private struct Rules {
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
            for stream in [line.event.stream] + line.event.event.references where loaded.insert(stream.description).inserted {
                wanted.append(stream.description)
            }
        }
        if !wanted.isEmpty {
            let rows = try await connection.query(
                "\(unescaped: EventRow.select) WHERE stream_id = ANY(\(wanted)) ORDER BY stream_id, stream_version", logger: logger)
            for try await row in rows { registry.apply(try EventRow.decode(row).0) }
        }
        let responds = lines.contains { if case .exposureResponseRecorded = $0.event.event { true } else { false } }
        if responds, !logFolded {
            let rows = try await connection.query(
                "\(unescaped: EventRow.select) WHERE type <> 'InvestigationFindingRecorded' ORDER BY position", logger: logger)
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
        chain.apply(RecordedEvent(
            id: line.event.id, stream: line.event.stream, version: 0, position: Int64.max / 2 + admitted, event: event,
            metadata: line.event.metadata ?? EventMetadata(actor: "import", source: "import"), occurredAt: time,
            recordedAt: .now, hash: []))
    }
}

/// Where each stream the import touches stands: its version and last hash, read from its last event where needed.
private struct Heads {
    var streams: [String: (version: Int64, hash: [UInt8])] = [:]

    /// The line as the next event of its stream, hash-chained.
    mutating func link(_ line: EventLine, metadata: EventMetadata, texts: CopyRow.Texts, at recordedAt: Timestamp) -> RecordedEvent {
        let key = line.stream.description
        let head = streams[key] ?? (0, [])
        var recorded = line.recorded(
            .init(version: head.version + 1, position: 0, recordedAt: recordedAt, hash: []), metadata: line.metadata ?? metadata)
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
            id: id, stream: stream, version: stored.version, position: stored.position, event: event, metadata: metadata,
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
