import Crypto
import Foundation

/// A signed digest of the whole log up to a position, which an auditor keeps outside the database.
///
/// Per-stream hash chains cannot notice a whole stream deleted or a tail cut off (what is gone leaves no broken
/// link). A seal can: it holds the number of events, a rolling SHA-256 over every event in position order (each
/// event's hash recomputed from its content, its position, stream and version), the rolling digest at the end
/// of every block of 256 events (to say where the log first differs), and each stream's head. It is signed
/// with Ed25519, so a seal cannot be forged by whoever can alter the database.
///
/// Everything it covers is what an exact restore (`events --json` | `import`) keeps, so a seal verifies against
/// the restored log too. Format 1 (`custody-seal-1`) had a cursor of transaction ids, which a restore does not
/// keep; such seals are still read and checked against the log they were made on.
public struct Seal: Sendable, Equatable {
    /// The format this build writes.
    public static let format = "custody-seal-2"
    /// The formats this build reads.
    public static let formats = ["custody-seal-1", "custody-seal-2"]
    /// Events per block of the rolling digest.
    public static let blockSize = 256

    /// A stream's head as a seal records it: its last version and that event's hash.
    public struct Head: Sendable, Equatable {
        /// The stream's last version.
        public var version: Int64
        /// That event's hash.
        public var hash: [UInt8]
    }

    /// Which format the seal is in.
    public var format = Seal.format
    /// Format 2: the newest position sealed. Format 1: a log cursor (transaction id and position).
    public var cursor: String
    /// How many events it covers.
    public var events: Int64
    /// The rolling SHA-256 over them, in position order.
    public var digest: [UInt8]
    /// The rolling digest at the end of each block.
    public var blocks: [[UInt8]]
    /// Each stream's head, by stream name.
    public var streams: [String: Head]
    /// When it was made.
    public var sealedAt: Timestamp
    /// The Ed25519 key that verifies it.
    public var publicKey: [UInt8]
    /// The signature over everything above.
    public var signature: [UInt8]

    /// Folds events, in log order, into what a seal records.
    public struct Builder: Sendable {
        var events: Int64 = 0
        var digest = [UInt8](repeating: 0, count: 32)
        var blocks: [[UInt8]] = []
        /// The first and last position of each block, to name where a difference lies.
        var blockPositions: [(first: Int64, last: Int64)] = []
        var blockStart: Int64 = 0
        var streams: [String: Head] = [:]

        /// A builder that has folded nothing yet.
        public init() {}

        /// Adds the next event; its hash is recomputed from its content and its stream's previous link, so an
        /// edited payload changes the seal even when the stored hash was left alone.
        public mutating func add(_ event: RecordedEvent) {
            let previous = streams[event.stream.description]?.hash ?? []
            let hash = event.expectedHash(after: previous)
            var input = digest + hash
            withUnsafeBytes(of: event.position.bigEndian) { input += $0 }
            input += Array(event.stream.description.utf8) + [0]
            withUnsafeBytes(of: event.version.bigEndian) { input += $0 }
            digest = Array(SHA256.hash(data: input))
            streams[event.stream.description] = Head(version: event.version, hash: hash)
            if events % Int64(Seal.blockSize) == 0 { blockStart = event.position }
            events += 1
            if events % Int64(Seal.blockSize) == 0 {
                blocks.append(digest)
                blockPositions.append((blockStart, event.position))
            }
        }

        /// The seal of what was added, up to `cursor`, signed with `key`.
        public func seal(cursor: String, at time: Timestamp, key: Curve25519.Signing.PrivateKey) throws -> Seal {
            var seal = Seal(
                format: Seal.format, cursor: cursor, events: events, digest: digest, blocks: blocks, streams: streams,
                sealedAt: time,
                publicKey: Array(key.publicKey.rawRepresentation), signature: [])
            seal.signature = Array(try key.signature(for: Data(seal.signedText.utf8)))
            return seal
        }

