import CustodyCore
import Foundation
import Logging
import PostgresNIO

/// The event log: appends (version-checked, idempotent, hash-chained) and reads.
public struct EventStore: Sendable {
    /// The database holding the log.
    public let database: Database

    /// The log of `database`.
    public init(_ database: Database) { self.database = database }

    /// The channel followers listen on; appenders notify it after commit.
    static let channel = "custody_log"

    /// An appended event, and whether it was already stored (a retry whose first try committed).
    public struct Appended: Sendable, Equatable {
        /// The event as stored (the earlier one, for a duplicate).
        public var recorded: RecordedEvent
        /// True when the id was already stored with the same content and nothing was written.
        public var duplicate: Bool
    }

    /// Appends events in one transaction: every stream they touch is checked against `expecting` (default
    /// `.any`), events get consecutive versions, and re-appending stored event ids returns the stored result.
    /// `read` names the other streams the decision to append was made on, with the versions they were read at:
    /// they must not have moved on (`StoreError.readStreamMoved`), and writers to them wait until this commits.
    public func append(
        _ events: [ProposedEvent], expecting: [StreamName: ExpectedVersion] = [:], read: [StreamName: Int64] = [:]
    ) async throws -> [Appended] {
        guard !events.isEmpty else { return [] }
        var streams: [StreamName] = []
        for event in events where !streams.contains(event.event.stream) { streams.append(event.event.stream) }
        let streamIds = streams.map(\.description)
        let expected = streams.map { (expecting[$0] ?? .any).sqlValue }
        let ids = events.map(\.id)
        let eventStreams = events.map { $0.event.stream.description }
        let types = events.map(\.event.type)
        let schemaVersions = events.map { Int32($0.event.schemaVersion) }
        let data = events.map(\.event.data.jsonbText)
        let metadata = events.map(\.metadata.json.jsonbText)
        let occurred = events.map(\.occurredAt.microseconds)
        let reads = read.filter { !streams.contains($0.key) }.sorted { $0.key.description < $1.key.description }
        let readStreams = reads.map(\.key.description)
        let readVersions = reads.map(\.value)
        let rows = try await database.query(
            """
            SELECT event_id, stream_version, position, recorded_at, hash, duplicate
            FROM custody_append(\(streamIds), \(expected), \(ids), \(eventStreams), \(types), \(schemaVersions),
                                \(data), \(metadata), \(occurred), \(readStreams), \(readVersions))
            """)
        var appended: [Appended] = []
        do {
            for try await (id, version, position, recordedAt, hash, duplicate) in rows.decode(
                (UUID, Int64, Int64, Int64, ByteBuffer, Bool).self)
            {
                guard let proposed = events.first(where: { $0.id == id }) else { continue }
                let recorded = RecordedEvent(
                    id: id, stream: proposed.event.stream, version: version, position: position, event: proposed.event,
                    metadata: proposed.metadata, occurredAt: proposed.occurredAt,
                    recordedAt: Timestamp(microseconds: recordedAt), hash: Array(buffer: hash))
                appended.append(Appended(recorded: recorded, duplicate: duplicate))
            }
        } catch {
            throw Database.translate(error)
        }
        if appended.contains(where: { !$0.duplicate }) { await database.wakeup?.ring(database) }
        return appended
    }

    /// Wakes followers. Sent after commit, never inside the append transaction: a notifying transaction takes a
    /// cluster-wide lock through its commit, which would serialize writers. A lost notification only delays
    /// followers until their next poll, so its transaction (which PostgreSQL gives an id, and whose commit would
    /// wait for the disk like a write's) commits asynchronously: listeners hear it at commit all the same.
    public func notifyFollowers() async {
        _ = try? await database.query(
            "SELECT set_config('synchronous_commit', 'off', true), pg_notify(\(Self.channel), '')")
    }

