import ArgumentParser
import CustodyCore
import CustodyServer
import CustodyStore
import Foundation
import Logging
import Synchronization

/// Append → verified receipt of the webhook it causes, with the projector and the deliverer running in this
/// process as in `custody serve`, and a Standard Webhooks receiver (`custody webhook listen`'s) beside them.
struct Webhooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Append → verified webhook receipt on a live database; prints {\"p50\", \"p99\", \"max\", \"samples\"} in ms.",
        discussion: """
            Subscribes one organization, then appends `--samples` responses to its exposures, one at a time: each
            changes a row, so the projector writes an exposure.changed message, the deliverer signs and posts it,
            and the receiver verifies it. Timed from the append to the receipt of the message naming that event.
            """)
    @Option var url: String
    @Option var samples = 50

    func run() async throws {
        let databaseURL = try DatabaseURL(url)
        let samples = self.samples
        guard let secret = WebhookSecret(key: Array(repeating: 7, count: 32)) else {
            throw ValidationError("a bad secret")
        }
        let received = Mutex<[String: ContinuousClock.Instant]>([:])
        let port = Mutex<Int>(0)
        var quiet = Logger(label: "custody.bench")
        quiet.logLevel = .error
        let logger = quiet
        let listener = Task {
            try await WebhookListener.run(
                host: "127.0.0.1", port: 0, secret: secret, tolerance: 300, logger: logger,
                listening: { _, bound in port.withLock { $0 = bound } },
                received: { delivery in
                    guard delivery.verified, case .object(let top)? = try? JSONParser.parse(Array(delivery.body.utf8)),
                        case .object(let data)? = top["data"], case .object(let cause)? = data["cause"],
                        case .string(let event)? = cause["eventId"]
                    else { return }
                    received.withLock { $0[event] = .now }
                })
        }
        defer { listener.cancel() }
        while port.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let receiver = "http://127.0.0.1:\(port.withLock { $0 })/hooks"
        let report = try await LiveProjector.with(databaseURL) { store, projection, committed in
            let world = LiveWorld(chain: await projection.chain)
            let rows =
                Dictionary(grouping: world.exposures, by: \.organization).max { $0.value.count < $1.value.count }?.value
                ?? []
            guard let organization = rows.first?.organization else {
                throw ValidationError("no organization is exposed")
            }
            let subscription = try Slug("bench-\(UUID().uuidString.prefix(8).lowercased())")
            _ = try await store.subscribe(
                ProposedEvent(
                    id: UUID(),
                    event: .webhookSubscribed(
                        WebhookSubscribed(
                            subscription: subscription, organization: organization, url: receiver, messages: [],
                            overdueAfterSeconds: nil)),
                    metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: .now),
                secret: secret)
            let runner = Task { try await projection.run() }
            defer { runner.cancel() }
            var configuration = WebhookDeliverer.Configuration()
            configuration.allowed = [try AddressRange(parsing: "127.0.0.1/32")]
            let deliverer = Task {
                try await WebhookDeliverer(store.database, configuration: configuration, logger: logger).run()
            }
            defer { deliverer.cancel() }
            // Running and following before the first sample: the subscription's own event is applied first.
            let warm = committed.withLock { $0 }
            while committed.withLock({ $0 }) <= warm { try await Task.sleep(for: .milliseconds(1)) }
            var latencies: [Double] = []
            for index in 0..<samples {
                let row = rows[index % rows.count]
                let id = UUID()
                let started = ContinuousClock.now
                _ = try await store.append([
                    ProposedEvent(
                        id: id,
                        event: .exposureResponseRecorded(
                            ExposureResponseRecorded(
                                organization: row.organization, incident: row.incident, deployment: row.deployment,
                                provider: nil,
                                state: index % 2 == 0 ? .acknowledged : .mitigating, owner: "bench \(index)")),
                        metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: .now)
                ])
                let key = id.uuidString.lowercased()
                let deadline = started + .seconds(30)
                while received.withLock({ $0[key] }) == nil, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(1))
                }
                guard let at = received.withLock({ $0[key] }) else {
                    throw ValidationError("no webhook arrived for sample \(index) within 30 s")
                }
                latencies.append(milliseconds(at - started))
            }
            latencies.sort()
            return latencySummary(latencies)
        }
        print(JSONValue.object(report.mapValues { .number(String(format: "%.2f", $0)) }).jsonbText)
    }
}
