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

    /// An importer into `database`'s log.
    public init(_ database: Database) { self.database = database }

    /// What an import did, line by line: written, already stored, and refused.
    public struct Summary: Sendable, Equatable, Codable {
        /// Lines read (blank ones included).
        public var lines: Int
        /// Events written.
        public var imported: Int
        /// Events whose ids were already stored with the same content.
        public var alreadyStored: Int
        /// Whether the file was restored as exported (positions, record times and hashes kept).
        public var restored: Bool
    }

    /// Events per lookup batch.
    static let batchSize = 5000

    /// Imports a JSON Lines file, all or nothing: into an empty log an export is restored as it was (positions,
    /// record times, hashes); otherwise, or when a file that began as an export holds new lines, appended.
    public func importFile(at path: String, metadata defaultMetadata: EventMetadata, now: Timestamp = .now) async throws
        -> Summary
    {
        let run = Run(path: path, now: now, defaultMetadata: defaultMetadata, logger: database.logger)
        var written = try await database.withTransaction { connection in
            try await run.write(restoreIfEmpty: true, connection)
        }
        if written == nil {
            // The file began with exported lines but also holds new ones: an import, not a restore, from the top.
            written = try await database.withTransaction { connection in
                try await run.write(restoreIfEmpty: false, connection)
            }
        }
        guard let summary = written else {
            throw StoreError.database("the import could not decide between restore and import")
        }
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
                        first: first, from: &lines, restore: summary.restored, recordedAt: recordedAt, heads: &heads,
                        rules: &rules,
                        connection)
                } catch NotARestore.signal {
                    return nil
                }
                if summary.restored {
                    if let broken = lines.chainBroken {
                        throw StoreError.importRefused(
                            line: broken.line, reason: broken.reason + " (the export was altered)")
                    }
                    try await connection.query(
                        "SELECT setval(pg_get_serial_sequence('custody_events', 'position'), (SELECT max(position) FROM custody_events))",
                        logger: logger)
                }
                summary.imported = lines.events
            } else if !empty {
                rules.logFolded = false
                try await batches(
                    from: &lines, recordedAt: recordedAt, heads: &heads, rules: &rules, summary: &summary, connection)
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
            from lines: inout Lines, recordedAt: Timestamp, heads: inout Heads, rules: inout Rules,
            summary: inout Summary,
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
                                reason:
                                    "event id \(line.event.id.uuidString.lowercased()) is already stored with different content"
                            )
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
                try await connection.copyFrom(table: "custody_events", columns: CopyRow.columns, logger: logger) {
                    writer in
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

        private func storedEvents(ids: [UUID], _ connection: PostgresConnection) async throws -> [UUID: EventLine
            .Fingerprint]
        {
            var stored: [UUID: EventLine.Fingerprint] = [:]
            let rows = try await connection.query(
                """
                SELECT event_id, stream_id, type, schema_version, data::text, custody_micros(occurred_at)
                FROM custody_events WHERE event_id = ANY(\(ids))
                """, logger: logger)
            for try await (id, stream, type, version, data, occurred) in rows.decode(
                (UUID, String, String, Int32, String, Int64).self)
            {
                let canonical = (try? EventCoding.value(ofJSON: data))?.jsonbText ?? data
                stored[id] = EventLine.Fingerprint(
                    stream: stream, type: type, schemaVersion: Int(version), data: canonical, occurredAt: occurred)
            }
            return stored
        }
    }
}