    /// Every event of the given streams, each stream in version order.
    public func read(streams: [StreamName]) async throws -> [RecordedEvent] {
        let names = streams.map(\.description)
        return try await collect(
            try await database.query(
                "\(unescaped: EventRow.select) WHERE stream_id = ANY(\(names)) ORDER BY stream_id, stream_version"))
    }

    /// A page of the whole log after `cursor`, in commit-consistent order.
    ///
    /// Only events below the visibility horizon (older than the oldest running transaction) are returned: an
    /// event with a lower position may still be about to commit, and a reader that skipped past it would never
    /// see it.
    public func readLog(
        after cursor: LogCursor, stream: StreamName? = nil, limit: Int
    ) async throws -> LogPage {
        try await fetchLog(after: cursor, stream: stream, limit: limit).decode()
    }

    /// `readLog` in two steps: the rows, and where the page ends, before any is decoded. A reader of the whole log
    /// asks for the next page while it decodes this one, so PostgreSQL and the decoding work at the same time.
    func fetchLog(after cursor: LogCursor, stream: StreamName? = nil, limit: Int) async throws -> FetchedPage {
        let rows = try await database.query(
            """
            \(unescaped: EventRow.select)
            WHERE \(unescaped: EventRow.visible)
              AND (xid, position) > (\(cursor.transaction)::bigint::text::xid8, \(cursor.position)::bigint)
              AND (\(stream?.description)::text IS NULL OR stream_id = \(stream?.description))
            ORDER BY xid, position LIMIT \(limit)
            """)
        return try await FetchedPage(rows, after: cursor)
    }

    /// The visible log's last cursor, how many events lie up to it, and how many of them the exposure fold uses.
    /// Every event at or before that cursor has committed, and every event committed later lies after it: a fixed
    /// end to read up to.
    func visibleHead() async throws -> (cursor: LogCursor, events: Int64, facts: Int64) {
        var head = LogCursor.start
        for try await (transaction, position) in try await database.query(
            """
            SELECT xid::text::bigint, position FROM custody_events
            WHERE \(unescaped: EventRow.visible) ORDER BY xid DESC, position DESC LIMIT 1
            """
        ).decode((Int64, Int64).self) {
            head = LogCursor(transaction: transaction, position: position)
        }
        for try await (events, facts) in try await database.query(
            """
            SELECT count(*), count(*) FILTER (WHERE \(unescaped: EventRow.fact)) FROM custody_events
            WHERE (xid, position) <= (\(head.transaction)::bigint::text::xid8, \(head.position)::bigint)
            """
        ).decode((Int64, Int64).self) {
            return (head, events, facts)
        }
        return (head, 0, 0)
    }

    /// A page of the facts the exposure fold uses (findings, most of a long log, change no exposure and are left
    /// out) after `cursor` and up to `end`, in the log's order.
    func fetchFacts(after cursor: LogCursor, upTo end: LogCursor, limit: Int) async throws -> FetchedPage {
        let rows = try await database.query(
            """
            \(unescaped: EventRow.select)
            WHERE (xid, position) > (\(cursor.transaction)::bigint::text::xid8, \(cursor.position)::bigint)
              AND (xid, position) <= (\(end.transaction)::bigint::text::xid8, \(end.position)::bigint)
              AND \(unescaped: EventRow.fact)
            ORDER BY xid, position LIMIT \(limit)
            """)
        return try await FetchedPage(rows, after: cursor)
    }

    struct FetchedPage: Sendable {
        var rows: [PostgresRow]
        var next: LogCursor

        /// The rows of a page read after `cursor`, kept undecoded.
        init(_ sequence: PostgresRowSequence, after cursor: LogCursor) async throws {
            do {
                var collected: [PostgresRow] = []
                for try await row in sequence { collected.append(row) }
                (rows, next) = (collected, try collected.last.map(EventRow.cursor) ?? cursor)
            } catch {
                throw Database.translate(error)
            }
        }

