import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// The deploying organization's side: responses, switches, updates, corrections, what-if and concentration.
@Suite(.serialized) struct OrganizationSideTests {
    func organization(_ cli: CLI, _ id: String, _ extra: [String] = []) async throws -> OrganizationExposure {
        let result = try await cli.run(["exposure", "--org", id, "--json"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return try EventCoding.decode(OrganizationExposure.self, from: Data(result.stdout.utf8))
    }

    func row(_ document: OrganizationExposure, _ deployment: String) -> Exposure? {
        document.exposures.first { $0.deployment.rawValue == deployment }
    }

    func respond(_ cli: CLI, _ deployment: String, _ state: String, _ extra: [String] = []) async throws -> CLI.Result {
        try await cli.run(
            [
                "respond", "--deployment", deployment, "--incident", "mercor-2026-03", "--state", state, "--owner",
                "AI governance",
            ] + extra)
    }

    @Test func eachResponseStateIsRecordedAndValidated() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.breach(cli)
        await #expect(try organization(cli, "state-university").summary.needsResponse == 2)
        await #expect(try respond(cli, "su-advising", "acknowledged", ["--at", "2026-04-03"]).status == 0)
        var university = try await organization(cli, "state-university")
        #expect(row(university, "su-advising")?.response?.state == .acknowledged)
        #expect(row(university, "su-advising")?.response?.owner == "AI governance")
        #expect(row(university, "su-research")?.response == nil)
        #expect(university.summary.needsResponse == 1)
        #expect(university.summary.oldestUnanswered == row(university, "su-research")?.since)
        for (state, extra) in [
            ("mitigating", ["--note", "moved advising prompts off fine-tuned endpoints"]), ("mitigated", []),
            ("risk-accepted", ["--review-by", "2026-09-01"]),
            ("not-affected", ["--justification", "no-sensitive-workload"]),
        ] {
            let result = try await respond(cli, "su-research", state, extra)
            #expect(result.status == 0, "\(state): \(result.stderr)")
            await #expect(
                row(try organization(cli, "state-university"), "su-research")?.response?.state.rawValue == state)
        }
        university = try await organization(cli, "state-university")
        #expect(university.summary.needsResponse == 0)
        #expect(university.summary.oldestUnanswered == nil)
        #expect(row(university, "su-research")?.response?.justification == .noSensitiveWorkload)
        // The response shows where the exposure is, as of a time before it was given too: not at all.
        await #expect(
            row(try organization(cli, "state-university", ["--as-of", "2026-04-02"]), "su-advising")?.response == nil)

        let refusals: [([String], String)] = [
            (["not-affected"], "justification"),
            (["acknowledged", "--justification", "no-sensitive-workload"], "only with the state not-affected"),
            (["mitigating", "--review-by", "2026-09-01"], "only with the state risk-accepted"),
            (["fixed"], "invalid response state 'fixed'"),
            (["acknowledged", "--at", "2026-03-01"], "is not exposed to incident 'mercor-2026-03'"),
        ]
        let before = try await cli.run(["events", "--json"]).lines.count
        for (arguments, message) in refusals {
            let result = try await respond(cli, "su-advising", arguments[0], Array(arguments.dropFirst()))
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let unknown = try await respond(cli, "nobody", "acknowledged")
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown deployment 'nobody'"))
        let ownerless = try await cli.run([
            "respond", "--deployment", "su-advising", "--incident", "mercor-2026-03", "--state", "acknowledged",
            "--owner", " ",
        ])
        #expect(ownerless.status == 1 && ownerless.stderr.contains("owner"))
        #expect(try await cli.run(["events", "--json"]).lines.count == before, "a refused response wrote something")
    }

