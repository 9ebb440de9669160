import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

package struct WebhookCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Webhook subscriptions and a receiver to try them.",
        subcommands: [
            Add.self, List.self, Remove.self, Rotate.self, Test.self, Deliveries.self, Redeliver.self,
            Listen.self,
        ])

    package init() {}
}

/// Subscriptions: registry facts of the organization (the API stays read-only), their secrets kept out of the log.
extension WebhookCommand {
    /// The `--org` filter of a listing, checked.
    static func organization(_ text: String?) throws -> Slug? {
        guard let text else { return nil }
        do { return try Slug(text, what: "organization id") } catch { throw CommandFailure(message: error.message) }
    }

    /// 32 bytes from the system's secure source (the core draws no randomness).
    static func drawSecret() throws -> WebhookSecret {
        var random = SystemRandomNumberGenerator()
        guard let secret = WebhookSecret(key: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) })
        else {
            throw CommandFailure(message: "could not draw a secret")
        }
        return secret
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract:
                "Subscribe an organization's endpoint to its exposure notifications; prints the signing secret once.",
            discussion: """
                Messages: \(ExposureMessageType.subscribable.map(\.rawValue).joined(separator: ", ")) (--events, \
                comma-separated; default: every one), and webhook.test when asked for (`custody webhook test`). \
                Each is signed as Standard Webhooks specifies (webhook-id, webhook-timestamp, webhook-signature) with \
                the secret printed here: it is stored out of the log and never shown again (`webhook rotate` gives a \
                new one). Try it with `custody webhook listen --secret whsec_…`.
                Example: custody webhook add soc-alerts --org stanford --url https://soc.example.edu/custody
                """)
        @Argument(help: "The subscription's id (lower-case letters, digits and '-').") var id: String
        @Option(name: .customLong("org"), help: "The organization whose exposure it follows.") var organization: String
        @Option(help: "Where messages are posted: an http:// or https:// URL.") var url: String
        @Option(help: "Only these message types, comma-separated.") var events: String?
        @Option(
            name: .customLong("overdue-after"),
            help: "Send response.overdue once for an exposure nobody answered for this long: 45s, 30m, 72h, 7d.")
        var overdueAfter: String?
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let fact: WebhookSubscribed
            let proposed: ProposedEvent
            do {
                let messages = (events ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                fact = WebhookSubscribed(
                    subscription: try Slug(id, what: "subscription id"),
                    organization: try Slug(organization, what: "organization id"),
                    url: url, messages: messages,
                    overdueAfterSeconds: try overdueAfter.map {
                        try DurationText.seconds(parsing: $0, what: "--overdue-after")
                    })
                proposed = ProposedEvent(
                    id: try recording.id(), event: fact.event, metadata: recording.metadata,
                    occurredAt: try recording.occurredAt())
            } catch let error as CustodyError {
                throw CommandFailure(message: error.message)
            }
            let secret = try WebhookCommand.drawSecret()
            let appended = try await Runner.run(connection, sequential: true) { database in
                try await EventStore(database).subscribe(proposed, secret: secret)
            }
            if appended.duplicate {
                throw CommandFailure(
                    message:
                        "webhook subscription '\(fact.subscription)' was already recorded by this event id; its secret was "
                        + "printed then and is not shown again: `custody webhook rotate \(fact.subscription)` gives a new one"
                )
            }
            if connection.json {
                print(
                    JSONValue.object([
                        "id": .string(fact.subscription.rawValue), "organization": .string(fact.organization.rawValue),
                        "url": .string(fact.url), "events": .array(fact.messages.map(JSONValue.string)),
                        "overdueAfterSeconds": fact.overdueAfterSeconds.map(JSONValue.integer) ?? .null,
                        "secret": .string(secret.description), "position": .integer(appended.recorded.position),
                    ]).jsonbText)
            } else {
                print("subscribed \(fact.subscription) for \(fact.organization): \(fact.url)")
                print("signing secret (shown once; keep it where the receiver reads it): \(secret)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List webhook subscriptions (never their secrets), removed ones included.")
        @Option(name: .customLong("org"), help: "Only this organization's.") var organization: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let only = try WebhookCommand.organization(organization)
            let subscriptions = try await Runner.run(connection) { database in
                let disabled = try await WebhookOutbox(database).disabled()
                return try await EventStore(database).supplyChain().webhookSubscriptions(of: only).map { subscription in
                    var subscription = subscription
                    subscription.disabledSince = disabled[subscription.id]
                    return subscription
                }
            }
            if connection.json {
                print(try EventCoding.document(subscriptions))
                return
            }
            var table = Table(headers: ["ID", "ORGANIZATION", "URL", "EVENTS", "OVERDUE AFTER", "SINCE", "STATE"])
            for item in subscriptions {
                table.rows.append([
                    item.id.rawValue, item.organization.rawValue, item.url,
                    item.messages.isEmpty ? "all" : item.messages.joined(separator: ","),
                    item.overdueAfterSeconds.map(Postmortem.duration) ?? "–", item.subscribedAt.description,
                    item.removedAt.map { "removed \($0)" } ?? item.disabledSince.map {
                        "DISABLED since \($0) (only failures)"
                    } ?? "active",
                ])
            }
            print(subscriptions.isEmpty ? "no webhook subscriptions (add one with `custody webhook add`)" : table.text)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Remove a webhook subscription: nothing more is sent to it.")
        @Argument(help: "The subscription's id.") var id: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let id = self.id
            try await Runner.record(
                { WebhookRemoved(subscription: try Slug(id, what: "subscription id")) }, recording, connection)
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Give a subscription a new signing secret, printed once; the old one keeps signing for 24 h.",
            discussion: """
                During the 24 hours each message carries two signatures (the new secret's first), so a receiver \
                verifies with either while it is updated.
                """)
        @Argument(help: "The subscription's id.") var id: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let subscription: Slug
            do { subscription = try Slug(id, what: "subscription id") } catch {
                throw CommandFailure(message: error.message)
            }
            let secret = try WebhookCommand.drawSecret()
            try await Runner.run(connection, sequential: true) { database in
                try await EventStore(database).rotateSecret(of: subscription, to: secret)
            }
            if connection.json {
                print(
                    JSONValue.object(["id": .string(subscription.rawValue), "secret": .string(secret.description)])
                        .jsonbText)
            } else {
                print("new signing secret for \(subscription) (shown once; the old one signs too for 24 h): \(secret)")
            }
        }
    }
}

