import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// Nothing committed is lost on the way to a receiver: the deliverer killed mid-delivery, the projector killed
/// and restarted, the receiver down until the killed delivery has failed against it again. Every expected message
/// arrives at least once and verifies; a repeat carries the same webhook-id; a subscription's messages first arrive
/// in the order they were committed.
@Suite struct WebhookFaultTests {
    @Test func killedDeliverersAndProjectorsAndADownReceiverLoseNothing() async throws {
        let owner = try await ExampleScenario.registry()
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: secretFile) }
        // The receiver holds its first verified answer for 3 s: the deliverer is killed while it waits.
        var receiver = try await WebhookDeliveryTests.receiver(secretFile: secretFile, extra: ["--slow-first", "1"])
        let port = receiver.port
        let added = try await owner.run([
            "webhook", "add", "soc", "--org", "mercy-hospital", "--url", "http://127.0.0.1:\(port)/hooks", "--json",
        ])
        guard case .object(let fields)? = try? JSONParser.parse(Array(added.stdout.utf8)),
            case .string(let secret)? = fields["secret"]
        else {
            Issue.record("no secret: \(added.stdout)\(added.stderr)")
            return
        }
        try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        let deliver = [
            "--webhook-allow", "127.0.0.1/32", "--webhook-retry-base", "0.5", "--webhook-retry-max", "2",
            "--webhook-timeout", "1",
        ]
        // The projector runs in a server that does not deliver (`serve --no-notifier` leads the projection).
        let projector = try await ServerProcess(owner, arguments: ["--no-notifier"])
        var notifier = try await ServerProcess(
            owner, arguments: deliver, command: ["notify", "run"], marker: "delivering")

        try await ExampleScenario.breach(owner)
        // The first message is being answered slowly: kill its deliverer mid-delivery, and the projector too.
        try await Self.until(seconds: 60, "the first delivery") {
            WebhookDeliveryTests.received(receiver).contains { $0.verified == true }
        }
        kill(notifier.process.processIdentifier, SIGKILL)
        kill(projector.process.processIdentifier, SIGKILL)
        _ = try await notifier.stop()
        _ = try await projector.stop()
        let firstSeen = WebhookDeliveryTests.received(receiver)
        _ = try await receiver.stop()

        // While the receiver is down: more facts, a new projector and a new deliverer.
        try await ExampleScenario.record(
            owner,
            [
                ["investigation", "close", "openai-inv", "--outcome", "confirmed", "--at", "2026-04-20"],
                [
                    "respond", "--incident", "mercor-2026-03", "--deployment", "mh-triage",
                    "--state", "mitigating", "--owner", "ciso", "--at", "2026-04-21",
                ],
            ])
        let restarted = try await ServerProcess(owner, arguments: ["--no-notifier"])
        notifier = try await ServerProcess(owner, arguments: deliver, command: ["notify", "run"], marker: "delivering")
        // The receiver stays down until the new deliverer has taken the killed delivery again (its lease ran out)
        // and failed against the closed port more than once: messages go out in order, so the rest wait behind it.
        try await Self.until(seconds: 60, "failed attempts while the receiver is down") {
            try await Self.headAttempts(owner) >= 4
        }
        receiver = try await WebhookDeliveryTests.receiver(secretFile: secretFile, extra: ["--port", String(port)])

        // Committed, in order: the row entering, then its changes. How many changes depends on how the projector's
        // pages fell (two facts in one page are one change), but the last message says the final state.
        let expected = try await Self.outbox(owner)
        let last = try await Self.lastBody(owner)
        #expect(
            expected.count >= 2 && last.contains(#""status": "confirmed""#) && last.contains(#""state": "mitigating""#),
            "\(expected) \(last)")
        // Every message, and the killed one a second time (it arrived before its deliverer died, so the first
        // arrivals alone can be complete before its repeat comes).
        try await Self.until(seconds: 120, "every message, and the killed one again") {
            let verified = (firstSeen + WebhookDeliveryTests.received(receiver)).filter { $0.verified == true }
            return Set(expected).isSubset(of: Set(verified.map(\.id))) && verified.count > expected.count
        }
        let all = firstSeen + WebhookDeliveryTests.received(receiver)
        #expect(all.allSatisfy { $0.verified != false }, "an unverifiable delivery: \(all)")
        #expect(Set(all.map(\.id)).isSubset(of: Set(expected)), "a message nobody committed: \(all)")
        var firstArrivals: [String] = []
        for item in all where item.verified == true && !firstArrivals.contains(item.id) {
            firstArrivals.append(item.id)
        }
        #expect(firstArrivals == expected, "order per subscription")
        #expect(all.filter { $0.verified == true }.count > expected.count, "the killed delivery was repeated")
        _ = try await notifier.stop()
        _ = try await restarted.stop()
        _ = try await receiver.stop()
    }

    /// The message ids of the outbox, in the order their changes were committed.
    static func outbox(_ owner: CLI) async throws -> [String] {
        let url = try #require(owner.databaseURL)
        return try await Database.with(url) { database in
            var ids: [String] = []
            for try await id in try await database.query("SELECT message_id FROM custody_webhook_outbox ORDER BY id")
                .decode(String.self)
            {
                ids.append(id)
            }
            return ids
        }
    }

    /// How many times the oldest message not yet delivered has been leased (each lease is one attempt).
    static func headAttempts(_ owner: CLI) async throws -> Int {
        let url = try #require(owner.databaseURL)
        return try await Database.with(url) { database in
            for try await attempts in try await database.query(
                """
                SELECT attempts FROM custody_webhook_outbox WHERE delivered_at IS NULL AND dead_at IS NULL
                ORDER BY id LIMIT 1
                """
            ).decode(Int32.self) { return Int(attempts) }
            return 0
        }
    }

    static func lastBody(_ owner: CLI) async throws -> String {
        let url = try #require(owner.databaseURL)
        return try await Database.with(url) { database in
            for try await body in try await database.query(
                "SELECT body FROM custody_webhook_outbox ORDER BY id DESC LIMIT 1"
            ).decode(String.self) { return body }
            return ""
        }
    }

    static func until(seconds: Int, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        // The condition is asked once more after the deadline (a task kept waiting past it may find it true).
        while true {
            if try await condition() { return }
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("waited \(seconds) s for \(what)")
    }
}