        /// What differs between this log and `seal`, most telling first; empty when the log matches.
        public func differences(from seal: Seal) -> [String] {
            var found: [String] = []
            for (stream, head) in seal.streams.sorted(by: { $0.key < $1.key }) {
                guard let now = streams[stream] else {
                    found.append("stream \(stream) is missing (sealed with \(head.version) event(s)): deleted")
                    continue
                }
                if now.version < head.version {
                    found.append(
                        "stream \(stream) ends at version \(now.version), sealed at \(head.version): its tail was cut off"
                    )
                } else if now.version > head.version {
                    found.append(
                        "stream \(stream) has version \(now.version) before the seal's cursor, sealed at \(head.version): events were inserted"
                    )
                } else if now.hash != head.hash {
                    found.append(
                        "stream \(stream) up to version \(head.version) differs from the seal: an event's content was changed"
                    )
                }
            }
            for stream in streams.keys.sorted() where seal.streams[stream] == nil {
                found.append("stream \(stream) was not in the log when sealed: inserted before the seal's cursor")
            }
            if events != seal.events {
                found.append("\(events) event(s) up to the seal's cursor, sealed with \(seal.events)")
            }
            if digest != seal.digest {
                let block =
                    Array(zip(blocks, seal.blocks)).firstIndex { $0 != $1 } ?? min(blocks.count, seal.blocks.count)
                let first = block * Seal.blockSize + 1
                let positions =
                    block < blockPositions.count
                    ? "positions \(blockPositions[block].first) to \(blockPositions[block].last)"
                    : "positions from \(blockStart) on"
                found.append(
                    "the log differs from the seal from event #\(first) to #\(first + Seal.blockSize - 1) in position order, "
                        + "\(positions) (content, order or positions)")
            }
            return found
        }
    }

    /// The text the signature covers: every field but the signature, as canonical JSON.
    var signedText: String { document(signature: false).jsonbText }

    /// The seal as its file stores it.
    public var json: String { document(signature: true).jsonbText }

    func document(signature: Bool) -> JSONValue {
        var members: [String: JSONValue] = [
            "format": .string(format), "cursor": .string(cursor), "events": .integer(events),
            "digest": .string(ChainHash.hex(digest)), "blocks": .array(blocks.map { .string(ChainHash.hex($0)) }),
            "streams": .object(
                streams.mapValues {
                    .object(["version": .integer($0.version), "hash": .string(ChainHash.hex($0.hash))])
                }),
            "sealedAt": .string(sealedAt.description), "publicKey": .string(Data(publicKey).base64EncodedString()),
        ]
        if signature { members["signature"] = .string(Data(self.signature).base64EncodedString()) }
        return .object(members)
    }

    /// Reads a seal file and checks its signature (and, when given, that it was signed by `trusted`).
    public init(parsing text: String, trusting trusted: [UInt8]? = nil) throws(CustodyError) {
        guard case .object(let m) = try JSONParser.parse(Array(text.utf8)), case .string(let format)? = m["format"],
            Self.formats.contains(format)
        else { throw .malformedEvent("not a Custody seal (formats \(Self.formats.joined(separator: ", ")))") }
        func string(_ key: String) throws(CustodyError) -> String {
            guard case .string(let value)? = m[key] else { throw .malformedEvent("seal: missing '\(key)'") }
            return value
        }
        func hex(_ text: String) throws(CustodyError) -> [UInt8] {
            guard let bytes = ChainHash.bytes(hex: text), bytes.count == 32 else {
                throw .malformedEvent("seal: a digest is not 64 hex digits")
            }
            return bytes
        }
        guard case .integer(let events)? = m["events"], case .array(let blockValues)? = m["blocks"],
            case .object(let streamValues)? = m["streams"]
        else { throw .malformedEvent("seal: missing events, blocks or streams") }
        var blocks: [[UInt8]] = []
        for case .string(let block) in blockValues { blocks.append(try hex(block)) }
        var streams: [String: Head] = [:]
        for (stream, value) in streamValues {
            guard case .object(let head) = value, case .integer(let version)? = head["version"],
                case .string(let hash)? = head["hash"]
            else { throw .malformedEvent("seal: stream \(stream) has no version and hash") }
            streams[stream] = Head(version: version, hash: try hex(hash))
        }
        guard let key = Data(base64Encoded: try string("publicKey")),
            let signature = Data(base64Encoded: try string("signature"))
        else {
            throw .malformedEvent("seal: the public key or signature is not base64")
        }
        self.init(
            format: format, cursor: try string("cursor"), events: events, digest: try hex(try string("digest")),
            blocks: blocks, streams: streams,
            sealedAt: try Timestamp(parsing: try string("sealedAt"), what: "sealedAt"), publicKey: Array(key),
            signature: Array(signature))
        if let trusted, trusted != publicKey {
            throw .conflict("the seal was signed by another key than the one trusted")
        }
        guard let verifier = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
            verifier.isValidSignature(signature, for: Data(signedText.utf8))
        else { throw .conflict("the seal's signature does not match its content: the seal file was altered") }
    }

    init(
        format: String, cursor: String, events: Int64, digest: [UInt8], blocks: [[UInt8]], streams: [String: Head],
        sealedAt: Timestamp, publicKey: [UInt8], signature: [UInt8]
    ) {
        (self.format, self.cursor, self.events, self.digest, self.blocks, self.streams) = (
            format, cursor, events, digest, blocks, streams
        )
        (self.sealedAt, self.publicKey, self.signature) = (sealedAt, publicKey, signature)
    }
}
