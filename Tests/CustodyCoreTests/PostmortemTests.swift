import CustodyTestSupport
import Foundation
import Testing

@testable import CustodyCore

@Suite struct PostmortemTests {
    func slug(_ text: String) -> Slug { LogBuilder.slug(text) }

    func log() -> LogBuilder {
        var log = LogBuilder.chain()
        log.add(
            BreachReported(
                incident: slug("b1"), vendor: slug("mercor"), severity: .high, summary: "s", dataKinds: [],
                providers: [], sources: [],
                disclosedAt: LogBuilder.time("2026-03-31")), at: "2026-03-27", recorded: "2026-03-29T12:00:00Z")
        log.add(VendorPaused(provider: slug("meta"), vendor: slug("mercor"), incident: slug("b1")), at: "2026-04-01")
        log.add(
            InvestigationOpened(investigation: slug("oi"), incident: slug("b1"), provider: slug("openai")),
            at: "2026-04-01")
        log.add(InvestigationClosed(investigation: slug("oi"), outcome: .cleared, summary: nil), at: "2026-04-11")
        return log
    }

    @Test func intervalsAreMeasuredFromTheBreach() throws {
        let postmortem = try #require(Postmortem.of(slug("b1"), events: log().events, now: .now))
        #expect(postmortem.timeToDetectSeconds == 2 * 86_400 + 12 * 3600)
        #expect(postmortem.timeToDiscloseSeconds == Int64(4 * 86_400))
        #expect(postmortem.pauses.map(\.provider) == [slug("meta")])
        #expect(postmortem.pauses.first?.afterBreachSeconds == Int64(5 * 86_400))
        #expect(postmortem.investigations.first?.toOpenSeconds == Int64(5 * 86_400))
        #expect(postmortem.investigations.first?.toCloseSeconds == Int64(10 * 86_400))
        #expect(postmortem.investigations.first?.outcome == .cleared)
    }

