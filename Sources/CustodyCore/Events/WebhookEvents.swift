/// An organization subscribed an HTTP endpoint to the notifications of its exposure. The signing secret is not
/// part of the fact: it is kept out of the log and its exports, readable only by the role that delivers.
public struct WebhookSubscribed: EventPayload {
    public static let type = "WebhookSubscribed"
    public var event: DomainEvent { .webhookSubscribed(self) }
    /// The subscription's id; its facts form the stream `webhook-<id>`.
    public var subscription: Slug
    /// The organization whose exposure it is told about.
    public var organization: Slug
    /// Where messages are posted (`http` or `https`).
    public var url: String
    /// The message types sent (`exposure.entered`, …); empty: every type.
    public var messages: [String]
    /// A current exposure without a response for this long gets one `response.overdue` message; nil: never.
    public var overdueAfterSeconds: Int64?
    /// A subscription.
    public init(subscription: Slug, organization: Slug, url: String, messages: [String], overdueAfterSeconds: Int64?) {
        (self.subscription, self.organization, self.url) = (subscription, organization, url)
        (self.messages, self.overdueAfterSeconds) = (messages, overdueAfterSeconds)
    }
    public var stream: StreamName { .webhook(subscription) }
    public var references: [StreamName] { [.organization(organization)] }
}

/// A webhook subscription was removed: nothing more is sent to it.
public struct WebhookRemoved: EventPayload {
    public static let type = "WebhookRemoved"
    public var event: DomainEvent { .webhookRemoved(self) }
    /// The subscription removed.
    public var subscription: Slug
    /// A removal.
    public init(subscription: Slug) { self.subscription = subscription }
    public var stream: StreamName { .webhook(subscription) }
}
