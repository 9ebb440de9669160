import CustodyCore
import Foundation
import PostgresNIO

/// Subscriptions' signing secrets (`custody_webhook_secrets`, schema/016): written with the subscription's fact,
/// rotated in place, read only by the process that delivers.
extension EventStore {
    /// Records a subscription and stores its secret in one transaction: both or neither. A retry of a recorded
    /// subscription (same event id) stores nothing: its secret was stored, and shown, the first time.
    public func subscribe(_ proposed: ProposedEvent, secret: WebhookSecret) async throws -> Appended {
        try await database.transaction { inside in
            let appended = try await EventStore(inside).record(proposed)
            guard !appended.duplicate, case .webhookSubscribed(let e) = proposed.event else { return appended }
            try await inside.query(
                "INSERT INTO custody_webhook_secrets (subscription, secret) VALUES (\(e.subscription.rawValue), \(secret.description))"
            )
            return appended
        }
    }

    /// A subscription that stands (recorded, not removed), folded from its own stream only: asking for one
    /// subscription does not fold the whole log.
    public func standingSubscription(_ id: Slug) async throws -> WebhookSubscription {
        var chain = SupplyChain()
        chain.apply(try await read(streams: [.webhook(id)]))
        guard let known = chain.webhookSubscriptions().first else {
            throw CustodyError.unknown(what: "webhook subscription", id: id.rawValue)
        }
        guard known.removedAt == nil else {
            throw CustodyError.conflict("webhook subscription '\(id)' was removed; subscribe again under a new id")
        }
        return known
    }

    /// How long a rotated-out secret keeps signing beside the new one.
    public static let webhookSecretOverlap: Duration = .seconds(24 * 3600)

    /// Gives a subscription a new secret; the current one keeps signing for `webhookSecretOverlap`. A subscription
    /// restored from an export (which carries no secrets) gets its first secret this way.
    public func rotateSecret(of subscription: Slug, to secret: WebhookSecret) async throws {
        _ = try await standingSubscription(subscription)
        let overlap = "\(Self.webhookSecretOverlap.components.seconds) seconds"
        try await database.query(
            "SELECT custody_rotate_webhook_secret(\(subscription.rawValue), \(secret.description), \(overlap)::interval)"
        )
    }

    /// The secrets that sign a subscription's messages now: the current one first, then the previous one while
    /// it still overlaps. Empty when none is stored.
    public func signingSecrets(of subscription: Slug) async throws -> [WebhookSecret] {
        for try await (secret, previous) in try await database.query(
            """
            SELECT secret, CASE WHEN previous_until > now() THEN previous_secret END
            FROM custody_webhook_secrets WHERE subscription = \(subscription.rawValue)
            """
        ).decode((String, String?).self) {
            return try ([secret] + (previous.map { [$0] } ?? [])).map { try WebhookSecret(parsing: $0) }
        }
        return []
    }
}
