import CustodyCore
import Foundation
import Testing

/// Signing as Standard Webhooks defines it, and which change of an exposure row a subscriber is told of.
@Suite struct NotificationTests {
    let secret = WebhookSecret(key: Array(0..<32))!
    let body = #"{"type": "webhook.test", "timestamp": "2025-12-01T12:00:00Z", "data": {}}"#

    /// The expected value was computed by the reference implementation, Python's `standardwebhooks` package
    /// (`Webhook(secret).sign("msg_custody_0001", <1764590400>, body)`).
    @Test func aSignatureIsTheReferenceLibrarysOne() throws {
        #expect(secret.description == "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        #expect(try WebhookSecret(parsing: secret.description) == secret)
        let signature = WebhookSignature.sign(
            id: "msg_custody_0001", timestamp: 1_764_590_400, body: body, secret: secret)
        #expect(signature == "v1,HUe1W05VXoRs5RY0C1ZRCaa8l9IiwCjS40eae6kDEXQ=")
    }

    @Test func verificationAcceptsEitherSecretOfARotationAndNothingAltered() throws {
        let newer = WebhookSecret(key: Array(repeating: 7, count: 32))!
        let header = WebhookSignature.header(id: "m1", timestamp: 10, body: body, secrets: [newer, secret])
        #expect(header.split(separator: " ").count == 2)
        #expect(WebhookSignature.verify(header: header, id: "m1", timestamp: 10, body: body, secret: secret))
        #expect(WebhookSignature.verify(header: header, id: "m1", timestamp: 10, body: body, secret: newer))
        #expect(!WebhookSignature.verify(header: header, id: "m1", timestamp: 11, body: body, secret: secret))
        #expect(!WebhookSignature.verify(header: header, id: "m2", timestamp: 10, body: body, secret: secret))
        #expect(!WebhookSignature.verify(header: header, id: "m1", timestamp: 10, body: body + " ", secret: secret))
        #expect(throws: CustodyError.self) { try WebhookSecret(parsing: "whsec_c2hvcnQ=") }
        #expect(WebhookSecret(key: Array(repeating: 1, count: 8)) == nil)
    }

    @Test func aRowsChangeIsEnteredChangedLeftOrNothing() throws {
        var log = LogBuilder.chain()
        log.breach()
        let row = try #require(log.chain().exposures(at: LogBuilder.time("2026-11-01")).first)
        #expect(ExposureMessageType.of(previous: nil, current: row) == .entered)
        #expect(ExposureMessageType.of(previous: row, current: nil) == .left)
        #expect(ExposureMessageType.of(previous: row, current: row) == nil)
        var paused = row
        paused.paused.toggle()
        #expect(ExposureMessageType.of(previous: row, current: paused) == .changed)
        var renamed = row
        renamed.workload = "another workload"
        #expect(ExposureMessageType.of(previous: row, current: renamed) == nil, "a field no message reports")
        var resolved = row
        resolved.resolved = true
        #expect(
            ExposureMessageType.of(previous: row, current: resolved) == .left, "a resolved incident leaves the view")
        #expect(ExposureMessageType.of(previous: resolved, current: resolved) == nil)
    }

    @Test func aMessageBodyCarriesBothRowsAndItsCause() throws {
        var log = LogBuilder.chain()
        log.breach()
        let row = try #require(log.chain().exposures(at: LogBuilder.time("2026-11-01")).first)
        let cause = MessageCause(try #require(log.events.last))
        let text = try ExposureMessage.body(
            .entered, at: LogBuilder.time("2026-11-01"), organization: row.organization, exposure: row, previous: nil,
            cause: cause)
        let document = try JSONParser.parse(Array(text.utf8))
        guard case .object(let top) = document, case .object(let data)? = top["data"],
            case .object(let causeFields)? = data["cause"]
        else {
            Issue.record("not the documented shape: \(text)")
            return
        }
        #expect(top["type"] == .string("exposure.entered"))
        #expect(data["previous"] == .null && data["organization"] == .string(row.organization.rawValue))
        #expect(causeFields["type"] == .string("BreachReported") && causeFields["position"] == .integer(cause.position))
        #expect(try EventCoding.decode(Exposure.self, from: Array((data["exposure"] ?? .null).jsonbText.utf8)) == row)
    }
}
