import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// End to end: a subscription, `custody serve` projecting and delivering, and a receiver that verifies every
/// delivery with the reference Standard Webhooks library (Python `standardwebhooks`).
@Suite struct WebhookDeliveryTests {
    /// The receiver (Tests/receiver/standard_receiver.py) in scripts/test's virtual environment.
    static func receiver(secretFile: String, failFirst: Int = 0, extra: [String] = []) async throws -> ServerProcess {
        let python = try #require(
            ProcessInfo.processInfo.environment["CUSTODY_TEST_PYTHON"], "run through scripts/test")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("receiver/standard_receiver.py").path
        return try await ServerProcess(
            executable: python, arguments: [script, secretFile, "--fail-first", String(failFirst)] + extra,
            environment: ProcessInfo.processInfo.environment, marker: "listening on")
    }

    struct Received: Equatable {
        var id: String
        var verified: Bool?
        var type: String?
        var deployment: String?
    }

    static func received(_ receiver: ServerProcess) -> [Received] {
        receiver.printed.split(separator: "\n").dropFirst().compactMap { line in
            guard case .object(let fields)? = try? JSONParser.parse(Array(line.utf8)),
                case .string(let id)? = fields["id"]
            else { return nil }
            var deployment: String?
            if case .object(let data)? = fields["data"], case .object(let row)? = data["exposure"] ?? data["previous"],
                case .string(let value)? = row["deployment"]
            {
                deployment = value
            }
            var type: String?
            if case .string(let value)? = fields["type"] { type = value }
            var verified: Bool?
            if case .bool(let value)? = fields["verified"] { verified = value }
            return Received(id: id, verified: verified, type: type, deployment: deployment)
        }
    }

    @Test func everyChangeReachesTheReceiverSignedOnceRetriedAfterFailures() async throws {
        let owner = try await ExampleScenario.registry()
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: secretFile) }
        // The receiver answers 500 to the first two deliveries: the first message is retried and arrives third.
        let receiver = try await Self.receiver(secretFile: secretFile, failFirst: 2)
        let added = try await owner.run([
            "webhook", "add", "soc", "--org", "mercy-hospital", "--url", "http://127.0.0.1:\(receiver.port)/hooks",
            "--json",
        ])
        #expect(added.status == 0, "\(added.stderr)")
        guard case .object(let fields)? = try? JSONParser.parse(Array(added.stdout.utf8)),
            case .string(let secret)? = fields["secret"]
        else {
            Issue.record("no secret: \(added.stdout)")
            return
        }
        try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(
            owner, arguments: ["--webhook-allow", "127.0.0.1/32", "--webhook-retry-base", "0.2"])
        try await ExampleScenario.breach(owner)

        // mercy-hospital's deployment on gpt-5 enters exposure; OpenAI's investigation then changes its status.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, Self.received(receiver).filter({ $0.verified == true }).count < 2 {
            try await Task.sleep(for: .milliseconds(200))
        }
        let received = Self.received(receiver)
        let verified = received.filter { $0.verified == true }
        #expect(received.allSatisfy { $0.verified != false }, "an unverifiable delivery: \(received)")
        #expect(verified.map(\.type) == ["exposure.entered", "exposure.changed"], "\(received)\n\(server.log)")
        #expect(verified.allSatisfy { $0.deployment == "mh-triage" })
        // The failures were the first message's; its retries kept its webhook-id, and nothing arrived twice verified.
        let failedIds = received.filter { $0.verified == nil }.map(\.id)
        #expect(failedIds.count == 2 && Set(failedIds) == [verified.first?.id ?? ""], "\(received)")
        #expect(Set(verified.map(\.id)).count == verified.count)

        let deliveries = try await owner.run(["webhook", "deliveries", "--org", "mercy-hospital", "--json"])
        #expect(deliveries.status == 0, "\(deliveries.stderr)")
        #expect(
            deliveries.stdout.components(separatedBy: #""state": "delivered""#).count - 1 == 2, "\(deliveries.stdout)")
        #expect(deliveries.stdout.contains(#""attempts": 3"#), "\(deliveries.stdout)")

        // A test message, on request.
        let test = try await owner.run(["webhook", "test", "soc"])
        #expect(test.status == 0, "\(test.stderr)")
        let testDeadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < testDeadline,
            !Self.received(receiver).contains(where: { $0.type == "webhook.test" })
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(Self.received(receiver).contains { $0.type == "webhook.test" && $0.verified == true })
        #expect(try await server.stop() == 0)
        _ = try await receiver.stop()
    }

    @Test func anInternalDestinationIsRefusedUnlessAllowed() async throws {
        let owner = try await ExampleScenario.registry()
        let added = try await owner.run([
            "webhook", "add", "soc", "--org", "mercy-hospital", "--url", "http://127.0.0.1:9/hooks",
        ])
        #expect(added.status == 0, "\(added.stderr)")
        let server = try await ServerProcess(owner)
        try await ExampleScenario.breach(owner)
        let deadline = ContinuousClock.now + .seconds(60)
        var listed = ""
        while ContinuousClock.now < deadline {
            listed = try await owner.run(["webhook", "deliveries", "--failed", "--json"]).stdout
            if listed.contains("internal address") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(
            listed.contains("internal address") && listed.contains(#""state": "failed""#), "\(listed)\n\(server.log)")
        #expect(try await server.stop() == 0)
        // Dead-lettered messages can be sent again.
        guard case .array(let items)? = try? JSONParser.parse(Array(listed.utf8)),
            case .object(let first)? = items.first,
            case .string(let id)? = first["id"]
        else { return }
        let again = try await owner.run(["webhook", "redeliver", id])
        #expect(again.status == 0 && again.stdout.contains(id), "\(again.stderr)")
        let pending = try await owner.run(["webhook", "deliveries", "--json"]).stdout
        #expect(pending.contains(#""state": "pending""#), "\(pending)")
    }
}
