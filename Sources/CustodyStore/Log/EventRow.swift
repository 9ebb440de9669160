import CustodyCore
import Foundation
import NIOCore
import PostgresNIO

/// How events are selected and decoded, in one place for every reader.
enum EventRow {
    /// Interpolated with `unescaped:`: trusted text written here, followed by a parameterized WHERE clause.
    /// The transaction id is selected under another name: an output column called `xid` would capture
    /// `ORDER BY xid`, sorting by the number instead of walking the (xid, position) index.
    static let select = """
        SELECT event_id, stream_id, stream_version, position, type, schema_version, data::text, metadata::text,
               occurred_at, recorded_at, hash, xid::text::bigint AS log_xid
        FROM custody_events
        """

    /// The events readers may see: those of transactions older than every transaction still open in the cluster
    /// (an event committing later never appears before one already read). Trusted text, for `unescaped:`.
    static let visible = "xid < pg_snapshot_xmin(pg_current_snapshot())"

    /// The events the exposure fold uses: all but findings. Written exactly as the partial index of schema/022
    /// is, so that the planner uses it. Trusted text, for `unescaped:`.
    static let fact = "type <> 'InvestigationFindingRecorded'"

    /// Decodes a page of rows, on every core when the page is large: decoding, not reading, is most of what a
    /// reader of the whole log (a rebuild, a projector catching up) spends.
    static func decode(_ rows: [PostgresRow]) async throws -> [(RecordedEvent, LogCursor)] {
        let workers = DecodingCores.workers(for: rows.count, perWorker: 1000)
        guard workers > 1 else { return try rows.map(decode) }
        let chunk = (rows.count + workers - 1) / workers
        return try await withThrowingTaskGroup(of: (Int, [(RecordedEvent, LogCursor)]).self) { group in
            for start in stride(from: 0, to: rows.count, by: chunk) {
                let slice = rows[start..<min(start + chunk, rows.count)]
                group.addTask { (start, try slice.map(decode)) }
            }
            var parts: [(Int, [(RecordedEvent, LogCursor)])] = []
            for try await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    /// Where a row stands in the log, without decoding its event (which may be one no reader can read).
    static func cursor(of row: PostgresRow) throws -> LogCursor {
        let columns = row.makeRandomAccess()
        return LogCursor(
            transaction: try columns["log_xid"].decode(Int64.self), position: try columns["position"].decode(Int64.self)
        )
    }

    static func decode(_ row: PostgresRow) throws -> (RecordedEvent, LogCursor) {
        var columns = RowColumns(row)
        let (id, streamText, version, position) = (
            try columns.next(UUID.self), try columns.next(String.self), try columns.next(Int64.self),
            try columns.next(Int64.self)
        )
        let (type, schemaVersion, data, metadata) = (
            try columns.next(String.self), try columns.next(Int32.self), try columns.next(String.self),
            try columns.next(String.self)
        )
        let (occurred, recorded, hash, xid) = (
            try columns.next(Micros.self), try columns.next(Micros.self), try columns.next(ByteBuffer.self),
            try columns.next(Int64.self)
        )
        // A reader that meets an event it cannot read names it, so nobody has to search the log for it.
        let event: DomainEvent
        do { event = try DomainEvent(type: type, schemaVersion: Int(schemaVersion), json: data.utf8) } catch {
            throw CustodyError.malformedEvent(
                "the event at position \(position) (stream \(streamText), version \(version), type \(type.prefix(80)), "
                    + "schema version \(schemaVersion)) cannot be read: \(error.message); `custody verify` lists every such event"
            )
        }
        let stream = try StreamName(parsing: streamText)
        let meta: EventMetadata
        do {
            meta = try EventMetadata(json: JSONParser.parse(metadata.utf8))
        } catch {
            throw CustodyError.malformedEvent("metadata of event \(id) does not decode")
        }
        let recordedEvent = RecordedEvent(
            id: id, stream: stream, version: version, position: position, event: event, metadata: meta,
            occurredAt: occurred.timestamp, recordedAt: recorded.timestamp,
            hash: Array(buffer: hash))
        return (recordedEvent, LogCursor(transaction: xid, position: position))
    }
}

/// A `timestamptz` column as PostgreSQL sends it (binary: microseconds since 2000-01-01 UTC), exact to the
/// microsecond. Converting in SQL instead (`extract(epoch …)`, numeric arithmetic) cost 40% of a full log read.
struct Micros: PostgresDecodable {
    let timestamp: Timestamp
    /// 2000-01-01 minus 1970-01-01, in microseconds.
    static let epochOffset: Int64 = 946_684_800_000_000

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz, format == .binary, buffer.readableBytes == 8,
            let micros = buffer.readInteger(as: Int64.self)
        else {
            throw PostgresDecodingError.Code.typeMismatch
        }
        timestamp = Timestamp(microseconds: micros + Self.epochOffset)
    }
}

/// A row's columns decoded in order, each as its own concrete type. PostgresNIO's tuple decode
/// (`decode((A, B, …).self)`) goes through parameter packs, which the compiler does not specialize: every column
/// instantiated generic metadata at run time, about a sixth of a postmortem reading 127,000 findings. Readers of
/// many rows (the log, findings, read-model rows) decode with this instead.
struct RowColumns {
    private var cells: PostgresRow.Iterator

    init(_ row: PostgresRow) { cells = row.makeIterator() }

    /// The next column, as `T`.
    mutating func next<T: PostgresDecodable>(_: T.Type = T.self) throws -> T {
        guard let cell = cells.next() else {
            throw StoreError.database("a row of the database has fewer columns than its query selects")
        }
        return try cell.decode(T.self)
    }
}
