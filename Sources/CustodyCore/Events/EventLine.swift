import Foundation

/// One event as a line of JSON: what `custody events --json` prints and `custody import` reads back.
///
/// Keys: `id`, `stream`, `version`, `position`, `type`, `schemaVersion`, `data`, `metadata`, `occurredAt`,
/// `recordedAt`, `hash` (hex) and `cursor` (where a reader resumes after this event). On import, `id`, `type`,
/// `data` and `occurredAt` are required; the stored fields (`version`, `position`, `recordedAt`, `hash`) are kept
/// only when restoring into an empty log.
public struct EventLine: Hashable, Sendable {
    /// The event's id.
    public var id: UUID
    /// Its stream (derived from the data on import).
    public var stream: StreamName
    /// The fact.
    public var event: DomainEvent
    /// The event's data in canonical form, computed once: hashing and copying need it per line.
    public var data: JSONValue
    /// Who recorded it; nil in an import line without metadata (the importer's own is used).
    public var metadata: EventMetadata?
    /// When it became true in the world.
    public var occurredAt: Timestamp
    /// What the log assigned, when the line carries it (an export).
    public var stored: Stored?

    /// The fields only the log assigns.
    public struct Stored: Hashable, Sendable {
        /// The stream version.
        public var version: Int64
        /// The global position.
        public var position: Int64
        /// When the log stored it.
        public var recordedAt: Timestamp
        /// Its chain hash.
        public var hash: [UInt8]

        /// Stored fields, every one given.
        public init(version: Int64, position: Int64, recordedAt: Timestamp, hash: [UInt8]) {
            (self.version, self.position, self.recordedAt, self.hash) = (version, position, recordedAt, hash)
        }
    }

    /// The line of a stored event.
    public init(_ recorded: RecordedEvent) {
        id = recorded.id
        stream = recorded.stream
        event = recorded.event
        data = recorded.event.data
        metadata = recorded.metadata
        occurredAt = recorded.occurredAt
        stored = Stored(
            version: recorded.version, position: recorded.position, recordedAt: recorded.recordedAt,
            hash: recorded.hash)
    }

    /// The event as the log stored it; nil for a line without the stored fields.
    public var recorded: RecordedEvent? {
        guard let stored else { return nil }
        return RecordedEvent(
            id: id, stream: stream, version: stored.version, position: stored.position, event: event,
            metadata: metadata ?? EventMetadata(actor: "unknown", source: "unknown"), occurredAt: occurredAt,
            recordedAt: stored.recordedAt, hash: stored.hash)
    }

    /// The line's JSON text (no newline).
    public static func render(_ recorded: RecordedEvent, cursor: String?) -> String {
        var members: [String: JSONValue] = [
            "id": .string(recorded.id.uuidString.lowercased()), "stream": .string(recorded.stream.description),
            "version": .integer(recorded.version), "position": .integer(recorded.position),
            "type": .string(recorded.event.type), "schemaVersion": .integer(Int64(recorded.event.schemaVersion)),
            "data": recorded.event.data, "metadata": recorded.metadata.json,
            "occurredAt": .string(recorded.occurredAt.description),
            "recordedAt": .string(recorded.recordedAt.description),
            "hash": .string(ChainHash.hex(recorded.hash)),
        ]
        if let cursor { members["cursor"] = .string(cursor) }
        return JSONValue.object(members).jsonbText
    }

    private static let knownKeys: Set<String> = [
        "id", "stream", "version", "position", "type", "schemaVersion", "data", "metadata", "occurredAt", "recordedAt",
        "hash", "cursor",
    ]

    /// Parses and validates one line; errors say which field is wrong.
    ///
    /// `trusted` is for lines this program wrote itself and checksummed (a fold snapshot): their data is taken as
    /// canonical, so it is decoded without being encoded again to look for unknown fields (a third of the cost).
    public init(parsing line: some Collection<UInt8>, trusted: Bool = false) throws(CustodyError) {
        let value = try JSONParser.parse(line)
        guard case .object(let members) = value else { throw .malformedEvent("not a JSON object") }
        if let unknown = members.keys.sorted().first(where: { !Self.knownKeys.contains($0) }) {
            throw .malformedEvent("unknown field '\(CustodyError.printable(unknown))'")
        }
        func string(_ key: String) throws(CustodyError) -> String? { try members.string(key) }
        func integer(_ key: String) throws(CustodyError) -> Int64? {
            switch members[key] {
            case nil, .null?: return nil
            case .integer(let number)?: return number
            default: throw .malformedEvent("'\(key)' must be an integer")
            }
        }
        guard let idText = try string("id") else { throw .malformedEvent("missing field 'id'") }
        guard let id = UUID(uuidString: idText) else {
            throw .invalidValue(what: "event id", value: idText, accepted: "a UUID")
        }
        guard let type = try string("type") else { throw .malformedEvent("missing field 'type'") }
        guard let data = members["data"] else { throw .malformedEvent("missing field 'data'") }
        let schemaVersion = try integer("schemaVersion") ?? 1
        guard let occurredText = try string("occurredAt") else { throw .malformedEvent("missing field 'occurredAt'") }
        let (event, canonical) =
            trusted
            ? (try DomainEvent(type: type, schemaVersion: Int(clamping: schemaVersion), trusted: data), data)
            : try DomainEvent.decoding(type: type, schemaVersion: Int(clamping: schemaVersion), data: data)
        if let streamText = try string("stream"), streamText != event.stream.description {
            throw .malformedEvent(
                "'stream' is \(CustodyError.printable(streamText)) but a \(type) belongs to \(event.stream)")
        }
        self.id = id
        self.event = event
        self.data = canonical
        self.stream = event.stream
        self.occurredAt = try Timestamp(parsing: occurredText, what: "occurredAt")
        if let metadataValue = members["metadata"], metadataValue != .null {
            metadata = try EventMetadata(json: metadataValue)
        }
        let version = try integer("version")
        let position = try integer("position")
        let recordedText = try string("recordedAt")
        let hashText = try string("hash")
        if let version, let position, let recordedText, let hashText {
            guard version > 0, position > 0 else { throw .malformedEvent("'version' and 'position' must be ≥ 1") }
            guard let hash = ChainHash.bytes(hex: hashText), hash.count == 32 else {
                throw .invalidValue(what: "hash", value: hashText, accepted: "64 hex digits")
            }
            stored = Stored(
                version: version, position: position,
                recordedAt: try Timestamp(parsing: recordedText, what: "recordedAt"), hash: hash)
        }
    }
}