        func decode() async throws -> LogPage {
            do {
                let entries = try await EventRow.decode(rows).map { LogEntry(event: $0.0, cursor: $0.1) }
                return LogPage(entries: entries, next: next)
            } catch {
                throw Database.translate(error)
            }
        }
    }

    /// Waits until every transaction that began before this call has ended, so a following `readLog` sees all
    /// events committed before it (read-your-writes across processes). Returns false when an old transaction
    /// is still open after `timeout`: readers then see the log up to that transaction and no further.
    @discardableResult
    public func waitForHorizon(timeout: Duration = .seconds(5)) async throws -> Bool {
        var target: Int64 = 0
        for try await (xmin, xmax) in try await database.query(
            """
            SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
                   pg_snapshot_xmax(pg_current_snapshot())::text::bigint
            """
        ).decode((Int64, Int64).self) {
            // Nothing was in progress when this began: the usual case, answered in one round trip.
            if xmin >= xmax { return true }
            target = xmax
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            for try await horizon in try await database.query(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
            ).decode(Int64.self) where horizon >= target {
                return true
            }
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The registry as far as the named streams tell it, each stream's version, and the event already stored
    /// under `eventId`, if any.
    ///
    /// One query: validation reads only what the command names, so recording stays fast as the log grows.
    public func registry(
        for streams: [StreamName], including eventId: UUID
    ) async throws -> (registry: Registry, versions: [StreamName: Int64], stored: RecordedEvent?) {
        let names = streams.map(\.description)
        let events = try await collect(
            try await database.query(
                """
                \(unescaped: EventRow.select) WHERE stream_id = ANY(\(names)) OR event_id = \(eventId)
                ORDER BY stream_id, stream_version
                """))
        var registry = Registry()
        var versions: [StreamName: Int64] = [:]
        for event in events {
            registry.apply(event)
            versions[event.stream] = max(versions[event.stream] ?? 0, event.version)
        }
        return (registry, versions, events.first { $0.id == eventId })
    }

    /// Validates a fact against the streams it names and appends it.
    ///
    /// A retry with the same event id returns the stored event instead of failing validation (its first try may
    /// have committed before the connection broke). When the caller let the time default to now
    /// (`timeGiven: false`), a retry keeps the stored time rather than conflicting with it.
    public func record(
        _ proposed: ProposedEvent, expecting: ExpectedVersion? = nil, timeGiven: Bool = true
    ) async throws -> Appended {
        // A stream read for the check that moves on before the append (a retraction racing an investigation's
        // opening) refuses the append; the fact is then checked again on the new state, a few times at most.
        for attempt in 1...3 {
            var proposed = proposed
            let stream = proposed.event.stream
            let references = proposed.event.references
            let (registry, versions, stored) = try await registry(for: [stream] + references, including: proposed.id)
            if let stored {
                if !timeGiven { proposed.occurredAt = stored.occurredAt }
            } else {
                try registry.check(proposed.event, at: proposed.occurredAt)
                try Registry.checkMetadata(proposed.metadata)
            }
            let current = versions[stream] ?? 0
            let expectation = expecting ?? (current == 0 ? .noStream : .exact(current))
            let read = Dictionary(references.map { ($0, versions[$0] ?? 0) }, uniquingKeysWith: { first, _ in first })
            do {
                let appended = try await append([proposed], expecting: [stream: expectation], read: read)
                guard let first = appended.first else { throw StoreError.database("the append returned no event") }
                return first
            } catch StoreError.readStreamMoved where attempt < 3 {
                continue
            }
        }
        throw StoreError.database("unreachable: the last attempt returns or throws")
    }

    private func collect(_ rows: PostgresRowSequence) async throws -> [RecordedEvent] {
        do {
            var events: [RecordedEvent] = []
            for try await row in rows { events.append(try EventRow.decode(row).0) }
            return events
        } catch {
            throw Database.translate(error)
        }
    }
}
