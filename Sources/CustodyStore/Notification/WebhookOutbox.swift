import CustodyCore
import Foundation
import PostgresNIO

/// The deliverers' side of the webhook outbox (schema/017): lease the next message, record what came of it, list
/// deliveries, queue one again.
public struct WebhookOutbox: Sendable {
    /// The database holding the outbox.
    public let database: Database

    /// The outbox of `database`.
    public init(_ database: Database) { self.database = database }

    /// A message leased for delivery, with where it goes.
    public struct Leased: Sendable {
        /// The outbox row.
        public var id: Int64
        /// The message's id (`webhook-id`), the same on every attempt.
        public var messageId: String
        /// The subscription it goes to.
        public var subscription: Slug
        /// Its message type.
        public var type: String
        /// Its JSON body, as signed.
        public var body: String
        /// Including this one.
        public var attempts: Int
        /// Nil when the subscription was removed (nothing more is sent to it).
        public var url: String?
    }

    /// Leases the oldest due message whose subscription has no earlier one pending, for `lease`: each message is
    /// taken by one deliverer at a time (`SKIP LOCKED`), and a subscription's messages go out in the order their
    /// changes committed. The lease commits at once; it runs out if its deliverer dies, and the message is due again.
    public func lease(for lease: Duration) async throws -> Leased? {
        let seconds = "\(lease.components.seconds) seconds"
        for try await (id, messageId, subscription, type, body, attempts, url) in try await database.query(
            """
            WITH taken AS (
                UPDATE custody_webhook_outbox SET leased_until = now() + \(seconds)::interval, attempts = attempts + 1
                WHERE id = (
                    SELECT o.id FROM custody_webhook_outbox o
                    WHERE o.delivered_at IS NULL AND o.dead_at IS NULL AND o.next_attempt_at <= now()
                      AND (o.leased_until IS NULL OR o.leased_until < now())
                      AND NOT EXISTS (
                          SELECT 1 FROM custody_webhook_outbox p
                          WHERE p.subscription = o.subscription AND p.id < o.id AND p.delivered_at IS NULL AND p.dead_at IS NULL)
                    ORDER BY o.id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, message_id, subscription, type, body, attempts)
            SELECT t.id, t.message_id, t.subscription, t.type, t.body, t.attempts,
                (SELECT CASE WHEN max(e.stream_version) FILTER (WHERE e.type = 'WebhookRemoved') IS NULL
                             THEN min(e.data->>'url') FILTER (WHERE e.type = 'WebhookSubscribed') END
                 FROM custody_events e WHERE e.stream_id = 'webhook-' || t.subscription)
            FROM taken t
            """
        ).decode((Int64, String, String, String, String, Int32, String?).self) {
            return Leased(
                id: id, messageId: messageId, subscription: try Slug(subscription), type: type, body: body,
                attempts: Int(attempts), url: url)
        }
        return nil
    }

    /// The receiver answered 2xx: the message is delivered, and its endpoint enabled if it was disabled.
    public func delivered(_ message: Leased, status: Int) async throws {
        try await database.query(
            """
            WITH delivered AS (
                UPDATE custody_webhook_outbox SET delivered_at = now(), leased_until = NULL, last_status = \(Int32(status)),
                    last_error = NULL
                WHERE id = \(message.id))
            DELETE FROM custody_webhook_disabled WHERE subscription = \(message.subscription.rawValue)
            """)
    }

    /// When a subscription's endpoint was disabled, nil while it is tried.
    public func disabledSince(_ subscription: Slug) async throws -> Timestamp? {
        for try await since in try await database.query(
            "SELECT custody_micros(since) FROM custody_webhook_disabled WHERE subscription = \(subscription.rawValue)"
        ).decode(Int64.self) { return Timestamp(microseconds: since) }
        return nil
    }

    /// Every disabled endpoint, by subscription, and since when.
    public func disabled() async throws -> [Slug: Timestamp] {
        var found: [Slug: Timestamp] = [:]
        for try await (subscription, since) in try await database.query(
            "SELECT subscription, custody_micros(since) FROM custody_webhook_disabled"
        ).decode((String, Int64).self) { found[try Slug(subscription)] = Timestamp(microseconds: since) }
        return found
    }

