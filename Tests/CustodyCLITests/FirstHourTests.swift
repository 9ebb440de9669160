import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

/// What a new user meets first: tables that fit their terminal and are whole when piped, and a suggestion for a
/// mistyped command.
@Suite struct FirstHourTests {
    @Test func tablesFitTheTerminalAndAreWholeWhenPiped() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.breach(cli)
        let question = ["exposure", "--incident", "mercor-2026-03"]
        let piped = try await cli.run(question)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(!piped.stdout.contains("…") && piped.stdout.contains("mercor-2026-03"), "\(piped.stdout)")
        let narrow = try await cli.runInTerminal(question, columns: 100)
        #expect(narrow.status == 0)
        let lines = narrow.stdout.split(separator: "\n").filter { $0.contains("  ") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.count <= 100 }, "\(narrow.stdout)")
        #expect(
            narrow.stdout.contains("…"), "nothing was cut to fit 100 columns (the table is 121 wide): \(narrow.stdout)")
        let wide = try await cli.runInTerminal(question, columns: 300)
        #expect(!wide.stdout.contains("…"), "\(wide.stdout)")
        let whole = try await cli.runInTerminal(question + ["--wide"], columns: 100)
        #expect(!whole.stdout.contains("…") && whole.stdout.contains("mercor-2026-03"), "\(whole.stdout)")
    }

    @Test func aMistypedCommandGetsASuggestion() async throws {
        let cli = CLI(databaseURL: nil)
        let typo = try await cli.run(["depoly", "x"])
        #expect(typo.status != 0)
        #expect(typo.stderr.contains("unknown command 'depoly'; did you mean 'deploy'?"), "\(typo.stderr)")
        let nested = try await cli.run(["investigation", "opne", "x"])
        #expect(nested.stderr.contains("unknown command 'opne'; did you mean 'open'?"), "\(nested.stderr)")
        let nothingClose = try await cli.run(["frobnicate"])
        #expect(
            nothingClose.stderr.contains("unknown command 'frobnicate' (`custody --help` lists them)"),
            "\(nothingClose.stderr)")
        // A default subcommand's argument is not a typo.
        let deploy = try await cli.run(["deploy", "d1", "--help"])
        #expect(deploy.status == 0 && !deploy.stderr.contains("unknown command"), "\(deploy.stderr)")
    }

    /// Each refusal names what was wrong and what to do, in one line, without the top-level usage.
    @Test func refusalsSayWhatToDo() async throws {
        let cli = try await ExampleScenario.registry()
        let option = try await cli.run(["exposure", "--organization", "mercy-hospital"])
        #expect(option.stderr.contains("unknown option '--organization'; did you mean --org?"), "\(option.stderr)")
        let summary = try await cli.run(["breach", "report", "df-2", "--vendor", "mercor", "--severity", "high"])
        #expect(summary.status == 1)
        #expect(
            summary.stderr.contains("a breach needs a summary: give --summary TEXT or --summary-file FILE"),
            "\(summary.stderr)")
        #expect(!summary.stderr.contains("Usage: custody <subcommand>"), "\(summary.stderr)")
        try await ExampleScenario.breach(cli)
        let unjustified = try await cli.run([
            "respond", "--deployment", "mh-triage", "--incident", "mercor-2026-03", "--state", "not-affected",
            "--owner", "ciso",
        ])
        #expect(
            unjustified.stderr.contains("the state not-affected needs a justification (--justification): one of"),
            "\(unjustified.stderr)")
        let early = try await cli.run(["exposure", "--org", "mercy-hospital", "--known-at", "2020-01-01"])
        #expect(early.status == 1)
        #expect(
            early.stderr.contains(
                "organization 'mercy-hospital' was not yet recorded at 2020-01-01T00:00:00Z (--known-at); the log has it from"
            ), "\(early.stderr)")
        let unknown = try await cli.run(["exposure", "--org", "nobody", "--known-at", "2020-01-01"])
        #expect(unknown.stderr.contains("unknown organization 'nobody'"), "\(unknown.stderr)")
    }

    /// An inventory's mistakes are all named, each with its line, and nothing is recorded.
    @Test func anInventoryNamesEveryMistakeAtOnce() async throws {
        let cli = try await ExampleScenario.registry()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "custody-inventory-\(UUID().uuidString).csv"
        ).path
        try """
        organization,id,model,workload,criticality
        mercy-hospital,mh-triage,gpt-5,triage,extreme
        mercy-hospital,Bad_Id,gpt-5,notes,low
        mercy-hospital,mh-notes,gpt-5,notes,low

        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = try await cli.run(["events", "--json"]).lines.count
        let result = try await cli.run(["inventory", "apply", path])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(":2: invalid criticality 'extreme'")
                && result.stderr.contains(":3: invalid deployment id 'Bad_Id'"),
            "\(result.stderr)")
        #expect(try await cli.run(["events", "--json"]).lines.count == before)
    }
}
