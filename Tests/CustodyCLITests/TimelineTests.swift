import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// Facts that could not have happened at their time are refused on every path (a command, an import, an
/// inventory), naming both facts and both times, and nothing is written (docs/rules.md).
@Suite struct TimelineTests {
    /// Events stored, committed or not yet visible to readers (other suites' transactions hold the horizon back).
    func events(_ cli: CLI) async throws -> Int {
        guard let url = cli.databaseURL else { return -1 }
        return try await Database.with(url) { database in
            for try await count in try await database.query("SELECT count(*) FROM custody_events").decode(Int.self) {
                return count
            }
            return 0
        }
    }

    @Test func everyCommandRefusesWhatCouldNotHaveHappenedAndWritesNothing() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.breach(cli)
        let refusals: [([String], String)] = [
            (
                ["retire", "mh-triage", "--at", "2025-01-01"],
                "deployment 'mh-triage' was made at 2025-10-01T00:00:00Z; it cannot be retired at 2025-01-01T00:00:00Z"
            ),
            (
                ["investigation", "close", "openai-inv", "--outcome", "cleared", "--at", "2026-03-01"],
                "investigation 'openai-inv' was opened at 2026-04-01T00:00:00Z; it cannot be closed at 2026-03-01T00:00:00Z"
            ),
            (
                ["incident", "resolve", "mercor-2026-03", "--at", "2026-03-01"],
                "breach 'mercor-2026-03' happened at 2026-03-27T00:00:00Z; it cannot be resolved at 2026-03-01T00:00:00Z"
            ),
            (
                [
                    "deploy", "early", "--org", "state-university", "--model", "gpt-5", "--workload", "w",
                    "--criticality", "low", "--at", "2025-01-01",
                ],
                "model 'gpt-5' was registered at 2025-08-07T00:00:00Z; deployment 'early' cannot run it at 2025-01-01T00:00:00Z"
            ),
            (
                ["model", "add", "old", "--name", "Old", "--provider", "anthropic", "--at", "2020-01-01"],
                "provider 'anthropic' was registered at 2021-01-01T00:00:00Z; model 'old' cannot be registered at 2020-01-01T00:00:00Z"
            ),
            (
                ["supply", "end", "--vendor", "mercor", "--provider", "openai", "--at", "2024-01-01"],
                "the supply link from vendor 'mercor' to provider 'openai' began at 2024-06-01T00:00:00Z; it cannot end at 2024-01-01T00:00:00Z"
            ),
            (
                ["resume", "--provider", "meta", "--vendor", "mercor", "--at", "2026-03-01"],
                "provider 'meta' paused vendor 'mercor' at 2026-04-01T00:00:00Z; it cannot resume at 2026-03-01T00:00:00Z"
            ),
            (
                [
                    "investigation", "open", "early-inv", "--incident", "mercor-2026-03", "--provider", "openai",
                    "--at", "2026-03-01",
                ],
                "breach 'mercor-2026-03' happened at 2026-03-27T00:00:00Z; investigation 'early-inv' cannot be opened at 2026-03-01T00:00:00Z"
            ),
            (["vendor", "add", "ancient", "--name", "Ancient", "--at", "0000-01-01"], "a time in the years 1 to 9999"),
            (
                ["supply", "add", "--vendor", "mercor", "--provider", "meta", "--data", "rlhf", "--at", "2022-01-01"],
                "vendor 'mercor' was registered at 2023-01-01T00:00:00Z; a supply link from vendor 'mercor' to provider 'meta' cannot begin at 2022-01-01T00:00:00Z"
            ),
            (
                ["investigation", "finding", "openai-inv", "early", "--at", "2026-03-30"],
                "investigation 'openai-inv' was opened at 2026-04-01T00:00:00Z; a finding in it cannot be recorded at 2026-03-30T00:00:00Z"
            ),
            (
                ["deploy", "switch", "su-advising", "--model", "llama-4", "--at", "2025-08-15"],
                "deployment 'su-advising' was made at 2025-09-01T00:00:00Z; it cannot be switched at 2025-08-15T00:00:00Z"
            ),
        ]
        let before = try await events(cli)
        for (arguments, message) in refusals {
            let result = try await cli.run(arguments)
            #expect(result.status != 0, "\(arguments) was accepted")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        #expect(try await events(cli) == before, "a refused fact was written")
        // The same facts at consistent times, logged late, are accepted.
        let close = try await cli.run([
            "investigation", "close", "openai-inv", "--outcome", "cleared", "--at", "2026-04-20",
        ])
        #expect(close.status == 0, "\(close.stderr)")
        #expect(try await cli.run(["retire", "mh-triage", "--at", "2026-06-01"]).status == 0)
        // What the retirement bug let through: afterwards the deployment is retired, as every command says.
        #expect(try await cli.run(["deployments", "--org", "mercy-hospital"]).stdout.contains("retired"))
    }

