import ArgumentParser
import CustodyCLI
import CustodyCore
import CustodyServer
import Foundation
import Logging

/// `custody webhook listen`: a receiver that verifies what a deliverer sends (the other `webhook` commands are
/// the CLI's).
struct WebhookListenGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "A receiver to try webhook subscriptions.", subcommands: [Listen.self])

    struct Listen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "listen",
            abstract: ServerCommand.Listen.configuration.abstract,
            discussion: """
                Answers 204 to a verified delivery, 400 when a webhook-* header is missing and 401 when the timestamp is \
                further than --tolerance from now or no signature verifies under the secret; each is printed, one line \
                per delivery (the body as received with --json). Stop it with Ctrl-C.
                Example: custody webhook listen --port 8787 --secret whsec_...
                """)
        @Option(help: "The address to listen on.") var host = "127.0.0.1"
        @Option(help: "The port (0: any free one, printed).") var port = 8787
        @Option(help: "The subscription's signing secret (whsec_…). Default: $CUSTODY_WEBHOOK_SECRET.") var secret:
            String?
        @Option(help: "How far a delivery's timestamp may be from now, in seconds.") var tolerance: Int64 = 300
        @Flag(help: "Print each delivery as a JSON line: its id, whether it verified, why not, and its body.")
        var json = false

        func run() async throws {
            guard let text = secret ?? ProcessInfo.processInfo.environment["CUSTODY_WEBHOOK_SECRET"] else {
                throw CommandFailure(
                    message: "give the subscription's secret: --secret whsec_… (or $CUSTODY_WEBHOOK_SECRET)")
            }
            let key: WebhookSecret
            do { key = try WebhookSecret(parsing: text) } catch { throw CommandFailure(message: error.message) }
            var logger = Logger(label: "custody.webhook")
            logger.logLevel = .warning
            let json = self.json
            try await WebhookListener.run(
                host: host, port: port, secret: key, tolerance: tolerance, logger: logger,
                listening: { host, port in
                    let line =
                        json
                        ? JSONValue.object(["listening": .string("http://\(host):\(port)")]).jsonbText
                        : "custody: listening for webhooks on http://\(host):\(port)"
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                },
                received: { delivery in
                    let line: String
                    if json {
                        line =
                            JSONValue.object([
                                "id": .string(delivery.id), "verified": .bool(delivery.verified),
                                "reason": delivery.reason.map(JSONValue.string) ?? .null,
                                "body": .string(delivery.body),
                            ]).jsonbText
                    } else if delivery.verified {
                        line = "verified \(delivery.id): \(Self.summary(delivery.body))"
                    } else {
                        line = "REFUSED \(delivery.id): \(delivery.reason ?? "")"
                    }
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                })
        }

        /// The message's type, organization, deployment and incident, when the body is one of Custody's.
        static func summary(_ body: String) -> String {
            guard case .object(let top)? = try? JSONParser.parse(Array(body.utf8)) else {
                return body.prefix(200).description
            }
            var parts: [String] = []
            if case .string(let type)? = top["type"] { parts.append(type) }
            if case .object(let data)? = top["data"] {
                if case .string(let organization)? = data["organization"] { parts.append(organization) }
                if case .object(let row)? = data["exposure"] ?? data["previous"] {
                    for key in ["deployment", "incident", "status"] {
                        if case .string(let value)? = row[key] { parts.append(value) }
                    }
                }
            }
            return parts.isEmpty ? String(body.prefix(200)) : parts.joined(separator: " ")
        }
    }
}