    /// Disables a subscription's endpoint when its messages have only been dead-lettered, none delivered, for at
    /// least `period`; returns whether it is disabled now.
    @discardableResult
    public func disableIfOnlyFailing(_ subscription: Slug, for period: Duration) async throws -> Bool {
        for try await disabled in try await database.query(
            """
            WITH failing AS (
                SELECT min(dead_at) AS since FROM custody_webhook_outbox
                WHERE subscription = \(subscription.rawValue) AND dead_at IS NOT NULL
                  AND dead_at > coalesce((SELECT max(delivered_at) FROM custody_webhook_outbox
                                          WHERE subscription = \(subscription.rawValue)), '-infinity')),
            disabled AS (
                INSERT INTO custody_webhook_disabled (subscription, since, reason)
                SELECT \(subscription.rawValue), now(), 'only dead letters since ' || since FROM failing
                WHERE since <= now() - \("\(period.components.seconds) seconds")::interval
                ON CONFLICT (subscription) DO NOTHING
                RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM disabled) OR EXISTS (SELECT 1 FROM custody_webhook_disabled WHERE subscription = \(subscription.rawValue))
            """
        ).decode(Bool.self) { return disabled }
        return false
    }

    /// The attempt failed: retried at `retryAt`, or dead-lettered when nil.
    public func failed(_ message: Leased, status: Int?, error: String, retryAt: Timestamp?) async throws {
        try await database.query(
            """
            UPDATE custody_webhook_outbox SET leased_until = NULL, last_status = \(status.map(Int32.init)),
                last_error = \(String(error.prefix(500))),
                next_attempt_at = CASE WHEN \(retryAt?.microseconds)::bigint IS NULL THEN next_attempt_at
                                       ELSE custody_from_micros(\(retryAt?.microseconds)) END,
                dead_at = CASE WHEN \(retryAt?.microseconds)::bigint IS NULL THEN now() END
            WHERE id = \(message.id)
            """)
    }

    /// One message as `custody webhook deliveries` lists it.
    public struct Delivery: Sendable, Codable, Equatable {
        /// The message's id.
        public var id: String
        /// The subscription it goes to.
        public var subscription: String
        /// The subscription's organization.
        public var organization: String
        /// Its message type.
        public var type: String
        /// When the projector committed it.
        public var createdAt: Timestamp
        /// Delivery attempts so far.
        public var attempts: Int
        /// `pending`, `delivered` or `failed` (dead-lettered: no more attempts).
        public var state: String
        /// The HTTP status of the last attempt, when one answered.
        public var lastStatus: Int?
        /// Why the last attempt failed, when it did.
        public var lastError: String?
        /// When the next attempt is due; nil when none is.
        public var nextAttemptAt: Timestamp?
    }

    /// The newest messages first, of one organization when given, only the dead-lettered ones with `failed`.
    public func deliveries(organization: Slug?, failedOnly: Bool, limit: Int = 200) async throws -> [Delivery] {
        var found: [Delivery] = []
        for try await (id, subscription, organization, type, created, attempts, state, status, error, next)
            in try await database.query(
                """
                SELECT message_id, subscription, organization, type, custody_micros(created_at), attempts,
                    CASE WHEN delivered_at IS NOT NULL THEN 'delivered' WHEN dead_at IS NOT NULL THEN 'failed' ELSE 'pending' END,
                    last_status, last_error,
                    CASE WHEN delivered_at IS NULL AND dead_at IS NULL THEN custody_micros(next_attempt_at) END
                FROM custody_webhook_outbox
                WHERE (\(organization?.rawValue)::text IS NULL OR organization = \(organization?.rawValue))
                  AND (NOT \(failedOnly) OR dead_at IS NOT NULL)
                ORDER BY id DESC LIMIT \(Int32(limit))
                """
            ).decode((String, String, String, String, Int64, Int32, String, Int32?, String?, Int64?).self)
        {
            found.append(
                Delivery(
                    id: id, subscription: subscription, organization: organization, type: type,
                    createdAt: Timestamp(microseconds: created), attempts: Int(attempts), state: state,
                    lastStatus: status.map(Int.init),
                    lastError: error, nextAttemptAt: next.map(Timestamp.init(microseconds:))))
        }
        return found
    }

    /// Queues a dead-lettered or delivered message again, as it was (same id and body); false when none has that id.
    public func redeliver(_ messageId: String) async throws -> Bool {
        var changed = false
        for try await _ in try await database.query(
            """
            UPDATE custody_webhook_outbox SET delivered_at = NULL, dead_at = NULL, leased_until = NULL, attempts = 0,
                next_attempt_at = now()
            WHERE message_id = \(messageId) RETURNING 1
            """
        ).decode(Int32.self) { changed = true }
        return changed
    }

