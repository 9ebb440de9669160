import NIOCore
import PostgresNIO

/// Rows for a `COPY … FROM STDIN` in its text format, queued and sent in messages of about a megabyte, so
/// PostgreSQL ingests one while the next is built. The import and the rebuild write this way rather than through
/// INSERTs.
struct CopyStream {
    let writer: PostgresCopyFromWriter
    private var rows = ByteBuffer()
    static let messageSize = 1 << 20

    init(_ writer: PostgresCopyFromWriter) { self.writer = writer }

    /// Queues one row: tab-separated fields with backslash escapes for the characters the format reserves.
    mutating func row(_ fields: [String]) async throws {
        for (index, text) in fields.enumerated() {
            if text.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                for byte in text.utf8 {
                    switch byte {
                    case 0x5C: rows.writeStaticString("\\\\")
                    case 0x09: rows.writeStaticString("\\t")
                    case 0x0A: rows.writeStaticString("\\n")
                    case 0x0D: rows.writeStaticString("\\r")
                    default: rows.writeInteger(byte)
                    }
                }
            } else {
                rows.writeString(text)
            }
            rows.writeInteger(index == fields.count - 1 ? UInt8(0x0A) : UInt8(0x09))
        }
        if rows.readableBytes >= Self.messageSize { try await flush() }
    }

    /// Sends what is queued; call it once more after the last row.
    mutating func flush() async throws {
        guard rows.readableBytes > 0 else { return }
        try await writer.write(rows)
        rows = ByteBuffer()
    }
}
