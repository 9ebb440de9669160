import Foundation

/// Who recorded a fact, from where, and what it followed from.
public struct EventMetadata: Hashable, Sendable, Codable {
    /// Who recorded it (`CUSTODY_ACTOR`, or the user).
    public var actor: String
    /// Through what: `cli`, `import`, `inventory`, ...
    public var source: String
    /// Groups the facts of one piece of work, when given.
    public var correlationId: String?
    /// The fact or request this one follows from, when given.
    public var causationId: String?

    /// Metadata with its optional ids.
    public init(actor: String, source: String, correlationId: String? = nil, causationId: String? = nil) {
        (self.actor, self.source, self.correlationId, self.causationId) = (actor, source, correlationId, causationId)
    }

    /// Reads metadata as stored or imported, refusing unknown fields. Read by hand rather than through
    /// `JSONDecoder`: an import reads it on every line, and four string fields need no machinery.
    public init(json: JSONValue) throws(CustodyError) {
        guard case .object(let members) = json else { throw .malformedEvent("metadata: expected an object") }
        if let unknown = members.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw .malformedEvent("unknown metadata field '\(CustodyError.printable(unknown))'")
        }
        func text(_ key: String) throws(CustodyError) -> String? { try members.string(key, context: "metadata: ") }
        guard let actor = try text("actor") else { throw .malformedEvent("metadata: missing field 'actor'") }
        guard let source = try text("source") else { throw .malformedEvent("metadata: missing field 'source'") }
        self.init(
            actor: actor, source: source, correlationId: try text("correlationId"), causationId: try text("causationId")
        )
    }

    private static let fields: Set<String> = ["actor", "source", "correlationId", "causationId"]

    /// The metadata as stored in the log.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["actor": .string(actor), "source": .string(source)]
        if let correlationId { members["correlationId"] = .string(correlationId) }
        if let causationId { members["causationId"] = .string(causationId) }
        return .object(members)
    }
}

/// A fact about to be appended: the event, its idempotency key and when it became true in the world.
public struct ProposedEvent: Hashable, Sendable {
    /// The idempotency key: appending the same id twice stores the event once.
    public var id: UUID
    /// The fact.
    public var event: DomainEvent
    /// Who records it, from where.
    public var metadata: EventMetadata
    /// When it became true in the world.
    public var occurredAt: Timestamp

    /// A fact to append.
    public init(id: UUID, event: DomainEvent, metadata: EventMetadata, occurredAt: Timestamp) {
        (self.id, self.event, self.metadata, self.occurredAt) = (id, event, metadata, occurredAt)
    }
}

/// A fact as the log stores it.
public struct RecordedEvent: Hashable, Sendable {
    /// The event's id (the idempotency key it was appended with).
    public var id: UUID
    /// The stream it belongs to.
    public var stream: StreamName
    /// 1 for the stream's first event, then consecutive.
    public var version: Int64
    /// The global position; positions commit out of order, so follow the log with `cursor`, not with this.
    public var position: Int64
    /// The fact.
    public var event: DomainEvent
    /// Who recorded it, from where.
    public var metadata: EventMetadata
    /// When the fact became true in the world.
    public var occurredAt: Timestamp
    /// When the log stored it.
    public var recordedAt: Timestamp
    /// SHA-256 of the previous event's hash in the stream and this event's canonical bytes.
    public var hash: [UInt8]

    /// An event as stored, every field given.
    public init(
        id: UUID, stream: StreamName, version: Int64, position: Int64, event: DomainEvent, metadata: EventMetadata,
        occurredAt: Timestamp, recordedAt: Timestamp, hash: [UInt8]
    ) {
        (self.id, self.stream, self.version, self.position, self.event) = (id, stream, version, position, event)
        (self.metadata, self.occurredAt, self.recordedAt, self.hash) = (metadata, occurredAt, recordedAt, hash)
    }

    /// Whether the log held this fact at `knownAt`: recorded then or before. The one rule of the second clock
    /// (`--known-at`, `?known_at=`); SQL that selects by it (FoldSnapshot) says `recorded_at <= knownAt` alike.
    public func wasKnown(at knownAt: Timestamp) -> Bool { recordedAt <= knownAt }

    /// The chain link this event should carry after `previous` (empty for a stream's first event); `data` is the
    /// event's canonical data when the caller already has it.
    public func expectedHash(after previous: [UInt8], data: JSONValue? = nil) -> [UInt8] {
        ChainHash.link(
            previous: previous, id: id, stream: stream.description, version: version, type: event.type,
            schemaVersion: event.schemaVersion, data: data ?? event.data, metadata: metadata.json,
            occurredAt: occurredAt,
            recordedAt: recordedAt)
    }

    /// As above, with the canonical data and metadata already rendered as `jsonb` text.
    public func expectedHash(after previous: [UInt8], dataText: String, metadataText: String) -> [UInt8] {
        ChainHash.link(
            previous: previous, id: id, stream: stream.description, version: version, type: event.type,
            schemaVersion: event.schemaVersion, dataText: dataText, metadataText: metadataText, occurredAt: occurredAt,
            recordedAt: recordedAt)
    }
}
