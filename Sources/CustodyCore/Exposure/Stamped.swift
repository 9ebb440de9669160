/// When a fact became true, and its place in the log to break ties: "the later `occurredAt` wins, ties by log
/// order". Ordering facts by stamp, never by arrival, makes every fold a function of the *set* of events.
public struct Stamp: Hashable, Comparable, Sendable {
    /// When the fact became true.
    public var occurredAt: Timestamp
    /// Its log position, which breaks ties.
    public var position: Int64

    /// A stamp from its parts.
    public init(occurredAt: Timestamp, position: Int64) { (self.occurredAt, self.position) = (occurredAt, position) }

    /// An event's stamp.
    public init(_ event: RecordedEvent) { self.init(occurredAt: event.occurredAt, position: event.position) }

    /// Earlier `occurredAt` first, then lower position.
    public static func < (lhs: Stamp, rhs: Stamp) -> Bool {
        (lhs.occurredAt, lhs.position) < (rhs.occurredAt, rhs.position)
    }
}

/// A fact with its stamp.
public struct Stamped<Value: Hashable & Sendable>: Hashable, Sendable {
    /// When it became true, and its place in the log.
    public var stamp: Stamp
    /// The fact.
    public var value: Value
}

/// Facts about one thing, kept sorted by stamp whatever order they arrive in.
public struct Timeline<Value: Hashable & Sendable>: Hashable, Sendable {
    public private(set) var facts: [Stamped<Value>] = []

    /// An empty timeline.
    public init() {}

    /// Inserts in stamp order; appending in log order is the common case and costs O(1).
    public mutating func insert(_ value: Value, at stamp: Stamp) {
        let fact = Stamped(stamp: stamp, value: value)
        guard let last = facts.last, stamp < last.stamp else {
            facts.append(fact)
            return
        }
        let index = facts.firstIndex { stamp < $0.stamp } ?? facts.endIndex
        facts.insert(fact, at: index)
    }

    /// Facts that had happened by `time`.
    public func upTo(_ time: Timestamp) -> ArraySlice<Stamped<Value>> {
        guard let end = facts.firstIndex(where: { $0.stamp.occurredAt > time }) else { return facts[...] }
        return facts[..<end]
    }

    /// The latest fact by `time`.
    public func latest(at time: Timestamp) -> Stamped<Value>? { upTo(time).last }

    /// Whether it holds no fact.
    public var isEmpty: Bool { facts.isEmpty }
    /// The earliest fact by stamp.
    public var first: Stamped<Value>? { facts.first }
    /// The latest fact by stamp.
    public var last: Stamped<Value>? { facts.last }
}
