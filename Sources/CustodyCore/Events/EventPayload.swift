/// The data of one kind of event: a past-tense fact with a stable name and schema version.
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
    public static var schemaVersion: Int { 1 }
    public var references: [StreamName] { [] }
}
