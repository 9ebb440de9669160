import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

/// `custody webhook listen` verifies deliveries as a Standard Webhooks receiver must, and prints each.
@Suite struct WebhookListenTests {
    @Test func verifiedDeliveriesAreAcceptedAndEveryOtherOneRefused() async throws {
        let secret = WebhookSecret(key: Array(repeating: 42, count: 32))!
        let listener = try await ServerProcess(
            CLI(databaseURL: nil), arguments: ["--secret", secret.description, "--json"],
            command: ["webhook", "listen", "--port", "0"], marker: "listening")
        let body = #"{"type": "webhook.test", "timestamp": "2026-12-01T12:00:00Z", "data": {}}"#
        let now = Timestamp.now.microseconds / 1_000_000
        func headers(id: String, at time: Int64, signature: String? = nil) -> [String: String] {
            [
                "webhook-id": id, "webhook-timestamp": String(time), "content-type": "application/json",
                "webhook-signature": signature
                    ?? WebhookSignature.sign(id: id, timestamp: time, body: body, secret: secret),
            ]
        }
        let http = listener.http
        #expect(
            try await http.get("/hooks/custody", headers: headers(id: "msg_1", at: now), method: "POST", body: body)
                .status == 204)
        let forged = WebhookSignature.sign(
            id: "msg_2", timestamp: now, body: body, secret: WebhookSecret(key: Array(repeating: 1, count: 32))!)
        #expect(
            try await http.get(
                "/", headers: headers(id: "msg_2", at: now, signature: forged), method: "POST", body: body
            ).status == 401)
        #expect(
            try await http.get("/", headers: headers(id: "msg_3", at: now - 3600), method: "POST", body: body).status
                == 401)
        #expect(
            try await http.get("/", headers: ["content-type": "application/json"], method: "POST", body: body).status
                == 400)
        #expect(try await listener.stop() == 0)
        let lines = listener.printed.split(separator: "\n").dropFirst().map(String.init)
        #expect(lines.count == 4, "\(listener.printed)")
        #expect(
            lines.first?.contains(#""id": "msg_1""#) == true && lines.first?.contains(#""verified": true"#) == true,
            "\(lines)")
        #expect(lines.dropFirst().allSatisfy { $0.contains(#""verified": false"#) }, "\(lines)")
        #expect(lines[2].contains("more than 300 s away"), "\(lines)")
    }

    @Test func aMissingOrMalformedSecretIsRefused() async throws {
        let none = try await CLI(databaseURL: nil).run(["webhook", "listen"])
        #expect(none.status == 1 && none.stderr.contains("give the subscription's secret"), "\(none.stderr)")
        let bad = try await CLI(databaseURL: nil).run(["webhook", "listen", "--secret", "whsec_short"])
        #expect(bad.status == 1 && bad.stderr.contains("invalid webhook secret"), "\(bad.stderr)")
    }
}
