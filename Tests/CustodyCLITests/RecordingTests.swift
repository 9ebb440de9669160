import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// The CLI end to end: the real binary against a real database. Serialized: each test starts many processes,
/// and two cores running dozens at once only measure the scheduler.
@Suite(.serialized) struct RecordingTests {
    /// A fresh migrated database with a small supply chain recorded through the CLI.
    func chain() async throws -> CLI {
        let cli = CLI(databaseURL: try await TestDatabase.create(on: .endToEnd))
        for arguments in [
            ["vendor", "add", "mercor", "--name", "Mercor", "--at", "2023-01-01"],
            ["provider", "add", "openai", "--name", "OpenAI", "--at", "2015-12-11"],
            ["model", "add", "gpt-5", "--name", "GPT-5", "--provider", "openai", "--at", "2025-08-07"],
            [
                "supply", "add", "--vendor", "mercor", "--provider", "openai", "--data", "rlhf", "--data",
                "domain-finetuning", "--at", "2024-06-01",
            ],
            ["org", "add", "uni", "--name", "State University", "--sector", "education"],
            [
                "deploy", "uni-advising", "--org", "uni", "--model", "gpt-5", "--workload", "advising", "--criticality",
                "high",
            ],
            [
                "breach", "report", "mercor-2026-03", "--vendor", "mercor", "--severity", "high", "--summary",
                "Contractor data exposed",
                "--data", "rlhf", "--providers", "openai", "--at", "2026-03-27", "--disclosed-at",
                "2026-03-31T12:00:00Z",
                "--source", "https://example.org/report",
            ],
            [
                "investigation", "open", "openai-mercor", "--incident", "mercor-2026-03", "--provider", "openai",
                "--at", "2026-04-01",
            ],
        ] {
            let result = try await cli.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        return cli
    }

    func eventCount(_ cli: CLI) async throws -> Int {
        try await cli.run(["events", "--json"]).lines.count
    }

    @Test func recordedFactsAreListedAndVerify() async throws {
        let cli = try await chain()
        let events = try await cli.run(["events", "--json"])
        #expect(events.status == 0, "\(events.stderr)")
        #expect(events.lines.count == 8, "\(events.stderr)")
        let parsed = try events.lines.map { try EventLine(parsing: Array($0.utf8)) }
        #expect(
            parsed.map(\.event.type) == [
                "VendorRegistered", "ProviderRegistered", "ModelRegistered", "SupplyLinkRecorded",
                "OrganizationRegistered",
                "ModelDeployed", "BreachReported", "InvestigationOpened",
            ])
        guard parsed.count == 8, case .breachReported(let breach) = parsed[6].event else {
            Issue.record("not a breach")
            return
        }
        #expect(breach.disclosedAt?.description == "2026-03-31T12:00:00Z")
        #expect(parsed[6].occurredAt.description == "2026-03-27T00:00:00Z")
        #expect(parsed[6].metadata?.actor == "cli-test")
        let verify = try await cli.run(["verify"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("log intact: 8 event(s)"))
    }

    @Test(arguments: [
        (["vendor", "add", "Mercor", "--name", "M"], "invalid vendor id 'Mercor'"),
        (["vendor", "add", "mercor", "--name", "again"], "vendor 'mercor' is already registered"),
        (["model", "add", "m2", "--name", "M", "--provider", "nobody"], "unknown provider 'nobody'"),
        (
            ["supply", "add", "--vendor", "mercor", "--provider", "openai", "--data", "rlhf,gossip"],
            "invalid data kind 'gossip'"
        ),
        (
            ["breach", "report", "b2", "--vendor", "acme", "--severity", "high", "--summary", "s"],
            "unknown vendor 'acme'"
        ),
        (
            ["breach", "report", "b2", "--vendor", "mercor", "--severity", "apocalyptic", "--summary", "s"],
            "invalid severity 'apocalyptic'"
        ),
        (
            [
                "breach", "report", "b2", "--vendor", "mercor", "--severity", "low", "--summary", "s", "--at",
                "2026-02-30",
            ], "a real calendar date"
        ),
        (
            [
                "breach", "report", "b2", "--vendor", "mercor", "--severity", "low", "--summary", "s", "--at",
                "2026-03-01T10:00:00",
            ], "add Z (UTC)"
        ),
        (
            [
                "breach", "report", "b2", "--vendor", "mercor", "--severity", "low", "--summary", "s", "--at",
                "2999-01-01",
            ], "not in the future"
        ),
        (
            ["breach", "report", "b2", "--vendor", "mercor", "--severity", "low", "--summary", "s", "--at", "soon"],
            "invalid --at 'soon'"
        ),
        (["investigation", "open", "i2", "--incident", "nope", "--provider", "openai"], "unknown incident 'nope'"),
        (["investigation", "close", "nope", "--outcome", "cleared"], "unknown investigation 'nope'"),
        (["investigation", "close", "openai-mercor", "--outcome", "maybe"], "invalid outcome 'maybe'"),
        (
            ["deploy", "d2", "--org", "uni", "--model", "gpt-9", "--workload", "w", "--criticality", "low"],
            "unknown model 'gpt-9'"
        ),
        (
            ["deploy", "d2", "--org", "uni", "--model", "gpt-5", "--workload", "w", "--criticality", "vital"],
            "invalid criticality 'vital'"
        ),
        (["resume", "--provider", "openai", "--vendor", "mercor"], "has not paused"),
        (["retire", "nope"], "unknown deployment 'nope'"),
        (["vendor", "add", "x", "--name", "M", "--event-id", "not-a-uuid"], "invalid --event-id"),
        (["vendor", "add", "x", "--name", "M", "--expect-version", "sometime"], "invalid expected version"),
    ])
    func refusedValuesExitOneNamingTheValueAndWriteNothing(arguments: [String], message: String) async throws {
        let cli = try await chain()
        let before = try await eventCount(cli)
        let result = try await cli.run(arguments)
        #expect(result.status == 1, "\(arguments)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "not one line: \(result.stderr)")
        await #expect(try eventCount(cli) == before)
    }

    @Test func closingAClosedInvestigationIsRefused() async throws {
        let cli = try await chain()
        #expect(try await cli.run(["investigation", "close", "openai-mercor", "--outcome", "cleared"]).status == 0)
        let again = try await cli.run(["investigation", "close", "openai-mercor", "--outcome", "confirmed"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("investigation 'openai-mercor' is not open"))
    }

    @Test func malformedSyntaxExitsWithTheUsageCode() async throws {
        let cli = CLI(databaseURL: try await TestDatabase.create(on: .endToEnd))
        let result = try await cli.run(["vendor", "add", "mercor"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--name"))
    }

    @Test func aRetryWithTheSameEventIdRecordsOnce() async throws {
        let cli = CLI(databaseURL: try await TestDatabase.create(on: .endToEnd))
        let id = UUID().uuidString
        let first = try await cli.run(["vendor", "add", "mercor", "--name", "Mercor", "--event-id", id])
        let second = try await cli.run(["vendor", "add", "mercor", "--name", "Mercor", "--event-id", id])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.hasPrefix("already recorded (same event id)"))
        await #expect(try eventCount(cli) == 1)
    }

    @Test func aStaleExpectedVersionIsRefusedWithTheActualVersion() async throws {
        let cli = try await chain()
        let result = try await cli.run(["investigation", "finding", "openai-mercor", "f", "--expect-version", "3"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("stream investigation-openai-mercor is at version 1, not the expected 3"))
        let fine = try await cli.run([
            "investigation", "finding", "openai-mercor", "f", "--expect-version", "1", "--json",
        ])
        #expect(fine.status == 0)
        #expect(try EventLine(parsing: Array(fine.stdout.utf8.dropLast())).stored?.version == 2)
    }

    @Test func longTextsComeFromAFileAndNULIsRefused() async throws {
        let cli = try await chain()
        let summary = String(repeating: "Contractor workspace exposed; ", count: 4000)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID()).txt").path
        try summary.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await cli.run([
            "breach", "report", "b3", "--vendor", "mercor", "--severity", "low", "--summary-file", path, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try EventLine(parsing: Array(result.stdout.utf8.dropLast()))
        guard case .breachReported(let breach) = line.event else { return }
        #expect(breach.summary == summary)
        try "bad\u{0}summary".write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try await cli.run([
            "breach", "report", "b4", "--vendor", "mercor", "--severity", "low", "--summary-file", path,
        ])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("without NUL"))
    }

    @Test func anUnmigratedDatabaseAsksForMigrate() async throws {
        let cli = CLI(databaseURL: try await TestDatabase.create(migrated: false, on: .endToEnd))
        let result = try await cli.run(["vendor", "add", "mercor", "--name", "Mercor"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("run `custody migrate`"))
        // Present views check the schema in the statement that asks whether the read models are current.
        for present in [["exposure", "--deployment", "d1"], ["deployments"]] {
            let asked = try await cli.run(present)
            #expect(asked.status == 1 && asked.stderr.contains("at version 0"), "\(present): \(asked.stderr)")
            #expect(asked.stderr.contains("run `custody migrate`"), "\(present): \(asked.stderr)")
        }
    }

    @Test func aDatabaseMigratedByANewerCustodyAsksForAnUpgrade() async throws {
        let url = try await TestDatabase.create(on: .endToEnd)
        let newer = Migrator.latestVersion + 1
        try await Database.with(url) { database in
            _ = try await database.query(
                "INSERT INTO custody_migrations (version, name) VALUES (\(newer), 'from a newer custody')")
        }
        let cli = CLI(databaseURL: url)
        for command in [["exposure", "--deployment", "d1"], ["deployments"], ["vendors"]] {
            let asked = try await cli.run(command)
            #expect(asked.status == 1, "\(command)")
            #expect(
                asked.stderr.contains("at version \(newer), newer than this custody supports"),
                "\(command): \(asked.stderr)")
        }
    }

    @Test func anInstalledBinaryMigratesWithoutTheSourceTree() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("custody-install-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let installed = directory.appendingPathComponent("custody").path
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: installed)
        var cli = CLI(databaseURL: try await TestDatabase.create(migrated: false, on: .endToEnd))
        cli.directory = directory.path
        let migrate = try await cli.run(["migrate"], binary: installed)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("applied migration(s) 1, 2"))
        #expect(try await cli.run(["vendor", "add", "mercor", "--name", "Mercor"], binary: installed).status == 0)
    }

    @Test func withoutADatabaseTheErrorSaysHowToGetOne() async throws {
        var cli = CLI(databaseURL: nil)
        cli.directory = "/"
        let result = try await cli.run(["vendor", "add", "mercor", "--name", "Mercor"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("run scripts/db start"))
    }

    @Test func anUnreachableDatabaseIsReportedAfterRetries() async throws {
        let cli = CLI(
            databaseURL: try DatabaseURL("postgres://custody@localhost/custody?host=/nonexistent-custody-socket"))
        let result = try await cli.run(["vendor", "add", "mercor", "--name", "Mercor"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("retrying"))
        // One last line that names where it looked, says what the system said in words, and what to do.
        let last = try #require(result.stderr.split(separator: "\n").last)
        #expect(
            last.contains(
                "cannot reach the database at the socket /nonexistent-custody-socket/.s.PGSQL.5432 (nothing listens there)"
            ), "\(last)")
        #expect(last.contains("scripts/db start") && !last.contains("errno") && !last.contains("descriptor"), "\(last)")
        #expect(last.filter { $0 == "(" }.count == last.filter { $0 == ")" }.count, "\(last)")
    }

    @Test func importIsAllOrNothingThroughTheCLI() async throws {
        let source = try await chain()
        let export = try await source.run(["events", "--json"]).stdout
        let cli = CLI(databaseURL: try await TestDatabase.create(on: .endToEnd))
        let bad =
            export
            + #"{"id":"6f1c1a52-0000-4000-8000-000000000009","type":"VendorRegistered","data":{"vendor":"x"},"occurredAt":"2026-01-01"}"#
            + "\n"
        let refused = try await cli.run(["import", "-"], stdin: bad)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("line 9"), "\(refused.stderr)")
        await #expect(try eventCount(cli) == 0)
        let restored = try await cli.run(["import", "-"], stdin: export)
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.hasPrefix("restored 8 event(s)"))
        #expect(try await cli.run(["verify"]).status == 0)
    }

    @Test func followPrintsAFreshlyAppendedEvent() async throws {
        let cli = try await chain()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["events", "--follow", "--json", "--stream", "vendor-appen"]
        var environment = ProcessInfo.processInfo.environment
        environment["CUSTODY_DATABASE_URL"] = cli.databaseURL?.text
        process.environment = environment
        let out = Pipe()
        let received = Received()
        out.fileHandleForReading.readabilityHandler = { handle in received.append(handle.availableData) }
        process.standardOutput = out
        try process.run()
        defer { process.terminate() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await cli.run(["vendor", "add", "appen", "--name", "Appen"]).status == 0)
        let deadline = ContinuousClock.now + .seconds(15)
        while !received.text.contains("\n"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let first = try #require(received.text.split(separator: "\n").first)
        let event = try EventLine(parsing: Array(first.utf8))
        #expect(event.stream.description == "vendor-appen")
    }
}

/// Output of a running process, collected as it arrives.
final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
