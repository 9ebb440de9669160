import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

/// CycloneDX through the binary: VEX documents and exported inventories validated against the CycloneDX 1.6 JSON
/// schema in strict mode by the CycloneDX project's own library (Python `cyclonedx-python-lib`, installed by
/// scripts/test), BOMs applied as inventories, and export → apply recording nothing.
@Suite struct CycloneDXCLITests {
    /// A directory of this test's own, removed when `body` returns.
    func inDirectory<R>(_ body: (URL) async throws -> R) async throws -> R {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "custody-cyclonedx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory)
    }

    func write(_ text: String, _ name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// The strict CycloneDX 1.6 schema's verdict on each file: "valid NAME" or "invalid NAME: why".
    func validate(_ paths: [String]) async throws -> [String] {
        let python = try #require(
            ProcessInfo.processInfo.environment["CUSTODY_TEST_PYTHON"], "run through scripts/test")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("cyclonedx/validate.py").path
        let result = try await CLI(databaseURL: nil).run([script] + paths, binary: python)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        return result.lines
    }

    func count(_ cli: CLI) async throws -> Int { try await cli.run(["events", "--json"]).lines.count }

    /// The example, carried on as the demo does: investigations closed (confirmed, cleared), responses of several
    /// kinds, a switch away from an exposed model. `knownBefore` is a record time after the registry and before
    /// the breach was recorded.
    func incidentWithResponses() async throws -> (CLI, knownBefore: String) {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.record(
            cli,
            [
                ["provider", "add", "alibaba", "--name", "Alibaba", "--at", "2019-01-01"],
                [
                    "model", "add", "qwen-3", "--name", "Qwen 3", "--provider", "alibaba", "--open-weights", "--at",
                    "2025-04-29",
                ],
            ])
        try await Task.sleep(for: .milliseconds(1100))
        let knownBefore = Timestamp.now.description
        try await Task.sleep(for: .milliseconds(1100))
        try await ExampleScenario.breach(cli)
        try await ExampleScenario.record(
            cli,
            [
                [
                    "deploy", "mh-coding", "--org", "mercy-hospital", "--model", "gpt-5", "--workload", "billing codes",
                    "--criticality", "medium", "--at", "2025-11-01",
                ],
                [
                    "investigation", "close", "openai-inv", "--outcome", "confirmed", "--summary", "found", "--at",
                    "2026-04-20",
                ],
                [
                    "investigation", "open", "anthropic-inv", "--incident", "mercor-2026-03", "--provider", "anthropic",
                    "--at", "2026-04-02",
                ],
                [
                    "investigation", "close", "anthropic-inv", "--outcome", "cleared", "--summary", "clean", "--at",
                    "2026-04-15",
                ],
                [
                    "respond", "--deployment", "su-advising", "--incident", "mercor-2026-03", "--state", "mitigating",
                    "--owner", "AI office",
                    "--note", "answers reviewed by staff", "--at", "2026-04-21",
                ],
                [
                    "respond", "--deployment", "mh-triage", "--incident", "mercor-2026-03", "--state", "risk-accepted",
                    "--owner", "CISO",
                    "--review-by", "2026-07-01", "--at", "2026-04-22",
                ],
                [
                    "respond", "--deployment", "ca-records", "--incident", "mercor-2026-03", "--state", "not-affected",
                    "--justification", "no-sensitive-workload", "--owner", "CDO", "--at", "2026-04-23",
                ],
                ["deploy", "switch", "su-research", "--model", "qwen-3", "--at", "2026-05-01"],
            ])
        return (cli, knownBefore)
    }

