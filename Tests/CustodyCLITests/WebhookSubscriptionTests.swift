import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// Subscriptions are facts of the log, recorded as the writer; their secrets are not, and only the serving role
/// reads them (schema/016).
@Suite struct WebhookSubscriptionTests {
    @Test func aSubscriptionIsAFactAndItsSecretStaysOutOfTheLog() async throws {
        let owner = try await ExampleScenario.registry()
        let writer = try owner.role("custody_writer")
        let added = try await writer.run([
            "webhook", "add", "soc", "--org", "mercy-hospital", "--url", "http://127.0.0.1:9/hooks",
            "--events", "exposure.entered,exposure.left", "--overdue-after", "72h", "--json",
        ])
        #expect(added.status == 0, "\(added.stderr)")
        let document = try JSONParser.parse(Array(added.stdout.utf8))
        guard case .object(let fields) = document, case .string(let secret)? = fields["secret"] else {
            Issue.record("no secret in \(added.stdout)")
            return
        }
        #expect(secret.hasPrefix("whsec_") && (try? WebhookSecret(parsing: secret)) != nil)
        #expect(fields["overdueAfterSeconds"] == .integer(259_200))

        let listed = try await writer.run(["webhook", "list", "--org", "mercy-hospital", "--json"])
        #expect(listed.status == 0 && listed.stdout.contains(#""id": "soc""#), "\(listed.stdout)\(listed.stderr)")
        #expect(!listed.stdout.contains(secret) && !listed.stdout.contains("whsec_"))
        let exported = try await owner.run(["events", "--json"])
        #expect(exported.stdout.contains("WebhookSubscribed") && !exported.stdout.contains(String(secret.dropFirst(6))))

        // Only the serving role reads secrets; the writer that stored one cannot read it back.
        let url = try #require(owner.databaseURL)
        let readAsApp = try url.role("custody_app")
        let stored = try await Database.with(readAsApp) { database in
            try await EventStore(database).signingSecrets(of: try Slug("soc"))
        }
        #expect(stored.map(\.description) == [secret])
        for role in ["custody_writer", "custody_reader"] {
            let other = try url.role(role)
            await #expect(throws: (any Error).self, "\(role) read a secret") {
                try await Database.with(other) { database in
                    try await EventStore(database).signingSecrets(of: try Slug("soc"))
                }
            }
        }

        // Rotation: a new secret, the old one still signing beside it.
        let rotated = try await writer.run(["webhook", "rotate", "soc", "--json"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let both = try await Database.with(readAsApp) { database in
            try await EventStore(database).signingSecrets(of: try Slug("soc"))
        }
        #expect(both.count == 2 && both.last?.description == secret && both.first?.description != secret)

        let removed = try await writer.run(["webhook", "remove", "soc"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let after = try await writer.run(["webhook", "list"])
        #expect(after.stdout.contains("removed"), "\(after.stdout)")
        let again = try await writer.run(["webhook", "remove", "soc"])
        #expect(again.status == 1 && again.stderr.contains("already removed"), "\(again.stderr)")
        let late = try await writer.run(["webhook", "rotate", "soc"])
        #expect(late.status == 1 && late.stderr.contains("was removed"), "\(late.stderr)")
    }

    @Test(arguments: [
        (["--org", "mercy-hospital", "--url", "ftp://example.org/x"], "invalid webhook URL"),
        (["--org", "mercy-hospital", "--url", "https://user:pw@example.org/x"], "invalid webhook URL"),
        (["--org", "nobody", "--url", "https://example.org/x"], "unknown organization 'nobody'"),
        (
            ["--org", "mercy-hospital", "--url", "https://example.org/x", "--events", "exposure.gone"],
            "invalid message type"
        ),
        (
            ["--org", "mercy-hospital", "--url", "https://example.org/x", "--overdue-after", "3 days"],
            "invalid --overdue-after"
        ),
    ])
    func aBadSubscriptionIsRefusedAndNothingIsWritten(arguments: [String], message: String) async throws {
        let owner = try await ExampleScenario.registry()
        let refused = try await owner.run(["webhook", "add", "soc"] + arguments)
        #expect(refused.status == 1 && refused.stderr.contains(message), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        let listed = try await owner.run(["webhook", "list", "--json"])
        #expect(listed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(listed.stdout)")
        let url = try #require(owner.databaseURL)
        let secrets = try await Database.with(url) { database in
            var count = 0
            for try await n in try await database.query("SELECT count(*)::int FROM custody_webhook_secrets").decode(
                Int.self)
            { count = n }
            return count
        }
        #expect(secrets == 0)
    }
}