/// What became of the messages: list them, send one again, send a test.
extension WebhookCommand {
    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deliveries", abstract: "List webhook messages, newest first, and what became of each.")
        @Option(name: .customLong("org"), help: "Only this organization's.") var organization: String?
        @Flag(help: "Only dead-lettered ones (no more attempts; `webhook redeliver` sends one again).") var failed =
            false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (only, failed) = (try WebhookCommand.organization(organization), self.failed)
            let deliveries = try await Runner.run(connection) { database in
                try await WebhookOutbox(database).deliveries(organization: only, failedOnly: failed)
            }
            if connection.json {
                print(try EventCoding.document(deliveries))
                return
            }
            var table = Table(headers: ["ID", "SUBSCRIPTION", "TYPE", "CREATED", "ATTEMPTS", "STATE", "LAST"])
            for item in deliveries {
                let last = [item.lastStatus.map { "HTTP \($0)" }, item.lastError].compactMap { $0 }.joined(
                    separator: ": ")
                table.rows.append([
                    item.id, item.subscription, item.type, item.createdAt.description, String(item.attempts),
                    item.state + (item.nextAttemptAt.map { " (next \($0))" } ?? ""), last.isEmpty ? "–" : last,
                ])
            }
            print(deliveries.isEmpty ? "no webhook messages" + (failed ? " failed" : "") : table.text)
        }
    }

    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "redeliver", abstract: "Send a message again (same id and body), e.g. a dead-lettered one.")
        @Argument(help: "The message's id (msg_…, as `webhook deliveries` shows it).") var id: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let id = self.id
            let queued = try await Runner.run(connection) { database in try await WebhookOutbox(database).redeliver(id)
            }
            guard queued else {
                throw CommandFailure(message: "no webhook message with id '\(id)' (see `custody webhook deliveries`)")
            }
            print(connection.json ? JSONValue.object(["queued": .string(id)]).jsonbText : "queued \(id) again")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test", abstract: "Queue a webhook.test message for a subscription, to check its receiver.")
        @Argument(help: "The subscription's id.") var id: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let subscription: Slug
            do { subscription = try Slug(id, what: "subscription id") } catch {
                throw CommandFailure(message: error.message)
            }
            let queued = try await Runner.run(connection) { database in
                let found = try await EventStore(database).standingSubscription(subscription)
                return try await WebhookOutbox(database).queueTest(found, at: .now)
            }
            print(
                connection.json
                    ? JSONValue.object(["queued": .string(queued)]).jsonbText : "queued test message \(queued)")
        }
    }
}
