import Crypto
import Foundation

/// The per-stream hash chain: `hash = SHA-256(previous hash ‖ canonical bytes of the event)`.
///
/// The canonical bytes are the `jsonb` text of an array of the event's fields, exactly as the SQL function
/// `custody_event_hash` builds it, so a hash computed here verifies there and the other way round.
public enum ChainHash {
    /// The hash of one event after `previous` (empty for a stream's first event), over the canonical `jsonb` text
    /// `custody_event_hash` (schema/001) builds: the same bytes in Swift and in SQL.
    public static func link(
        previous: [UInt8], id: UUID, stream: String, version: Int64, type: String, schemaVersion: Int,
        data: JSONValue, metadata: JSONValue, occurredAt: Timestamp, recordedAt: Timestamp
    ) -> [UInt8] {
        link(
            previous: previous, id: id, stream: stream, version: version, type: type, schemaVersion: schemaVersion,
            dataText: data.jsonbText, metadataText: metadata.jsonbText, occurredAt: occurredAt, recordedAt: recordedAt)
    }

    /// As above, with the data and metadata already in their `jsonb` text (an import writes that text too, so it
    /// renders it once). The array is spelled out as `JSONValue.array(…).jsonbText` would render it.
    public static func link(
        previous: [UInt8], id: UUID, stream: String, version: Int64, type: String, schemaVersion: Int,
        dataText: String, metadataText: String, occurredAt: Timestamp, recordedAt: Timestamp
    ) -> [UInt8] {
        var canonical = "["
        canonical.reserveCapacity(dataText.utf8.count + metadataText.utf8.count + stream.utf8.count + 160)
        JSONValue.writeString(id.uuidString.lowercased(), into: &canonical)
        canonical += ", "
        JSONValue.writeString(stream, into: &canonical)
        canonical += ", \(version), "
        JSONValue.writeString(type, into: &canonical)
        canonical += ", \(schemaVersion), "
        canonical += dataText
        canonical += ", "
        canonical += metadataText
        canonical += ", \(occurredAt.microseconds), \(recordedAt.microseconds)]"
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: Array(canonical.utf8))
        return Array(hasher.finalize())
    }

    /// Lowercase hexadecimal, as PostgreSQL's `encode(…, 'hex')`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of lowercase or uppercase hexadecimal; nil for anything else.
    public static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
