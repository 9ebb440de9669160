import ArgumentParser
import CustodyCLI
import CustodyCore
import CustodyServer
import CustodyStore
import Foundation
import Logging

/// `custody notify` (declared in CustodyCLI as `NotifyCommand`), run.
struct Notifying: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: NotifyCommand.configuration.commandName, abstract: NotifyCommand.configuration.abstract,
        subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = NotifyCommand.Run.configuration
        @OptionGroup var notify: NotifyCommand.Run

        func run() async throws {
            let configuration = try notify.webhooks.configuration()
            var configured = Logger(label: "custody.notify")
            configured.logLevel = Logger.Level(rawValue: notify.logLevel) ?? .info
            let logger = configured
            let json = notify.connection.json
            try await Runner.run(notify.connection) { database in
                let line =
                    json ? JSONValue.object(["delivering": .bool(true)]).jsonbText : "custody: delivering webhooks"
                StandardOutput.write(line + "\n")
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