    /// Queues a `webhook.test` message for a subscription.
    public func queueTest(_ subscription: WebhookSubscription, at now: Timestamp) async throws -> String {
        let id = OutboxMessages.newId()
        let body = JSONValue.object([
            "type": .string(ExposureMessageType.test.rawValue), "timestamp": .string(now.description),
            "data": .object([
                "organization": .string(subscription.organization.rawValue),
                "subscription": .string(subscription.id.rawValue),
            ]),
        ]).jsonbText
        try await database.query(
            """
            INSERT INTO custody_webhook_outbox (message_id, subscription, organization, type, body)
            VALUES (\(id), \(subscription.id.rawValue), \(subscription.organization.rawValue), \(ExposureMessageType.test.rawValue), \(body))
            """)
        return id
    }

    /// Queues `response.overdue` for every current exposure nobody has answered for its subscription's overdue
    /// period, once per row and subscription (schema/018: a second deliverer's insert does nothing); returns how
    /// many were queued.
    @discardableResult
    public func queueOverdue(at now: Timestamp) async throws -> Int {
        var standing: [(subscription: String, organization: String, seconds: Int64)] = []
        for try await (subscription, organization, seconds) in try await database.query(
            """
            SELECT s.data->>'subscription', s.data->>'organization', (s.data->>'overdueAfterSeconds')::bigint
            FROM custody_events s
            WHERE s.type IN ('WebhookSubscribed', 'WebhookRemoved') AND s.type = 'WebhookSubscribed'
              AND s.data->>'overdueAfterSeconds' IS NOT NULL
              AND (jsonb_array_length(s.data->'messages') = 0 OR s.data->'messages' ? \(ExposureMessageType.responseOverdue.rawValue))
              AND NOT EXISTS (
                  SELECT 1 FROM custody_events r
                  WHERE r.stream_id = s.stream_id AND r.type IN ('WebhookSubscribed', 'WebhookRemoved') AND r.type = 'WebhookRemoved')
            """
        ).decode((String, String, Int64).self) { standing.append((subscription, organization, seconds)) }
        var queued = 0
        for subscription in standing {
            var keys: [String] = []
            var bodies: [String] = []
            for try await (key, text) in try await database.query(
                """
                SELECT e.deployment || '/' || e.incident, \(unescaped: ReadModelRow.composedDocument)::text
                FROM \(unescaped: ReadModelRow.exposures)
                WHERE e.organization = \(subscription.organization) AND \(unescaped: ReadModelRow.isCurrent)
                  AND NOT e.answered AND e.since <= \(now.microseconds - subscription.seconds * 1_000_000)
                  AND NOT EXISTS (
                      SELECT 1 FROM custody_webhook_outbox o
                      WHERE o.subscription = \(subscription.subscription) AND o.type = 'response.overdue'
                        AND o.row_key = e.deployment || '/' || e.incident)
                """
            ).decode((String, String).self) {
                let row = try EventCoding.decode(Exposure.self, from: Data(text.utf8))
                keys.append(key)
                bodies.append(
                    try ExposureMessage.body(
                        .responseOverdue, at: now, organization: row.organization, exposure: row, previous: nil,
                        cause: nil))
            }
            guard !keys.isEmpty else { continue }
            let ids = keys.map { _ in OutboxMessages.newId() }
            for try await inserted in try await database.query(
                """
                WITH inserted AS (
                    INSERT INTO custody_webhook_outbox (message_id, subscription, organization, type, body, row_key)
                    SELECT id, \(subscription.subscription), \(subscription.organization), 'response.overdue', body, key
                    FROM unnest(\(ids)::text[], \(bodies)::text[], \(keys)::text[]) AS x(id, body, key)
                    ON CONFLICT (subscription, row_key) WHERE type = 'response.overdue' DO NOTHING
                    RETURNING 1)
                SELECT count(*)::int FROM inserted
                """
            ).decode(Int32.self) { queued += Int(inserted) }
        }
        return queued
    }

    /// Messages not yet delivered nor dead-lettered, and the age in seconds of the oldest (0 when none).
    public func pending() async throws -> (count: Int, oldestSeconds: Double) {
        for try await (count, age) in try await database.query(
            """
            SELECT count(*)::int, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
            FROM custody_webhook_outbox WHERE delivered_at IS NULL AND dead_at IS NULL
            """
        ).decode((Int32, Double).self) { return (Int(count), age) }
        return (0, 0)
    }
}
