import AsyncHTTPClient
import CustodyCore
import CustodyStore
import Foundation
import Logging
import NIOCore
import NIOPosix

/// Delivers the webhook outbox (schema/017): leases each due message, signs it (Standard Webhooks, with every
/// secret the subscription signs with), posts it, and records the outcome; retries with exponential backoff and
/// jitter, then dead-letters. Runs in `custody serve` and as `custody notify run`; any number of them share the work.
public struct WebhookDeliverer: Sendable {
    /// How deliveries are made: which addresses are allowed, and how failures are retried and given up on.
    public struct Configuration: Sendable {
        /// Address blocks a destination may be in although internal (`--webhook-allow`).
        public var allowed: [AddressRange] = []
        /// The first retry waits about this long; each next one twice as long (±50 % jitter).
        public var retryBase: Duration = .seconds(5)
        /// No wait between two attempts is longer (with the default base it is never reached).
        public var retryMaximum: Duration = .seconds(12 * 3600)
        /// A message is dead-lettered after this many attempts (with the default base, about a day of retries).
        public var maximumAttempts = 15
        /// Messages in flight at once in this process.
        public var concurrency = 4
        /// How long one attempt may take.
        public var timeout: Duration = .seconds(5)
        /// How often an idle deliverer looks for due messages (at once when a projector of this process rings).
        public var pollInterval: Duration = .milliseconds(250)
        /// An endpoint whose messages have only been dead-lettered this long is disabled.
        public var disableAfter: Duration = .seconds(3 * 86_400)
        /// How often it looks for exposures whose response is overdue.
        public var overdueInterval: Duration = .seconds(30)

        /// The defaults above.
        public init() {}
    }

    let outbox: WebhookOutbox
    let store: EventStore
    let configuration: Configuration
    let logger: Logger
    let outcome: (@Sendable (String) -> Void)?

    /// A deliverer of `database`'s outbox; `outcome` hears of each attempt, in one line.
    public init(
        _ database: Database, configuration: Configuration, logger: Logger, outcome: (@Sendable (String) -> Void)? = nil
    ) {
        (outbox, store) = (WebhookOutbox(database), EventStore(database))
        (self.configuration, self.logger, self.outcome) = (configuration, logger, outcome)
    }

