import CustodyCore
import CustodyStore
import Foundation

/// The example scenario of the design notes, recorded through the binary: a university on GPT-5 and Claude, a
/// hospital on GPT-5 only, an agency on open-weight Llama 4; Mercor supplies OpenAI, Anthropic and Meta.
public enum ExampleScenario {
    public struct Failed: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public static func record(_ cli: CLI, _ commands: [[String]]) async throws {
        for arguments in commands {
            let result = try await cli.run(arguments)
            guard result.status == 0 else { throw Failed(description: "\(arguments): \(result.stderr)") }
        }
    }

    /// A fresh database holding the registry of the example (no incident yet): the facts recorded once per test
    /// run through the binary's commands, then imported into each database by one `custody import` (the same
    /// checks on another path). Nineteen processes a database made the suite's largest cost: half of its CPU went
    /// to starting `custody` processes, most of them for this fixture.
    public static func registry(on cluster: TestDatabase.Cluster = .endToEnd) async throws -> CLI {
        let cli = CLI(databaseURL: try await TestDatabase.create(on: cluster))
        try await record(cli, [["import", try await registryFile.value]])
        return cli
    }

    /// The registry's facts as import lines: what `custody events --json` printed after recording them, without
    /// what the log assigned (version, position, record time, hash), so each import records them anew.
    static let registryFile = Task<String, any Error> {
        let cli = try await recordedRegistry()
        let exported = try await cli.run(["events", "--json"])
        guard exported.status == 0 else { throw Failed(description: "events --json: \(exported.stderr)") }
        let assigned: Set<String> = ["version", "position", "recordedAt", "hash", "cursor"]
        let lines = try exported.lines.map { line -> String in
            guard case .object(var fields) = try JSONParser.parse(Array(line.utf8)) else {
                throw Failed(description: "not an object: \(line)")
            }
            for key in assigned { fields.removeValue(forKey: key) }
            return JSONValue.object(fields).jsonbText
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("example-registry-\(UUID()).jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }

    /// A fresh database with the example's registry recorded command by command, as a user would.
    public static func recordedRegistry(on cluster: TestDatabase.Cluster = .endToEnd) async throws -> CLI {
        let cli = CLI(databaseURL: try await TestDatabase.create(on: cluster))
        try await record(
            cli,
            [
                ["vendor", "add", "mercor", "--name", "Mercor", "--at", "2023-01-01"],
                ["vendor", "add", "scale-ai", "--name", "Scale AI", "--at", "2016-06-01"],
                ["provider", "add", "openai", "--name", "OpenAI", "--at", "2015-12-11"],
                ["provider", "add", "anthropic", "--name", "Anthropic", "--at", "2021-01-01"],
                ["provider", "add", "meta", "--name", "Meta", "--at", "2013-12-01"],
                ["model", "add", "gpt-5", "--name", "GPT-5", "--provider", "openai", "--at", "2025-08-07"],
                [
                    "model", "add", "claude-opus-4-5", "--name", "Claude Opus 4.5", "--provider", "anthropic", "--at",
                    "2025-11-24",
                ],
                [
                    "model", "add", "llama-4", "--name", "Llama 4", "--provider", "meta", "--open-weights", "--at",
                    "2025-04-05",
                ],
                [
                    "supply", "add", "--vendor", "mercor", "--provider", "openai", "--data", "rlhf,domain-finetuning",
                    "--at", "2024-06-01",
                ],
                [
                    "supply", "add", "--vendor", "mercor", "--provider", "anthropic", "--data", "rlhf,red-teaming",
                    "--at", "2024-09-01",
                ],
                [
                    "supply", "add", "--vendor", "mercor", "--provider", "meta", "--data", "rlhf,red-teaming", "--at",
                    "2024-03-01",
                ],
                [
                    "supply", "add", "--vendor", "scale-ai", "--provider", "openai", "--data", "instruction-following",
                    "--at", "2020-01-01",
                ],
                [
                    "org", "add", "state-university", "--name", "State University", "--sector", "education", "--at",
                    "2020-01-01",
                ],
                [
                    "org", "add", "mercy-hospital", "--name", "Mercy Hospital", "--sector", "healthcare", "--at",
                    "2020-01-01",
                ],
                [
                    "org", "add", "civic-agency", "--name", "Civic Data Agency", "--sector", "government", "--at",
                    "2020-01-01",
                ],
                [
                    "deploy", "su-advising", "--org", "state-university", "--model", "gpt-5", "--workload", "advising",
                    "--criticality", "high", "--at", "2025-09-01",
                ],
                [
                    "deploy", "su-research", "--org", "state-university", "--model", "claude-opus-4-5", "--workload",
                    "research", "--criticality", "medium", "--at", "2025-12-01",
                ],
                [
                    "deploy", "mh-triage", "--org", "mercy-hospital", "--model", "gpt-5", "--workload", "triage",
                    "--criticality", "critical", "--at", "2025-10-01",
                ],
                [
                    "deploy", "ca-records", "--org", "civic-agency", "--model", "llama-4", "--workload", "records",
                    "--criticality", "high", "--at", "2025-06-01",
                ],
            ])
        return cli
    }

    /// The Mercor breach of March 2026, Meta's pause and OpenAI's investigation.
    public static func breach(_ cli: CLI) async throws {
        try await record(
            cli,
            [
                [
                    "breach", "report", "mercor-2026-03", "--vendor", "mercor", "--severity", "high", "--summary",
                    "Mercor breached",
                    "--data", "rlhf,red-teaming,domain-finetuning", "--providers", "openai,anthropic,meta", "--at",
                    "2026-03-27",
                ],
                [
                    "pause", "--provider", "meta", "--vendor", "mercor", "--incident", "mercor-2026-03", "--at",
                    "2026-04-01",
                ],
                [
                    "investigation", "open", "openai-inv", "--incident", "mercor-2026-03", "--provider", "openai",
                    "--at", "2026-04-01",
                ],
            ])
    }
}
