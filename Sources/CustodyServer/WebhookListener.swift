import CustodyCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `custody webhook listen`: a receiver for people trying a subscription. It verifies each delivery as any
/// Standard Webhooks receiver must (the three headers, the timestamp within a tolerance, a `v1` signature under the
/// secret) and prints it: 204 for a verified message, 400 when a header is missing, 401 when it does not verify.
public enum WebhookListener {
    /// What one delivery was, for the printer.
    public struct Delivery: Sendable {
        /// The message's id (`webhook-id`).
        public var id: String
        /// Whether its signature verified.
        public var verified: Bool
        /// Why it did not, when it did not.
        public var reason: String?
        /// The body as received.
        public var body: String
    }

    /// Listens on `host:port` until cancelled, handing each delivery to the printer.
    public static func run(
        host: String, port: Int, secret: WebhookSecret, tolerance: Int64, logger: Logger,
        listening: @escaping @Sendable (String, Int) -> Void, received: @escaping @Sendable (Delivery) -> Void
    ) async throws {
        let router = Router(context: BasicRequestContext.self)
        let handle: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            var request = request
            let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
            let (status, delivery) = verify(
                request.headers, body: body, secret: secret, tolerance: tolerance, now: .now)
            received(delivery)
            return Response(status: status)
        }
        router.post("/", use: handle)
        router.post("**", use: handle)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "custody-webhook-listen"),
            onServerRunning: { channel in listening(host, channel.localAddress?.port ?? port) }, logger: logger)
        try await app.runService()
    }

    /// The answer to one delivery and what to print of it.
    static func verify(
        _ headers: HTTPFields, body: String, secret: WebhookSecret, tolerance: Int64, now: Timestamp
    ) -> (HTTPResponse.Status, Delivery) {
        func field(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
        guard let id = field("webhook-id"), let stamp = field("webhook-timestamp"),
            let signature = field("webhook-signature")
        else {
            return (
                .badRequest,
                Delivery(
                    id: "-", verified: false, reason: "missing webhook-id, webhook-timestamp or webhook-signature",
                    body: body)
            )
        }
        guard let seconds = Int64(stamp), abs(now.microseconds / 1_000_000 - seconds) <= tolerance else {
            return (
                .unauthorized,
                Delivery(
                    id: id, verified: false, reason: "timestamp \(stamp) is more than \(tolerance) s away from now",
                    body: body)
            )
        }
        guard WebhookSignature.verify(header: signature, id: id, timestamp: seconds, body: body, secret: secret) else {
            return (
                .unauthorized,
                Delivery(id: id, verified: false, reason: "no signature verifies under this secret", body: body)
            )
        }
        return (.noContent, Delivery(id: id, verified: true, reason: nil, body: body))
    }
}