    @Test func vexDocumentsAreValidCycloneDXAtEveryMoment() async throws {
        let (cli, knownBefore) = try await incidentWithResponses()
        try await inDirectory { directory in
            var paths: [String] = []
            let moments: [[String]] = [
                ["--as-of", "2026-03-01"], ["--as-of", "2026-04-02"], ["--as-of", "2026-04-25"], [],
                ["--known-at", knownBefore],
            ]
            for organization in ["state-university", "mercy-hospital", "civic-agency"] {
                for (index, moment) in moments.enumerated() {
                    let result = try await cli.run(["vex", "--org", organization] + moment)
                    #expect(result.status == 0, "\(organization) \(moment): \(result.stderr)")
                    paths.append(try write(result.stdout, "\(organization)-\(index).json", in: directory))
                }
            }
            let verdicts = try await validate(paths)
            #expect(verdicts.count == paths.count && verdicts.allSatisfy { $0.hasPrefix("valid ") }, "\(verdicts)")
        }
        // What the documents say, by the mapping table (docs/cyclonedx.md).
        func analyses(_ organization: String, _ moment: [String] = []) async throws -> [String] {
            let text = try await cli.run(["vex", "--org", organization] + moment).stdout
            guard case .object(let root) = try JSONParser.parse(Array(text.utf8)),
                case .array(let entries)? = root["vulnerabilities"]
            else { return [] }
            return entries.compactMap { entry in
                guard case .object(let fields) = entry, case .object(let analysis)? = fields["analysis"],
                    case .array(let affects)? = fields["affects"]
                else { return nil }
                let refs = affects.compactMap { value -> String? in
                    guard case .object(let ref) = value else { return nil }
                    return ref["ref"]?.text
                }
                let response: [String]
                if case .array(let values)? = analysis["response"] {
                    response = values.compactMap(\.text)
                } else {
                    response = []
                }
                return
                    ([
                        refs.joined(separator: ","), analysis["state"]?.text ?? "",
                        analysis["justification"]?.text ?? "-",
                    ] + response)
                    .joined(separator: " ")
            }
        }
        #expect(try await analyses("state-university", ["--as-of", "2026-03-01"]) == [], "before the breach")
        #expect(
            try await analyses("state-university", ["--as-of", "2026-04-02"])
                == ["deployment/su-advising in_triage -", "deployment/su-research in_triage -"])
        #expect(
            try await analyses("state-university") == [
                "deployment/su-advising exploitable - workaround_available",
                "deployment/su-research not_affected code_not_present",
            ])
        #expect(
            try await analyses("mercy-hospital") == [
                "deployment/mh-coding exploitable -", "deployment/mh-triage exploitable - will_not_fix",
            ])
        #expect(try await analyses("civic-agency") == ["deployment/ca-records not_affected requires_environment"])
        #expect(
            try await analyses("civic-agency", ["--known-at", knownBefore]) == [], "the breach was not recorded yet")
        let unknown = try await cli.run(["vex", "--org", "nobody"])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown organization 'nobody'"), "\(unknown.stderr)")
    }

    @Test func exportedInventoriesAreValidAndApplyingThemRecordsNothing() async throws {
        let (cli, _) = try await incidentWithResponses()
        try await ExampleScenario.record(
            cli,
            [
                [
                    "deploy", "mh-notes", "--org", "mercy-hospital", "--model", "llama-4", "--workload",
                    "notes, \"quoted\"", "--criticality", "low",
                ]
            ])
        try await inDirectory { directory in
            let before = try await count(cli)
            let boms = directory.appendingPathComponent("boms").path
            let exported = try await cli.run([
                "inventory", "export", "--org", "mercy-hospital", "--format", "cyclonedx", "--output", boms,
            ])
            #expect(exported.status == 0 && exported.stderr.contains("wrote 3 BOM(s)"), "\(exported.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: boms).sorted()
            #expect(files == ["mh-coding.cdx.json", "mh-notes.cdx.json", "mh-triage.cdx.json"])
            let verdicts = try await validate(files.map { boms + "/" + $0 })
            #expect(verdicts.allSatisfy { $0.hasPrefix("valid ") } && verdicts.count == 3, "\(verdicts)")
            let applied = try await cli.run(
                ["inventory", "apply", "--org", "mercy-hospital"] + files.map { boms + "/" + $0 })
            #expect(
                applied.status == 0 && applied.stdout.contains("nothing to do"), "\(applied.stdout)\(applied.stderr)")

            for format in ["yaml", "csv"] {
                let printed = try await cli.run(["inventory", "export", "--org", "mercy-hospital", "--format", format])
                #expect(printed.status == 0, "\(printed.stderr)")
                let path = try write(printed.stdout, "mercy.\(format)", in: directory)
                let again = try await cli.run(["inventory", "apply", path])
                #expect(
                    again.status == 0 && again.stdout.contains("nothing to do"),
                    "\(format): \(printed.stdout) → \(again.stdout)\(again.stderr)")
            }
            #expect(try await count(cli) == before, "export → apply recorded something")
            let needsDirectory = try await cli.run([
                "inventory", "export", "--org", "mercy-hospital", "--format", "cyclonedx",
            ])
            #expect(
                needsDirectory.status != 0 && needsDirectory.stderr.contains("--output DIRECTORY"),
                "\(needsDirectory.stderr)")
        }
    }

    static func application(_ name: String, properties: String = "[]", models: [String]) -> String {
        """
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
         "metadata": {"component": {"type": "application", "name": "\(name)", "description": "\(name) for staff", "properties": \(properties)}},
         "components": [\(models.joined(separator: ", "))]}
        """
    }

    @Test func bomsAreAppliedAsTheOrganizationsDeploymentsMatchingModelsByPurl() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.record(
            cli,
            [
                [
                    "model", "add", "llama-4-scout", "--name", "Llama 4 Scout", "--provider", "meta", "--open-weights",
                    "--purl", "pkg:huggingface/meta-llama/Llama-4-Scout-17B-16E", "--at", "2025-04-05",
                ]
            ])
        let models = try await cli.run(["models", "--json"])
        #expect(
            models.stdout.contains(#""purl": "pkg:huggingface/meta-llama/Llama-4-Scout-17B-16E""#), "\(models.stdout)")
        try await inDirectory { directory in
            let triage = try write(
                Self.application(
                    "Triage",
                    properties:
                        #"[{"name": "custody:deployment", "value": "mh-triage"}, {"name": "custody:criticality", "value": "critical"}]"#,
                    models: [#"{"type": "machine-learning-model", "name": "gpt-5"}"#]), "triage.json", in: directory)
            let assistant = try write(
                Self.application(
                    "Assistant",
                    models: [
                        #"{"type": "machine-learning-model", "name": "Scout", "purl": "pkg:huggingface/meta-llama/Llama-4-Scout-17B-16E@92f3b1"}"#,
                        #"{"type": "machine-learning-model", "name": "x", "properties": [{"name": "custody:model", "value": "claude-opus-4-5"}]}"#,
                    ]), "assistant.json", in: directory)
            let before = try await count(cli)
            let dry = try await cli.run([
                "inventory", "apply", "--org", "mercy-hospital", triage, assistant, "--dry-run", "--json",
            ])
            #expect(dry.status == 0, "\(dry.stderr)")
            guard case .object(let plan) = try JSONParser.parse(Array(dry.stdout.utf8)),
                case .array(let changes)? = plan["changes"]
            else {
                Issue.record("no plan: \(dry.stdout)")
                return
            }
            let summary = changes.compactMap { change -> String? in
                guard case .object(let fields) = change else { return nil }
                return [
                    fields["action"]?.text, fields["deployment"]?.text, fields["file"]?.text, fields["pointer"]?.text,
                ].map { $0 ?? "-" }.joined(separator: " ")
            }
            #expect(
                summary == [
                    "update mh-triage triage.json /metadata/component",
                    "deploy assistant-llama-4-scout assistant.json /components/0",
                    "deploy assistant-claude-opus-4-5 assistant.json /components/1",
                ], "\(summary)")
            #expect(try await count(cli) == before, "a dry run wrote")
            let applied = try await cli.run(["inventory", "apply", "--org", "mercy-hospital", triage, assistant])
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(try await count(cli) == before + 3)
            let again = try await cli.run(["inventory", "apply", "--org", "mercy-hospital", triage, assistant])
            #expect(again.stdout.contains("nothing to do"), "\(again.stdout)")
            // The files are the whole of the organization's deployments: leaving one out retires what it declared.
            let fewer = try await cli.run(["inventory", "apply", "--org", "mercy-hospital", triage, "--json"])
            #expect(fewer.stdout.components(separatedBy: #""action": "retire""#).count == 3, "\(fewer.stdout)")
            // One organization for all files: a YAML naming another one is refused beside a BOM.
            let yaml = try write("organization: state-university\ndeployments: []\n", "other.yaml", in: directory)
            let mixed = try await cli.run(["inventory", "apply", "--org", "mercy-hospital", triage, yaml])
            #expect(
                mixed.status == 1
                    && mixed.stderr.contains(
                        "other.yaml: organization 'state-university', not 'mercy-hospital' (--org)"),
                "\(mixed.stderr)")
        }
    }

    @Test func aBOMsMistakesAreNamedByFileAndPointerAndNothingIsWritten() async throws {
        let cli = try await ExampleScenario.registry()
        try await inDirectory { directory in
            let before = try await count(cli)
            let cases: [(String, String, String)] = [
                (
                    "purl.json",
                    Self.application(
                        "A",
                        models: [
                            #"{"type": "library", "name": "numpy"}"#,
                            #"{"type": "machine-learning-model", "name": "m", "purl": "gpt5"}"#,
                        ]),
                    "purl.json: /components/1/purl: invalid purl 'gpt5'"
                ),
                (
                    "unmatched.json",
                    Self.application(
                        "A", models: [#"{"type": "machine-learning-model", "purl": "pkg:huggingface/x/y"}"#]),
                    "unmatched.json: /components/0/purl: no registered model has the purl 'pkg:huggingface/x/y'"
                ),
                (
                    "level.json",
                    Self.application(
                        "A", properties: #"[{"name": "custody:criticality", "value": "urgent"}]"#,
                        models: [#"{"type": "machine-learning-model", "name": "gpt-5"}"#]),
                    "level.json: /metadata/component/properties/0/value: invalid criticality 'urgent'"
                ),
                (
                    "version.json",
                    #"{"bomFormat": "CycloneDX", "specVersion": "2.0", "metadata": {"component": {"name": "a"}}, "components": [{"type": "machine-learning-model", "name": "gpt-5"}]}"#,
                    "version.json: /specVersion: expected one of 1.5, 1.6"
                ),
                ("plain.json", #"{"deployments": []}"#, "plain.json: /bomFormat: missing"),
                ("broken.json", #"{"bomFormat": "CycloneDX", "#, "broken.json: not valid JSON"),
                (
                    "other.json",
                    Self.application(
                        "Other", properties: #"[{"name": "custody:deployment", "value": "su-advising"}]"#,
                        models: [#"{"type": "machine-learning-model", "name": "gpt-5"}"#]),
                    "other.json: /metadata/component: deployment 'su-advising' belongs to organization 'state-university'"
                ),
            ]
            for (name, text, message) in cases {
                let result = try await cli.run([
                    "inventory", "apply", "--org", "mercy-hospital", try write(text, name, in: directory),
                ])
                #expect(result.status == 1, "\(name) was accepted")
                #expect(result.stderr.contains(message), "\(name): \(result.stderr)")
            }
            let good = try write(
                Self.application("B", models: [#"{"type": "machine-learning-model", "name": "gpt-5"}"#]), "good.json",
                in: directory)
            let noOrganization = try await cli.run(["inventory", "apply", good])
            #expect(
                noOrganization.status == 1 && noOrganization.stderr.contains("give --org"), "\(noOrganization.stderr)")
            let badPurl = try await cli.run([
                "model", "add", "m2", "--name", "M", "--provider", "meta", "--purl", "meta/m2",
            ])
            #expect(badPurl.status == 1 && badPurl.stderr.contains("invalid purl 'meta/m2'"), "\(badPurl.stderr)")
            #expect(try await count(cli) == before, "a refused inventory or model wrote")
        }
    }
}
