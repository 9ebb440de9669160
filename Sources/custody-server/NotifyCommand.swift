import ArgumentParser
import CustodyCLI
import CustodyCore
import CustodyServer
import CustodyStore
import Foundation
import Logging

struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: ServerCommand.Notify.configuration.abstract, subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Deliver the webhook outbox until stopped, beside or instead of `custody serve`'s deliverer.",
            discussion: """
                Any number may run (each message is taken by one at a time, and each subscription's messages go out \
                in order). A failed delivery is retried with exponential backoff and jitter, 15 attempts in all \
                (about a day with the default base), then dead-lettered: `custody webhook deliveries --failed` lists \
                it and `custody webhook redeliver` sends it again. Needs the custody_app role (it reads the secrets).
                Example: custody notify run --webhook-allow 10.0.0.0/8
                """)
        @OptionGroup var webhooks: WebhookDeliveryOptions
        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
        var logLevel = "info"
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let configuration = try webhooks.configuration()
            var configured = Logger(label: "custody.notify")
            configured.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            let logger = configured
            let json = connection.json
            try await Runner.run(connection) { database in
                let line =
                    json ? JSONValue.object(["delivering": .bool(true)]).jsonbText : "custody: delivering webhooks"
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
                let deliverer = WebhookDeliverer(database, configuration: configuration, logger: logger) { outcome in
                    logger.info("webhook delivery: \(outcome)")
                }
                try await withTaskCancellationOnSignals { try await deliverer.run() }
            }
        }
    }
}

/// Runs `body` until it returns or SIGTERM/SIGINT arrives, then cancels it.
func withTaskCancellationOnSignals(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let task = Task { try await body() }
    let sources = [SIGTERM, SIGINT].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number)
        source.setEventHandler { task.cancel() }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    do { try await task.value } catch is CancellationError {}
}
