import CustodyCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The file's event lines, each validated as it is read: shape and types, times, ids unique in the file, and for
/// exported lines the hash chain.
struct Lines {
    var reader: LineReader
    let now: Timestamp
    /// The hash of every id read so far: 8 bytes a line instead of a UUID's 16, which halves the largest thing an
    /// import holds (a million-line file's set, 16 MB, 24 MB while it grows). A hash seen before is confirmed
    /// against the file's earlier lines, so only a repeated id is refused; a chance collision of two ids' hashes
    /// (about one in 10^7 million-line files) costs one more pass over the file.
    private var seen = Set<Int>()
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
            if !seen.insert(parsed.id.hashValue).inserted, try Self.appears(parsed.id, in: reader.path, before: number)
            {
                throw .importRefused(
                    line: number, reason: "event id \(parsed.id.uuidString.lowercased()) appears twice in the file")
            }
            events += 1
            return Numbered(number: number, event: parsed)
        }
        return nil
    }

    /// Whether a line of the file before line `number` carries the event id `id`.
    private static func appears(_ id: UUID, in path: String, before number: Int) throws(StoreError) -> Bool {
        var earlier = try LineReader(path: path)
        while let line = try earlier.next(), earlier.lineNumber < number {
            if let event = try? EventLine(parsing: line), event.id == id { return true }
        }
        return false
    }

    /// The highest position a restore may keep: far below the sequence's limit, so appends have room after it.
    static let maximumPosition: Int64 = 1 << 53
    private var lastPosition: Int64 = 0
    private var lastRecorded: [String: Timestamp] = [:]

    /// What a restore keeps must be a log this database could have written: positions increasing through the file
    /// and leaving room for appends, record times not in the future and never going back along a stream.
    mutating func checkRestored(_ recorded: RecordedEvent, number: Int) throws(StoreError) {
        guard recorded.position > lastPosition else {
            throw .importRefused(
                line: number,
                reason:
                    "position \(recorded.position) does not follow position \(lastPosition) (positions increase through an export)"
            )
        }
        guard recorded.position <= Self.maximumPosition else {
            throw .importRefused(
                line: number,
                reason: "position \(recorded.position) is beyond \(Self.maximumPosition), leaving no room for appends")
        }
        guard !recorded.recordedAt.isInTheFuture(of: now) else {
            throw .importRefused(line: number, reason: "recordedAt \(recorded.recordedAt) lies in the future")
        }
        let key = recorded.stream.description
        if let previous = lastRecorded[key], recorded.recordedAt < previous {
            throw .importRefused(
                line: number,
                reason:
                    "recordedAt \(recorded.recordedAt) is before \(previous), the time of the stream's version before (record times never go back along a stream)"
            )
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
                chainBroken = (
                    number, "\(recorded.stream) version \(recorded.version) follows version \(previous.version)"
                )
            } else if recorded.expectedHash(after: previous.hash, dataText: texts.data, metadataText: texts.metadata)
                != recorded.hash
            {
                chainBroken = (
                    number, "hash of \(recorded.stream) version \(recorded.version) does not match its content"
                )
            }
        }
        chains[key] = (recorded.version, recorded.hash)
    }
}
