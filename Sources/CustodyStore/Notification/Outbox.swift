import CustodyCore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Rung by a projector that committed webhook messages; a deliverer in the same process waits on it between polls
/// (another process's deliverer finds them at its next poll).
public final class OutboxBell: Sendable {
    private let rung = Mutex<UInt64>(0)

    /// A bell nobody has rung yet.
    public init() {}

    func ring() { rung.withLock { $0 &+= 1 } }

    /// How often it has rung: read before looking in the outbox, and given to `wait(after:upTo:)`.
    public var rings: UInt64 { rung.withLock { $0 } }

    /// Returns once rung after `seen` was read (at once if it was already), or after `timeout`; checks every few
    /// milliseconds, without asking the database. Counted from a number read before the outbox was looked in: a
    /// message committed while that look ran, unseen by it, rang before the wait began, and a wait counting from
    /// its own start slept through that ring until the next poll.
    public func wait(after seen: UInt64, upTo timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, rung.withLock({ $0 }) == seen {
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// The webhook outbox (`custody_webhook_outbox`, schema/017): the messages a projector step's changes make, for
/// the standing subscriptions of the organizations they concern, rendered once and written with the change.
struct OutboxMessages: Sendable {
    struct Message: Sendable {
        var id: String
        var subscription: Slug
        var organization: Slug
        var type: ExposureMessageType
        var body: String
    }

    let messages: [Message]

    /// One message per notice and standing subscription of its organization that wants its type.
    init(_ notices: [ExposureNotice], subscriptions: [WebhookSubscription], at now: Timestamp) throws {
        let standing = Dictionary(grouping: subscriptions.filter { $0.removedAt == nil }, by: \.organization)
        var messages: [Message] = []
        for notice in notices {
            guard let organization = notice.row?.organization, let subscribers = standing[organization] else {
                continue
            }
            let wanting = subscribers.filter { $0.wants(notice.type) }
            guard !wanting.isEmpty else { continue }
            let body = try ExposureMessage.body(
                notice.type, at: now, organization: organization, exposure: notice.current, previous: notice.previous,
                cause: notice.cause.map(MessageCause.init))
            for subscription in wanting {
                messages.append(
                    Message(
                        id: Self.newId(), subscription: subscription.id, organization: organization, type: notice.type,
                        body: body))
            }
        }
        self.messages = messages
    }

    /// `msg_` and 128 random bits: the `webhook-id` of every attempt of the message.
    static func newId() -> String { "msg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

    func write(_ connection: PostgresConnection, logger: Logger) async throws {
        for start in stride(from: 0, to: messages.count, by: 5000) {
            let slice = messages[start..<min(start + 5000, messages.count)]
            try await connection.query(
                """
                INSERT INTO custody_webhook_outbox (message_id, subscription, organization, type, body)
                SELECT * FROM unnest(\(slice.map(\.id))::text[], \(slice.map(\.subscription.rawValue))::text[],
                    \(slice.map(\.organization.rawValue))::text[], \(slice.map(\.type.rawValue))::text[], \(slice.map(\.body))::text[])
                """, logger: logger)
        }
    }
}
