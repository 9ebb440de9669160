import CustodyCore

/// Where a reader of the whole log stands: after the event at (transaction id, position).
///
/// Opaque to users (`custody events --after`), printed as `xid-position`. Ordering by transaction id first is
/// what lets a reader never miss an event that committed late with a low position.
public struct LogCursor: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The transaction id of the event it follows.
    public let transaction: Int64
    /// Its position.
    public let position: Int64

    /// A cursor from its parts.
    public init(transaction: Int64, position: Int64) { (self.transaction, self.position) = (transaction, position) }

    /// Before the first event.
    public static let start = LogCursor(transaction: 0, position: 0)

    /// `xid-position`, as `custody events` prints it.
    public var description: String { "\(transaction)-\(position)" }

    /// Parses a cursor as `custody events` prints it.
    public init(parsing text: String) throws(StoreError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let transaction = Int64(parts[0]), let position = Int64(parts[1]), transaction >= 0,
            position >= 0
        else {
            throw .configuration(
                "invalid cursor '\(text)': expected a cursor printed by `custody events` (like 1234-56)")
        }
        self.init(transaction: transaction, position: position)
    }

    /// By transaction id, then position: the order readers follow.
    public static func < (lhs: LogCursor, rhs: LogCursor) -> Bool {
        (lhs.transaction, lhs.position) < (rhs.transaction, rhs.position)
    }
}

/// An event read from the whole log, with the cursor a reader resumes from after it.
public struct LogEntry: Sendable, Equatable {
    /// The event.
    public var event: RecordedEvent
    /// Where a reader resumes after it.
    public var cursor: LogCursor
}

/// A page of the log and the cursor after its last event (the same cursor when the page is empty).
public struct LogPage: Sendable, Equatable {
    /// The events of the page, in the log's order.
    public var entries: [LogEntry]
    /// Where the next page begins.
    public var next: LogCursor
}