    @Test func eachStepSaysWhoEnteredOrLeftExposure() throws {
        let postmortem = try #require(Postmortem.of(slug("b1"), events: log().events, now: .now))
        #expect(
            postmortem.timeline.map(\.type) == [
                "BreachReported", "VendorPaused", "InvestigationOpened", "InvestigationClosed",
            ])
        #expect(postmortem.timeline[0].entered == [slug("h-llama4"), slug("uni-gpt")])
        #expect(postmortem.timeline[1].changed == ["h-llama4: provider paused the vendor"])
        #expect(postmortem.timeline[2].changed == ["uni-gpt: potential → investigating"])
        #expect(postmortem.timeline[3].left == [slug("uni-gpt")])
        let windows = Dictionary(uniqueKeysWithValues: postmortem.windows.map { ($0.deployment, $0) })
        #expect(windows[slug("uni-gpt")]?.to == LogBuilder.time("2026-04-11"))
        #expect(windows[slug("h-llama4")]?.to == nil)
        #expect(postmortem.markdown.contains("| time to detect (first recorded − occurred) | 2d 12h |"))
    }

    /// A pause or an investigation changes only the flags every row through its provider shares, which a
    /// postmortem sets without evaluating those rows again: unless the rows clear, or come back once cleared.
    @Test func rowsThatAFlagClearsLeaveAndComeBackWhenAnotherInvestigationOpens() throws {
        var log = log()
        log.add(
            InvestigationOpened(investigation: slug("oi2"), incident: slug("b1"), provider: slug("openai")),
            at: "2026-04-20")
        log.add(VendorPaused(provider: slug("openai"), vendor: slug("mercor"), incident: nil), at: "2026-04-21")
        log.add(VendorResumed(provider: slug("openai"), vendor: slug("mercor")), at: "2026-04-22")
        log.add(InvestigationClosed(investigation: slug("oi2"), outcome: .confirmed, summary: nil), at: "2026-04-23")
        let postmortem = try #require(Postmortem.of(slug("b1"), events: log.events, now: .now))
        let steps = postmortem.timeline.suffix(4)
        #expect(steps.map(\.entered) == [[slug("uni-gpt")], [], [], []])
        #expect(
            steps.map(\.changed) == [
                [], ["uni-gpt: provider paused the vendor"], ["uni-gpt: provider resumed"],
                ["uni-gpt: investigating → confirmed"],
            ])
        #expect(
            postmortem.windows.filter { $0.deployment == slug("uni-gpt") }.map(\.from) == [
                LogBuilder.time("2026-03-27"), LogBuilder.time("2026-04-20"),
            ])
        #expect(Postmortem.of(slug("b1"), events: log.events, now: .now, everyStep: true) == postmortem)
    }

    @Test func aDeploymentMadeAfterTheBreachOnAnExposedModelIsAStepWithAWindow() throws {
        var log = log()
        log.add(
            ModelDeployed(
                deployment: slug("h-late"), organization: slug("hospital"), model: slug("llama-4"), workload: "w",
                criticality: .low), at: "2026-05-01")
        // Another provider's model, never supplied by the vendor: not a step of this incident.
        log.add(ProviderRegistered(provider: slug("mistral"), name: "Mistral"), at: "2015-01-01")
        log.add(
            ModelRegistered(model: slug("small"), name: "Small", provider: slug("mistral"), openWeights: true),
            at: "2025-01-01")
        log.add(
            ModelDeployed(
                deployment: slug("h-small"), organization: slug("hospital"), model: slug("small"), workload: "w",
                criticality: .low), at: "2026-05-02")
        log.add(DeploymentRetired(deployment: slug("h-small")), at: "2026-05-03")
        let postmortem = try #require(Postmortem.of(slug("b1"), events: log.events, now: .now))
        let step = try #require(postmortem.timeline.first { $0.type == "ModelDeployed" })
        #expect(step.entered == [slug("h-late")])
        #expect(postmortem.timeline.filter { $0.type == "ModelDeployed" || $0.type == "DeploymentRetired" }.count == 1)
        let window = try #require(postmortem.windows.first { $0.deployment == slug("h-late") })
        #expect(window.from == LogBuilder.time("2026-05-01") && window.to == nil)
        #expect(Postmortem.of(slug("b1"), events: log.events, now: .now, everyStep: true) == postmortem)
    }

    /// The command writes the timeline's rows in parts while the walk goes on: the postmortem and its report are
    /// the same whatever the size of the parts.
    @Test(arguments: [1, 2, 3, 4, 13, 50]) func aReportWrittenInPartsIsTheSameReport(part: Int) async throws {
        var log = log()
        for day in 1...9 {
            log.add(InvestigationFindingRecorded(investigation: slug("oi"), finding: "f|\(day)"), at: "2026-04-0\(day)")
        }
        let now = Timestamp.now
        let postmortem = try #require(Postmortem.of(slug("b1"), events: log.events, now: now))
        #expect(postmortem.timeline.count == 13)
        let (walked, pieces) = try #require(
            await Postmortem.markdown(of: slug("b1"), facts: .init(log.events), now: now, part: part))
        #expect(walked == postmortem)
        #expect(String(decoding: Array(pieces.joined()), as: UTF8.self) == postmortem.markdown)
        #expect(postmortem.markdown.contains("| finding in oi: f\\|3 | – |"))
    }

    @Test func anUnknownIncidentHasNoPostmortem() {
        #expect(Postmortem.of(slug("nope"), events: log().events, now: .now) == nil)
    }

    /// Random histories as the rules accept them (each fact checked against those before it, in log order, at its
    /// own time): every one folds into postmortems with no negative interval, whose open windows are exactly the
    /// deployments `exposure --incident` shows exposed now.
    @Test(arguments: 0..<40) func anAcceptedHistorysPostmortemMissesNobody(seed: UInt64) throws {
        var workload = RandomWorkload(seed: seed)
        var registry = Registry()
        var accepted: [RecordedEvent] = []
        let recordedAt = workload.start.adding(seconds: workload.span + 86_400)
        var proposed = (0..<3).flatMap { index in
            [
                VendorRegistered(vendor: slug("v\(index)"), name: "V").event,
                ProviderRegistered(provider: slug("p\(index)"), name: "P").event,
            ]
        }.map {
            ProposedEvent(
                id: UUID(), event: $0, metadata: EventMetadata(actor: "t", source: "t"),
                occurredAt: workload.start.adding(seconds: -86_400))
        }
        proposed += workload.proposed(count: 200 + Int(seed) * 40)
        for event in proposed {
            do { try registry.check(event.event, at: event.occurredAt) } catch { continue }
            registry.apply(event.event, at: event.occurredAt)
            accepted.append(
                RecordedEvent(
                    id: event.id, stream: event.event.stream, version: 1, position: Int64(accepted.count + 1),
                    event: event.event,
                    metadata: event.metadata, occurredAt: event.occurredAt, recordedAt: recordedAt, hash: []))
        }
        var chain = SupplyChain()
        chain.apply(accepted)
        let now = recordedAt.adding(seconds: 86_400)
        var windows = 0
        for incident in chain.incidentIds {
            let postmortem = try #require(Postmortem.of(incident, events: accepted, now: .now))
            #expect(postmortem.timeToDetectSeconds >= 0)
            for window in postmortem.windows {
                #expect(window.to.map { $0 >= window.from } ?? true, "\(incident): \(window)")
            }
            for item in postmortem.investigations {
                #expect(item.toOpenSeconds >= 0 && (item.toCloseSeconds ?? 0) >= 0, "\(incident): \(item)")
            }
            for pause in postmortem.pauses { #expect(pause.afterBreachSeconds >= 0, "\(incident): \(pause)") }
            let exposed = Set(
                chain.exposure(ofIncident: incident, at: now)?.exposures.filter(\.isCurrent).map(\.deployment) ?? [])
            let open = Set(postmortem.windows.filter { $0.to == nil }.map(\.deployment))
            #expect(open == exposed, "seed \(seed), \(incident)")
            windows += postmortem.windows.count
        }
        #expect(accepted.count > 40, "the rules accepted only \(accepted.count) facts")
        if seed == 0 { #expect(windows > 0, "no history exposed anything") }
    }
}