    /// Delivers in a server until it stops, counting outcomes and the pending messages; a failure (the database
    /// away) is logged and the deliverer starts again.
    static func keepRunning(_ database: Database, _ configuration: Configuration, telemetry: Telemetry, logger: Logger)
        async
    {
        let deliverer = WebhookDeliverer(database, configuration: configuration, logger: logger) {
            telemetry.webhookDelivery($0)
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    if let (count, oldest) = try? await deliverer.outbox.pending() {
                        telemetry.webhooksPending.set(Int64(count))
                        telemetry.webhooksOldestPending.set(oldest)
                    }
                    try? await Task.sleep(for: .seconds(5))
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do { try await deliverer.run() } catch is CancellationError { return } catch {
                        logger.warning("webhook deliverer stopped: \(error); starting again")
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Delivers until cancelled.
    public func run() async throws {
        var client = HTTPClient.Configuration(redirectConfiguration: .disallow)
        client.timeout = .init(
            connect: .seconds(Int64(configuration.timeout.components.seconds)),
            read: .seconds(Int64(configuration.timeout.components.seconds)))
        let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: client)
        do {
            try await work(http)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try? await http.shutdown()
    }

    private func work(_ http: HTTPClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    do { try await outbox.queueOverdue(at: .now) } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        logger.warning("webhook overdue responses: \(error)")
                    }
                    try await Task.sleep(for: configuration.overdueInterval)
                }
            }
            for _ in 0..<max(1, configuration.concurrency) {
                group.addTask {
                    while true {
                        try Task.checkCancellation()
                        do {
                            let rings = outbox.database.outboxBell.rings
                            guard let message = try await outbox.lease(for: configuration.timeout * 3 + .seconds(5))
                            else {
                                try await outbox.database.outboxBell.wait(
                                    after: rings, upTo: configuration.pollInterval)
                                continue
                            }
                            await deliver(message, with: http)
                        } catch is CancellationError {
                            throw CancellationError()
                        } catch {
                            logger.warning("webhook delivery: \(error)")
                            try await Task.sleep(for: .seconds(1))
                        }
                    }
                }
            }
            try await group.next()
        }
    }

    func deliver(_ message: WebhookOutbox.Leased, with http: HTTPClient) async {
        do {
            guard let url = message.url else {
                try await outbox.failed(message, status: nil, error: "the subscription was removed", retryAt: nil)
                return record("removed")
            }
            // A disabled endpoint is not tried, but for a test message: one that succeeds enables it again.
            if message.type != ExposureMessageType.test.rawValue,
                let since = try await outbox.disabledSince(message.subscription)
            {
                try await outbox.failed(
                    message, status: nil,
                    error:
                        "the endpoint is disabled (only failures since \(since)); `custody webhook test \(message.subscription)` tries it again",
                    retryAt: nil)
                return record("disabled")
            }
            let secrets = try await store.signingSecrets(of: message.subscription)
            guard !secrets.isEmpty else {
                return try await retry(
                    message, status: nil,
                    error: "no signing secret is stored (run `custody webhook rotate \(message.subscription)`)")
            }
            try await checkDestination(url)
            let timestamp = Timestamp.now.microseconds / 1_000_000
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "user-agent", value: "custody-webhooks")
            request.headers.add(name: "webhook-id", value: message.messageId)
            request.headers.add(name: "webhook-timestamp", value: String(timestamp))
            request.headers.add(
                name: "webhook-signature",
                value: WebhookSignature.header(
                    id: message.messageId, timestamp: timestamp, body: message.body, secrets: secrets))
            request.body = .bytes(ByteBuffer(string: message.body))
            let response = try await http.execute(
                request, timeout: .seconds(Int64(configuration.timeout.components.seconds)))
            // Only a little of what a receiver answers is read, whatever it sends.
            _ = try? await response.body.collect(upTo: 16 * 1024)
            let status = Int(response.status.code)
            if (200..<300).contains(status) {
                try await outbox.delivered(message, status: status)
                record("delivered")
            } else {
                try await retry(message, status: status, error: "the receiver answered \(status)")
            }
        } catch let refused as CustodyError {
            try? await outbox.failed(message, status: nil, error: refused.message, retryAt: nil)
            _ = try? await outbox.disableIfOnlyFailing(message.subscription, for: configuration.disableAfter)
            record("refused")
        } catch {
            try? await retry(message, status: nil, error: "\(error)")
        }
    }

    private func retry(_ message: WebhookOutbox.Leased, status: Int?, error: String) async throws {
        guard message.attempts < configuration.maximumAttempts else {
            try await outbox.failed(message, status: status, error: error, retryAt: nil)
            try await outbox.disableIfOnlyFailing(message.subscription, for: configuration.disableAfter)
            return record("dead")
        }
        let base =
            Double(configuration.retryBase.components.seconds) + Double(configuration.retryBase.components.attoseconds)
            / 1e18
        let cap = Double(configuration.retryMaximum.components.seconds)
        let delay = min(base * pow(2, Double(message.attempts - 1)), cap) * Double.random(in: 0.5...1.5)
        try await outbox.failed(
            message, status: status, error: error,
            retryAt: Timestamp(microseconds: Timestamp.now.microseconds + Int64(delay * 1_000_000)))
        record("retried")
    }

    private func record(_ outcome: String) {
        self.outcome?(outcome)
    }

    /// Refuses a destination whose host resolves to an internal address that is not allowed.
    func checkDestination(_ url: String) async throws {
        guard let host = URL(string: url)?.host else {
            throw CustodyError.invalidValue(what: "webhook URL", value: url, accepted: "a URL with a host")
        }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let addresses = try await Self.resolve(bare)
        guard !addresses.isEmpty else { throw URLError(.cannotFindHost) }
        for address in addresses where !AddressRange.mayReach(address, allowed: configuration.allowed) {
            throw CustodyError.conflict(
                "webhook destination \(host) is an internal address; allow it with --webhook-allow if it is meant to be reached"
            )
        }
    }

    /// The host's addresses (4 or 16 bytes each), resolved off the cooperative pool.
    static func resolve(_ host: String) async throws -> [[UInt8]] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var list: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else {
                    continuation.resume(returning: [])
                    return
                }
                defer { freeaddrinfo(first) }
                var addresses: [[UInt8]] = []
                var entry: UnsafeMutablePointer<addrinfo>? = first
                while let current = entry {
                    if current.pointee.ai_family == AF_INET, let raw = current.pointee.ai_addr {
                        raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                            var address = pointer.pointee.sin_addr
                            addresses.append(withUnsafeBytes(of: &address) { Array($0) })
                        }
                    } else if current.pointee.ai_family == AF_INET6, let raw = current.pointee.ai_addr {
                        raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                            var address = pointer.pointee.sin6_addr
                            addresses.append(withUnsafeBytes(of: &address) { Array($0) })
                        }
                    }
                    entry = current.pointee.ai_next
                }
                continuation.resume(returning: addresses)
            }
        }
    }
}
