/// What a notification says about one exposure row, decided from the row before and after a change of the read
/// model: the incremental projector's own decision, so what is sent is exactly what changed.
public enum ExposureMessageType: String, Sendable, CaseIterable {
    case entered = "exposure.entered"
    case changed = "exposure.changed"
    case left = "exposure.left"
    case responseOverdue = "response.overdue"
    case test = "webhook.test"

    /// What a subscription may ask for with `--events` (a test message is sent when asked, to any subscription).
    public static let subscribable: [ExposureMessageType] = [.entered, .changed, .left, .responseOverdue]

    /// The message for a row that was `previous` and is now `current` (nil: not a current exposure); nil when a
    /// subscriber would see no difference (a change of a field no message reports, or of nothing).
    public static func of(previous: Exposure?, current: Exposure?) -> ExposureMessageType? {
        let before = previous.flatMap { $0.isCurrent ? $0 : nil }
        let after = current.flatMap { $0.isCurrent ? $0 : nil }
        switch (before, after) {
        case (nil, nil): return nil
        case (nil, _?): return .entered
        case (_?, nil): return .left
        case (let before?, let after?):
            let changed =
                before.status != after.status || before.paused != after.paused
                || before.severity != after.severity || before.response != after.response
            return changed ? .changed : nil
        }
    }
}

/// One exposure row's change that a message reports: its type, the row before and after (nil: not in the read
/// model), and the event that caused it (nil when only the passing of time did: a future-stamped fact coming true
/// names itself).
public struct ExposureNotice: Sendable, Equatable {
    /// What changed.
    public var type: ExposureMessageType
    /// The row before; nil when it entered.
    public var previous: Exposure?
    /// The row after; nil when it left the read model.
    public var current: Exposure?
    /// The event that caused it; nil when only time did.
    public var cause: RecordedEvent?

    /// A notice of one row's change.
    public init(type: ExposureMessageType, previous: Exposure?, current: Exposure?, cause: RecordedEvent? = nil) {
        (self.type, self.previous, self.current, self.cause) = (type, previous, current, cause)
    }

    /// The row either side names: they share their key and organization.
    public var row: Exposure? { current ?? previous }
}

/// The event that caused a message, as the message names it.
public struct MessageCause: Sendable, Equatable {
    /// The causing event's id.
    public var eventId: String
    /// Its type.
    public var type: String
    /// Its log position.
    public var position: Int64
    /// When it happened.
    public var occurredAt: Timestamp
    /// When the log recorded it.
    public var recordedAt: Timestamp

    /// The cause named by `event`.
    public init(_ event: RecordedEvent) {
        (eventId, type, position) = (event.id.uuidString.lowercased(), event.event.type, event.position)
        (occurredAt, recordedAt) = (event.occurredAt, event.recordedAt)
    }
}

/// A notification's body: `{"type", "timestamp", "data": {"organization", "exposure", "previous", "cause"}}`,
/// with each row as the API serves it, in the program's one JSON form.
public enum ExposureMessage {
    /// The body for one row's change, rendered once: every attempt of a message sends the same bytes.
    public static func body(
        _ type: ExposureMessageType, at timestamp: Timestamp, organization: Slug, exposure: Exposure?,
        previous: Exposure?,
        cause: MessageCause?
    ) throws -> String {
        let causeValue: JSONValue =
            cause.map { cause in
                .object([
                    "eventId": .string(cause.eventId), "type": .string(cause.type),
                    "position": .integer(cause.position),
                    "occurredAt": .string(cause.occurredAt.description),
                    "recordedAt": .string(cause.recordedAt.description),
                ])
            } ?? .null
        return JSONValue.object([
            "type": .string(type.rawValue), "timestamp": .string(timestamp.description),
            "data": .object([
                "organization": .string(organization.rawValue),
                "exposure": try exposure.map { try EventCoding.value(of: $0) } ?? .null,
                "previous": try previous.map { try EventCoding.value(of: $0) } ?? .null,
                "cause": causeValue,
            ]),
        ]).jsonbText
    }
}