    @Test func anImportIsCheckedLineByLineAndWritesNothingWhenALineIsRefused() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.breach(cli)
        let before = try await events(cli)
        let lines = [
            #"{"id":"\#(UUID().uuidString)","type":"InvestigationClosed","data":{"investigation":"openai-inv","outcome":"cleared"},"occurredAt":"2026-04-20T00:00:00Z"}"#,
            #"{"id":"\#(UUID().uuidString)","type":"VendorRegistered","data":{"vendor":"mercor","name":"Mercor again"},"occurredAt":"2026-04-21T00:00:00Z"}"#,
        ]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("custody-\(UUID().uuidString).jsonl")
            .path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await cli.run(["import", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("line 2: vendor 'mercor' is already registered"), "\(result.stderr)")
        #expect(try await events(cli) == before)

        // A response where no exposure exists at its time: the deployment is made after it.
        let response = [
            #"{"id":"\#(UUID().uuidString)","type":"ModelDeployed","data":{"deployment":"late-d","organization":"state-university","model":"gpt-5","workload":"w","criticality":"low"},"occurredAt":"2026-05-01T00:00:00Z"}"#,
            #"{"id":"\#(UUID().uuidString)","type":"ExposureResponseRecorded","data":{"organization":"state-university","incident":"mercor-2026-03","deployment":"late-d","state":"acknowledged","owner":"ciso"},"occurredAt":"2026-04-20T00:00:00Z"}"#,
        ]
        try (response.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let responding = try await cli.run(["import", path])
        #expect(
            responding.stderr.contains(
                "line 2: deployment 'late-d' is not exposed to incident 'mercor-2026-03' at 2026-04-20T00:00:00Z: nothing to respond to"
            ),
            "\(responding.stderr)")
        #expect(try await events(cli) == before)

        let unknown =
            #"{"id":"\#(UUID().uuidString)","type":"InvestigationClosed","data":{"investigation":"nobody","outcome":"cleared"},"occurredAt":"2026-04-20T00:00:00Z"}"#
        try (unknown + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let second = try await cli.run(["import", path])
        #expect(second.stderr.contains("line 1: unknown investigation 'nobody'"), "\(second.stderr)")
        #expect(try await events(cli) == before)
    }

    @Test func anInventoryIsCheckedAgainstTheTimeline() async throws {
        let cli = try await ExampleScenario.registry()
        // An organization registered a few seconds ahead (facts may be stamped up to 60 s in the future): a
        // deployment recorded now would come before it.
        let soon = Timestamp.now.adding(seconds: 45).description
        #expect(
            try await cli.run(["org", "add", "late-org", "--name", "Late", "--sector", "education", "--at", soon])
                .status == 0)
        let before = try await events(cli)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("custody-\(UUID().uuidString).yaml")
            .path
        try "organization: late-org\ndeployments:\n  - {id: late-a, model: gpt-5, workload: w, criticality: low}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await cli.run(["inventory", "apply", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("late-org"), "\(result.stderr)")
        #expect(try await events(cli) == before)
    }
}
