import ArgumentParser
import CustodyCLI
import CustodyCore
import CustodyServer
import Foundation
import Logging

/// `custody webhook listen` (declared in CustodyCLI as `WebhookCommand.Listen`), run.
struct Listening: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: WebhookCommand.configuration.commandName, abstract: "A receiver to try webhook subscriptions.",
        subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = WebhookCommand.Listen.configuration
        @OptionGroup var listen: WebhookCommand.Listen

        func run() async throws {
            guard let text = listen.secret ?? ProcessInfo.processInfo.environment["CUSTODY_WEBHOOK_SECRET"] else {
                throw CommandFailure(
                    message: "give the subscription's secret: --secret whsec_… (or $CUSTODY_WEBHOOK_SECRET)")
            }
            let key: WebhookSecret
            do { key = try WebhookSecret(parsing: text) } catch { throw CommandFailure(message: error.message) }
            var logger = Logger(label: "custody.webhook")
            logger.logLevel = .warning
            let json = listen.json
            try await WebhookListener.run(
                host: listen.host, port: listen.port, secret: key, tolerance: listen.tolerance, logger: logger,
                listening: { host, port in
                    let line =
                        json
                        ? JSONValue.object(["listening": .string("http://\(host):\(port)")]).jsonbText
                        : "custody: listening for webhooks on http://\(host):\(port)"
                    StandardOutput.write(line + "\n")
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
                    StandardOutput.write(line + "\n")
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
