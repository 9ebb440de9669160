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
               custody_micros(occurred_at), custody_micros(recorded_at), hash, xid::text::bigint AS log_xid
        FROM custody_events
        """

    static func decode(_ row: PostgresRow) throws -> (RecordedEvent, LogCursor) {
        let (id, streamText, version, position, type, schemaVersion, data, metadata, occurred, recorded, hash, xid) =
            try row.decode(
                (UUID, String, Int64, Int64, String, Int32, String, String, Int64, Int64, ByteBuffer, Int64).self)
        let event = try DomainEvent(type: type, schemaVersion: Int(schemaVersion), json: Data(data.utf8))
        let stream = try StreamName(parsing: streamText)
        let meta: EventMetadata
        do {
            meta = try EventCoding.decoder.decode(EventMetadata.self, from: Data(metadata.utf8))
        } catch {
            throw CustodyError.malformedEvent("metadata of event \(id) does not decode")
        }
        let recordedEvent = RecordedEvent(
            id: id, stream: stream, version: version, position: position, event: event, metadata: meta,
            occurredAt: Timestamp(microseconds: occurred), recordedAt: Timestamp(microseconds: recorded),
            hash: Array(buffer: hash))
        return (recordedEvent, LogCursor(transaction: xid, position: position))
    }
}
