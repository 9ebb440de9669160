/// The data of one kind of event: a past-tense fact with a stable name and schema version. Each payload's
/// `type`, `stream`, `references` and `event` are the requirements documented here.
public protocol EventPayload: Codable, Hashable, Sendable {
    /// The stored type name (`BreachReported`).
    static var type: String { get }
    /// Bumped when the stored shape changes; readers upcast older versions.
    static var schemaVersion: Int { get }
    /// The stream the event is appended to.
    var stream: StreamName { get }
    /// Other streams whose state decides whether the fact may be recorded (the vendor of a breach, …).
    var references: [StreamName] { get }
    /// The payload in its `DomainEvent` case.
    var event: DomainEvent { get }
}

extension EventPayload {
    /// Version 1 unless a payload's shape has changed.
    public static var schemaVersion: Int { 1 }
    /// None unless the payload names other streams.
    public var references: [StreamName] { [] }
}