    @Test func aProviderScopedResponseShowsOnEveryRow() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.record(
            cli,
            [
                [
                    "deploy", "mh-coding", "--org", "mercy-hospital", "--model", "gpt-5", "--workload", "billing",
                    "--criticality", "medium", "--at", "2025-10-15",
                ]
            ])
        try await ExampleScenario.breach(cli)
        let result = try await respond(
            cli, "mh-triage", "not-affected",
            ["--scope", "provider", "--justification", "provider-confirmed-unaffected"])
        #expect(result.status == 0, "\(result.stderr)")
        var hospital = try await organization(cli, "mercy-hospital")
        #expect(hospital.exposures.count == 2)
        #expect(
            hospital.exposures.allSatisfy { $0.response?.scope == "provider" && $0.response?.state == .notAffected })
        #expect(hospital.summary.needsResponse == 0)
        // One deployment's own later answer overrides the shared one on its row only.
        await #expect(try respond(cli, "mh-coding", "mitigating").status == 0)
        hospital = try await organization(cli, "mercy-hospital")
        #expect(row(hospital, "mh-coding")?.response?.state == .mitigating)
        #expect(row(hospital, "mh-triage")?.response?.scope == "provider")
        // The university's rows on the same provider are not the hospital's analysis.
        await #expect(row(try organization(cli, "state-university"), "su-advising")?.response == nil)
    }

    @Test func thePostmortemGivesTimeToAcknowledgeAndToMitigate() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.breach(cli)
        await #expect(try respond(cli, "su-advising", "acknowledged", ["--at", "2026-04-03"]).status == 0)
        await #expect(try respond(cli, "su-advising", "mitigated", ["--at", "2026-04-10"]).status == 0)
        let result = try await cli.run(["postmortem", "mercor-2026-03", "--json"])
        let postmortem = try EventCoding.decode(Postmortem.self, from: Data(result.stdout.utf8))
        let window = try #require(postmortem.windows.first { $0.deployment.rawValue == "su-advising" })
        #expect(window.acknowledgedAfterSeconds == Int64(7 * 86_400))
        #expect(window.mitigatedAfterSeconds == Int64(14 * 86_400))
        #expect(postmortem.windows.first { $0.deployment.rawValue == "mh-triage" }?.acknowledgedAfterSeconds == nil)
        let markdown = try await cli.run(["postmortem", "mercor-2026-03"]).stdout
        #expect(markdown.contains("| 7d 0h | 14d 0h |"))
        #expect(markdown.contains("state-university responded for deployment su-advising: mitigated"))
    }

    @Test func aSwitchClosesOneExposureWindowAndOpensAnother() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.record(
            cli,
            [
                ["provider", "add", "mistral", "--name", "Mistral", "--at", "2023-01-01"],
                [
                    "model", "add", "mistral-large", "--name", "Mistral Large", "--provider", "mistral", "--at",
                    "2025-01-01",
                ],
            ])
        try await ExampleScenario.breach(cli)
        try await ExampleScenario.record(
            cli, [["deploy", "switch", "su-research", "--model", "mistral-large", "--at", "2026-04-05"]])
        await #expect(
            row(try organization(cli, "state-university", ["--as-of", "2026-04-02"]), "su-research")?.provider.rawValue
                == "anthropic")
        await #expect(row(try organization(cli, "state-university", ["--as-of", "2026-04-06"]), "su-research") == nil)
        // Back onto an exposed model: a new exposure, beginning at the switch.
        try await ExampleScenario.record(
            cli, [["deploy", "switch", "su-research", "--model", "gpt-5", "--at", "2026-04-07"]])
        let back = try await #require(row(try organization(cli, "state-university"), "su-research"))
        #expect(back.model.rawValue == "gpt-5" && back.since.description == "2026-04-07T00:00:00Z")
        let postmortem = try EventCoding.decode(
            Postmortem.self, from: Data(try await cli.run(["postmortem", "mercor-2026-03", "--json"]).stdout.utf8))
        let windows = postmortem.windows.filter { $0.deployment.rawValue == "su-research" }
        #expect(windows.first?.to?.description == "2026-04-05T00:00:00Z")

        let same = try await cli.run(["deploy", "switch", "su-research", "--model", "gpt-5"])
        #expect(same.status == 1 && same.stderr.contains("already runs model 'gpt-5'"))
        let unknown = try await cli.run(["deploy", "switch", "su-research", "--model", "nothing"])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown model 'nothing'"))
        try await ExampleScenario.record(cli, [["retire", "ca-records"]])
        let retired = try await cli.run(["deploy", "switch", "ca-records", "--model", "gpt-5"])
        #expect(retired.status == 1 && retired.stderr.contains("is retired"))
        // The short form still deploys.
        try await ExampleScenario.record(
            cli,
            [
                [
                    "deploy", "su-new", "--org", "state-university", "--model", "gpt-5", "--workload", "x",
                    "--criticality", "low",
                ]
            ])
    }

    @Test func anUpdateChangesTheRowsCriticality() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.breach(cli)
        try await ExampleScenario.record(
            cli, [["deploy", "update", "su-research", "--criticality", "critical", "--workload", "grant review"]])
        let research = try await #require(row(try organization(cli, "state-university"), "su-research"))
        #expect(research.criticality == .critical && research.workload == "grant review")
        #expect(research.since.description == "2026-03-27T00:00:00Z", "an update must not restart the exposure")
        let empty = try await cli.run(["deploy", "update", "su-research"])
        #expect(empty.status == 1 && empty.stderr.contains("must change the workload or the criticality"))
    }

    @Test func aRetractedLinkRemovesExposureExceptUnderAnEarlierKnownAt() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.breach(cli)
        let believed = Timestamp.now
        try await Task.sleep(for: .milliseconds(20))
        try await ExampleScenario.record(
            cli,
            [
                [
                    "supply", "retract", "--vendor", "mercor", "--provider", "meta", "--reason",
                    "Meta was never a Mercor client",
                ]
            ])
        await #expect(try organization(cli, "civic-agency").exposures.isEmpty)
        await #expect(try organization(cli, "civic-agency", ["--as-of", "2026-04-02"]).exposures.isEmpty)
        await #expect(
            row(try organization(cli, "civic-agency", ["--known-at", believed.description]), "ca-records") != nil)
        let again = try await cli.run([
            "supply", "retract", "--vendor", "mercor", "--provider", "meta", "--reason", "twice",
        ])
        #expect(again.status == 1 && again.stderr.contains("no supply link"))
    }

    @Test func whatIfEqualsRecordingTheBreachAndLooking() async throws {
        let cli = try await ExampleScenario.registry()
        let before = try await cli.run(["events", "--json"]).lines.count
        let asked = try await cli.run(["whatif", "--vendor", "mercor", "--data", "rlhf", "--json"])
        #expect(asked.status == 0, "\(asked.stderr)")
        let hypothetical = try EventCoding.decode(ExposureList.self, from: Data(asked.stdout.utf8))
        #expect(try await cli.run(["events", "--json"]).lines.count == before, "what-if wrote to the log")
        #expect(!hypothetical.exposures.isEmpty)
        try await ExampleScenario.record(
            cli,
            [
                [
                    "breach", "report", "real", "--vendor", "mercor", "--data", "rlhf", "--severity", "high",
                    "--summary", "s",
                ]
            ])
        let recorded = try EventCoding.decode(
            ExposureList.self, from: Data(try await cli.run(["exposure", "--incident", "real", "--json"]).stdout.utf8))
        func shape(_ rows: [Exposure]) -> [String] {
            rows.map {
                "\($0.organization)/\($0.deployment)/\($0.model)/\($0.provider)/\($0.vendor)/\($0.status)/\($0.severity)/\($0.dataKinds)"
            }
        }
        #expect(shape(hypothetical.exposures) == shape(recorded.exposures))
        let scoped = try EventCoding.decode(
            ExposureList.self,
            from: Data(
                try await cli.run(["whatif", "--vendor", "mercor", "--org", "civic-agency", "--json"]).stdout.utf8))
        #expect(scoped.exposures.map(\.deployment.rawValue) == ["ca-records"])
        let unknown = try await cli.run(["whatif", "--vendor", "nobody"])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown vendor 'nobody'"))
    }

    @Test func concentrationRanksSystemicVendorsFirst() async throws {
        let cli = try await ExampleScenario.registry()
        let result = try await cli.run(["concentration", "--json"])
        let document = try EventCoding.decode(Concentration.self, from: Data(result.stdout.utf8))
        #expect(
            document.vendors.map { "\($0.id):\($0.organizations):\($0.deployments)" } == ["mercor:3:4", "scale-ai:2:2"])
        #expect(document.providers.first.map { "\($0.id):\($0.organizations)" } == "openai:2")
        #expect(document.organizations.first { $0.id.rawValue == "mercy-hospital" }?.singleProvider == true)
        #expect(document.organizations.first { $0.id.rawValue == "state-university" }?.providers.count == 2)
        let one = try EventCoding.decode(
            Concentration.self,
            from: Data(try await cli.run(["concentration", "--org", "civic-agency", "--json"]).stdout.utf8))
        #expect(one.organizations.map(\.id.rawValue) == ["civic-agency"])
        #expect(one.vendors.map(\.id.rawValue) == ["mercor"])
        #expect(try await cli.run(["concentration"]).stdout.contains("SINGLE PROVIDER"))
    }

    func file(_ name: String, _ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "custody-inventory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func inventoryApplyRecordsExactlyThePlanOnce() async throws {
        let cli = try await ExampleScenario.registry()
        let yaml = try file(
            "university.yaml",
            """
            organization: state-university
            deployments:
              - id: su-advising
                model: gpt-5
                workload: advising
                criticality: critical
              - {id: su-research, model: llama-4, workload: research, criticality: medium}
              - id: su-library
                model: claude-opus-4-5
                workload: library search
                criticality: low
            """)
        let before = try await cli.run(["events", "--json"]).lines.count
        let dry = try await cli.run(["inventory", "apply", yaml, "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let planned = try #require(try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any])
        let changes = try #require(planned["changes"] as? [[String: Any]])
        #expect(
            changes.map { "\($0["action"] ?? "")/\($0["deployment"] ?? "")/\($0["line"] ?? "-")" }
                == ["update/su-advising/3", "switch/su-research/7", "deploy/su-library/8"])
        #expect(try await cli.run(["events", "--json"]).lines.count == before, "a dry run wrote")
        #expect(try await cli.run(["inventory", "apply", yaml]).status == 0)
        #expect(try await cli.run(["events", "--json"]).lines.count == before + 3)
        let again = try await cli.run(["inventory", "apply", yaml])
        #expect(again.stdout.contains("nothing to do"))
        #expect(try await cli.run(["events", "--json"]).lines.count == before + 3, "applying twice wrote again")
        let listed = try await cli.run(["deployments", "--org", "state-university", "--json"]).stdout
        #expect(listed.contains("\"su-library\"") && listed.contains("\"llama-4\""))

        // A CSV that leaves su-library out retires it.
        let csv = try file(
            "university.csv",
            """
            organization,id,model,workload,criticality
            state-university,su-advising,gpt-5,advising,critical
            state-university,su-research,llama-4,"research, mostly",medium
            """)
        let retired = try await cli.run(["inventory", "apply", csv, "--json"])
        #expect(
            retired.stdout.contains("\"retire\"") && retired.stdout.contains("'research, mostly'"), "\(retired.stdout)")
        #expect(try await cli.run(["show", "deployment", "su-library", "--json"]).stdout.contains("\"active\": false"))

        let mistakes: [(String, String, String)] = [
            (
                "bad-model.yaml",
                "organization: state-university\ndeployments:\n  - {id: a, model: nope, workload: w, criticality: low}\n",
                "bad-model.yaml:3: unknown model 'nope'"
            ),
            (
                "twice.yaml",
                "organization: state-university\ndeployments:\n  - {id: a, model: gpt-5, workload: w, criticality: low}\n  - {id: a, model: gpt-5, workload: w, criticality: low}\n",
                "also on line 3"
            ),
            (
                "key.yaml",
                "organization: state-university\ndeployments:\n  - {id: a, model: gpt-5, workload: w, criticality: low, color: red}\n",
                "key.yaml:3: unknown key 'color'"
            ),
            (
                "level.csv", "organization,id,model,workload,criticality\nstate-university,a,gpt-5,w,urgent\n",
                "level.csv:2: invalid criticality 'urgent'"
            ),
            (
                "other.yaml",
                "organization: state-university\ndeployments:\n  - {id: mh-triage, model: gpt-5, workload: w, criticality: low}\n",
                "belongs to organization 'mercy-hospital'"
            ),
        ]
        let count = try await cli.run(["events", "--json"]).lines.count
        for (name, text, message) in mistakes {
            let result = try await cli.run(["inventory", "apply", try file(name, text)])
            #expect(result.status == 1, "\(name)")
            #expect(result.stderr.contains(message), "\(name): \(result.stderr)")
        }
        #expect(try await cli.run(["events", "--json"]).lines.count == count, "a refused inventory wrote")
    }

    @Test func everyRegistryNounListsAndShows() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.record(
            cli, [["supply", "retract", "--vendor", "scale-ai", "--provider", "openai", "--reason", "mistake"]])
        #expect(try await cli.run(["vendors"]).stdout.contains("mercor    Mercor    anthropic, meta, openai"))
        #expect(
            try await cli.run(["vendors", "--json"]).stdout.contains("\"providers\": []"),
            "a retracted link still listed")
        #expect(try await cli.run(["providers"]).stdout.contains("openai"))
        #expect(try await cli.run(["models", "--json"]).stdout.contains("\"activeDeployments\": 2"))
        #expect(try await cli.run(["organizations"]).stdout.contains("Mercy Hospital"))
        #expect(try await cli.run(["deployments", "--org", "civic-agency"]).stdout.contains("ca-records"))
        #expect(try await cli.run(["show", "model", "llama-4"]).stdout.contains("openWeights: true"))
        let unknown = try await cli.run(["show", "vendor", "nobody"])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown vendor 'nobody'"))
        #expect(try await cli.run(["show", "planet", "earth"]).status == 64)
    }
}
