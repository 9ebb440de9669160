import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// The example scenario through the binary, checked against expectations worked out by hand.
@Suite(.serialized) struct ExposureTests {
    func record(_ cli: CLI, _ commands: [[String]]) async throws { try await ExampleScenario.record(cli, commands) }
    func scenario() async throws -> CLI { try await ExampleScenario.registry() }
    func breach(_ cli: CLI) async throws { try await ExampleScenario.breach(cli) }

    func organization(_ cli: CLI, _ id: String, _ extra: [String] = []) async throws -> OrganizationExposure {
        let result = try await cli.run(["exposure", "--org", id, "--json"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return try EventCoding.decode(OrganizationExposure.self, from: Data(result.stdout.utf8))
    }

    func rows(_ document: OrganizationExposure) -> [String] {
        document.exposures.map {
            "\($0.deployment)/\($0.provider)/\($0.vendor)/\($0.status.rawValue)/paused:\($0.paused)"
        }
    }

    @Test func theExampleScenarioUnfoldsAsExpected() async throws {
        let cli = try await scenario()
        try await breach(cli)
        // Before the breach: nothing.
        await #expect(try organization(cli, "state-university", ["--as-of", "2026-03-20"]).exposures.isEmpty)
        // After Meta's pause and OpenAI's investigation.
        let university = try await organization(cli, "state-university", ["--as-of", "2026-04-02"])
        #expect(
            rows(university) == [
                "su-advising/openai/mercor/investigating/paused:false",
                "su-research/anthropic/mercor/potential/paused:false",
            ])
        #expect(university.summary.providers.map(\.rawValue) == ["anthropic", "openai"])
        #expect(university.summary.vendors.map(\.rawValue) == ["mercor", "scale-ai"])
        #expect(!university.summary.singleProvider)
        let hospital = try await organization(cli, "mercy-hospital")
        #expect(rows(hospital) == ["mh-triage/openai/mercor/investigating/paused:false"])
        #expect(hospital.summary.singleProvider)
        #expect(hospital.summary.statusCounts["investigating"] == 1)
        let agency = try await organization(cli, "civic-agency")
        #expect(rows(agency) == ["ca-records/meta/mercor/potential/paused:true"])
        #expect(agency.summary.openWeightShare == 1)
        // HYPOTHETICAL: OpenAI confirms, Anthropic's separate investigation clears.
        try await record(
            cli,
            [
                ["investigation", "close", "openai-inv", "--outcome", "confirmed", "--at", "2026-04-20"],
                [
                    "investigation", "open", "anthropic-inv", "--incident", "mercor-2026-03", "--provider", "anthropic",
                    "--at", "2026-04-02",
                ],
                ["investigation", "close", "anthropic-inv", "--outcome", "cleared", "--at", "2026-04-15"],
            ])
        await #expect(
            rows(try organization(cli, "state-university")) == ["su-advising/openai/mercor/confirmed/paused:false"])
        let blast = try await cli.run(["exposure", "--incident", "mercor-2026-03", "--json"])
        let radius = try EventCoding.decode(ExposureList.self, from: Data(blast.stdout.utf8))
        #expect(
            radius.exposures.map(\.deployment.rawValue) == ["mh-triage", "su-advising", "ca-records", "su-research"])
        #expect(radius.exposures.last?.status == .cleared)
    }

    @Test func thePostmortemListsTheTimelineAndIntervals() async throws {
        let cli = try await scenario()
        try await breach(cli)
        let markdown = try await cli.run(["postmortem", "mercor-2026-03"])
        #expect(markdown.status == 0, "\(markdown.stderr)")
        #expect(markdown.stdout.hasPrefix("# Postmortem: mercor-2026-03"))
        #expect(markdown.stdout.contains("| time to pause: meta | 5d 0h |"))
        let json = try await cli.run(["postmortem", "mercor-2026-03", "--json"])
        let postmortem = try EventCoding.decode(Postmortem.self, from: Data(json.stdout.utf8))
        #expect(postmortem.timeline.count == 3)
        #expect(postmortem.windows.count == 4)
        // The chart outside the browser: the web page's picture, one bar per window.
        let svg = try await cli.run(["postmortem", "mercor-2026-03", "--svg"])
        #expect(svg.status == 0 && svg.stdout.hasPrefix("<svg ") && svg.stdout.hasSuffix("</svg>\n"), "\(svg.stderr)")
        #expect(svg.stdout.components(separatedBy: "<g class=\"window\"").count - 1 == postmortem.windows.count)
        #expect(
            try await cli.run(["postmortem", "mercor-2026-03", "--svg", "--json"]).status != 0, "one form at a time")
        let unknown = try await cli.run(["postmortem", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown incident 'nope'"))
    }

    @Test func diffListsWhatAppearedChangedAndDisappeared() async throws {
        let cli = try await scenario()
        try await breach(cli)
        try await record(cli, [["investigation", "close", "openai-inv", "--outcome", "cleared", "--at", "2026-04-20"]])
        let result = try await cli.run([
            "diff", "--from", "2026-03-20", "--to", "2026-04-02", "--org", "state-university", "--json",
        ])
        let appeared = try EventCoding.decode(ExposureDiff.self, from: Data(result.stdout.utf8))
        #expect(appeared.appeared.map(\.deployment.rawValue).sorted() == ["su-advising", "su-research"])
        let later = try await cli.run(["diff", "--from", "2026-04-02", "--to", "2026-04-21", "--json"])
        let closed = try EventCoding.decode(ExposureDiff.self, from: Data(later.stdout.utf8))
        #expect(closed.disappeared.map(\.deployment.rawValue).sorted() == ["mh-triage", "su-advising"])
        #expect(closed.appeared.isEmpty)
        let human = try await cli.run(["diff", "--from", "2026-04-02", "--to", "2026-04-21"])
        #expect(human.stdout.contains("- mh-triage no longer exposed to mercor-2026-03"))
        let backwards = try await cli.run(["diff", "--from", "2026-04-21", "--to", "2026-04-02"])
        #expect(backwards.status == 1)
    }

    @Test func aLateRecordedBreachDiffersBetweenTheTwoClocks() async throws {
        let cli = try await scenario()
        let beforeRecording = Timestamp.now
        try await Task.sleep(for: .milliseconds(20))
        // Recorded now, it happened in March: logged late.
        try await breach(cli)
        let asOf = try await organization(cli, "mercy-hospital", ["--as-of", beforeRecording.description])
        let knownAt = try await organization(cli, "mercy-hospital", ["--known-at", beforeRecording.description])
        #expect(rows(asOf) == ["mh-triage/openai/mercor/investigating/paused:false"])
        #expect(knownAt.exposures.isEmpty)
    }

    @Test func unknownIdsAndBadTimesAreRefused() async throws {
        let cli = try await scenario()
        let unknown = try await cli.run(["exposure", "--org", "nobody"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown organization 'nobody'"))
        let badTime = try await cli.run(["exposure", "--org", "mercy-hospital", "--as-of", "2026-02-30"])
        #expect(badTime.status == 1)
        #expect(badTime.stderr.contains("a real calendar date"))
        let two = try await cli.run(["exposure", "--org", "mercy-hospital", "--model", "gpt-5"])
        #expect(two.status == 64)
    }

    @Test func modelAndDeploymentViewsListTheirRows() async throws {
        let cli = try await scenario()
        try await breach(cli)
        let model = try await cli.run(["exposure", "--model", "gpt-5", "--json"])
        let document = try EventCoding.decode(ExposureList.self, from: Data(model.stdout.utf8))
        #expect(Set(document.exposures.map(\.organization.rawValue)) == ["mercy-hospital", "state-university"])
        let human = try await cli.run(["exposure", "--deployment", "ca-records"])
        #expect(human.status == 0)
        #expect(human.stdout.contains("llama-4  mercor  mercor-2026-03"))
        #expect(!human.stdout.contains("…"), "piped output is never cut: \(human.stdout)")
        let organization = try await cli.run(["exposure", "--org", "state-university"])
        #expect(organization.stdout.contains("exposed: 2 of 2 active deployments"))
        #expect(!organization.stdout.contains("…"), "piped output is never cut: \(organization.stdout)")
    }
}
