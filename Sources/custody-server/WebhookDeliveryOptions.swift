import ArgumentParser
import CustodyCLI
import CustodyCore
import CustodyServer

/// How a process delivers webhooks (`serve`, `notify run`).
struct WebhookDeliveryOptions: ParsableArguments {
    @Option(
        name: .customLong("webhook-allow"),
        help: ArgumentHelp(
            "An internal address block webhook destinations may be in (repeatable): 127.0.0.1/32, 10.0.0.0/8.",
            discussion: "By default loopback, private, shared, link-local and multicast addresses are refused.",
            valueName: "cidr"))
    var allow: [String] = []

    @Option(
        name: .customLong("webhook-retry-base"),
        help: "Seconds before the first retry of a failed delivery; each next one waits twice as long (±50 %).")
    var retryBase: Double = 5

    @Option(
        name: .customLong("webhook-retry-max"),
        help: "The longest wait between two attempts, in seconds (default 12 h, which the default base never reaches).")
    var retryMaximum: Int64 = 12 * 3600

    @Option(
        name: .customLong("webhook-disable-after"),
        help: "Disable an endpoint whose messages have only been dead-lettered this long: 72h, 3d.")
    var disableAfter = "72h"

    @Option(
        name: .customLong("webhook-timeout"),
        help: "Seconds a delivery may take; a deliverer that dies holds its message about 3 times this long.")
    var timeout: Int64 = 5

    func configuration() throws -> WebhookDeliverer.Configuration {
        var configuration = WebhookDeliverer.Configuration()
        do { configuration.allowed = try allow.map { try AddressRange(parsing: $0) } } catch let error as CustodyError {
            throw CommandFailure(message: error.message)
        }
        guard retryBase > 0, retryBase <= 86_400 else {
            throw CommandFailure(message: "--webhook-retry-base must be more than 0 and at most 86400 seconds")
        }
        configuration.retryBase = .milliseconds(Int64(retryBase * 1000))
        guard retryMaximum >= 1 else { throw CommandFailure(message: "--webhook-retry-max must be at least 1 second") }
        configuration.retryMaximum = .seconds(retryMaximum)
        guard (1...60).contains(timeout) else {
            throw CommandFailure(message: "--webhook-timeout must be from 1 to 60 seconds")
        }
        configuration.timeout = .seconds(timeout)
        do {
            configuration.disableAfter = .seconds(
                try DurationText.seconds(parsing: disableAfter, what: "--webhook-disable-after"))
        } catch {
            throw CommandFailure(message: error.message)
        }
        return configuration
    }
}
