/// A webhook subscription as the log records it (`custody webhook list`).
public struct WebhookSubscription: Hashable, Sendable, Codable {
    /// The subscription's id.
    public var id: Slug
    /// The organization it tells about.
    public var organization: Slug
    /// Where messages are posted.
    public var url: String
    /// The message types sent; empty: every type.
    public var messages: [String]
    /// After how long without a response a current exposure is reported overdue; nil: never.
    public var overdueAfterSeconds: Int64?
    /// When it was made.
    public var subscribedAt: Timestamp
    /// Nil while the subscription stands.
    public var removedAt: Timestamp?
    /// When a deliverer disabled its endpoint for only failing (`custody webhook list` fills it in from the
    /// deliverers' table; the log does not know it); nil while it is tried.
    public var disabledSince: Timestamp? = nil

    /// Whether a message of `type` is sent to it (a test message always is, when asked for).
    public func wants(_ type: ExposureMessageType) -> Bool {
        type == .test || messages.isEmpty || messages.contains(type.rawValue)
    }
}

extension SupplyChain {
    /// Every subscription the log records, removed ones included, by id; of one organization when given.
    public func webhookSubscriptions(of organization: Slug? = nil) -> [WebhookSubscription] {
        webhooks.keys.sorted().compactMap { id -> WebhookSubscription? in
            guard let facts = webhooks[id]?.facts,
                let subscribed = facts.first(where: { if case .subscribed = $0.value { true } else { false } }),
                case .subscribed(let e) = subscribed.value, organization.map({ $0 == e.organization }) ?? true
            else { return nil }
            let removed = facts.first { $0.value == .removed }
            return WebhookSubscription(
                id: id, organization: e.organization, url: e.url, messages: e.messages,
                overdueAfterSeconds: e.overdueAfterSeconds, subscribedAt: subscribed.stamp.occurredAt,
                removedAt: removed?.stamp.occurredAt)
        }
    }
}
