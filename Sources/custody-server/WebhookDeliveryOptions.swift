import CustodyCLI
import CustodyCore
import CustodyServer

/// What the deliverer is told by the options `serve` and `notify run` share.
extension WebhookDeliveryOptions {
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
