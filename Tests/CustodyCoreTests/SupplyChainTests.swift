import CustodyCore
import Foundation
import Testing

/// Builds recorded events in log order, with world and record times given per fact.
struct LogBuilder {
    var events: [RecordedEvent] = []

    static func slug(_ text: String) -> Slug {
        guard let slug = try? Slug(text) else { preconditionFailure(text) }
        return slug
    }

    static func time(_ text: String) -> Timestamp {
        guard let time = try? Timestamp(parsing: text) else { preconditionFailure(text) }
        return time
    }

    mutating func add(_ payload: any EventPayload, at occurred: String, recorded: String? = nil) {
        let position = Int64(events.count + 1)
        events.append(
            RecordedEvent(
                id: UUID(), stream: payload.stream, version: 1, position: position, event: payload.event,
                metadata: EventMetadata(actor: "t", source: "t"), occurredAt: Self.time(occurred),
                recordedAt: Self.time(recorded ?? occurred), hash: []))
    }

    /// Mercor supplies OpenAI (RLHF, every model) and Meta (red-teaming, only llama-4); a university runs
    /// GPT-5 and a hospital runs Llama 4 and Llama 3.
    static func chain() -> LogBuilder {
        var log = LogBuilder()
        log.add(VendorRegistered(vendor: slug("mercor"), name: "Mercor"), at: "2023-01-01")
        log.add(ProviderRegistered(provider: slug("openai"), name: "OpenAI"), at: "2015-01-01")
        log.add(ProviderRegistered(provider: slug("meta"), name: "Meta"), at: "2013-01-01")
        log.add(
            ModelRegistered(model: slug("gpt-5"), name: "GPT-5", provider: slug("openai"), openWeights: false),
            at: "2025-08-01")
        log.add(
            ModelRegistered(model: slug("llama-4"), name: "Llama 4", provider: slug("meta"), openWeights: true),
            at: "2025-04-01")
        log.add(
            ModelRegistered(model: slug("llama-3"), name: "Llama 3", provider: slug("meta"), openWeights: true),
            at: "2024-04-01")
        log.add(
            SupplyLinkRecorded(vendor: slug("mercor"), provider: slug("openai"), dataKinds: [.rlhf], models: []),
            at: "2024-06-01")
        log.add(
            SupplyLinkRecorded(
                vendor: slug("mercor"), provider: slug("meta"), dataKinds: [.redTeaming], models: [slug("llama-4")]),
            at: "2024-03-01")
        log.add(
            OrganizationRegistered(organization: slug("uni"), name: "University", sector: "education"), at: "2020-01-01"
        )
        log.add(
            OrganizationRegistered(organization: slug("hospital"), name: "Hospital", sector: "healthcare"),
            at: "2020-01-01")
        log.add(
            ModelDeployed(
                deployment: slug("uni-gpt"), organization: slug("uni"), model: slug("gpt-5"), workload: "advising",
                criticality: .high), at: "2025-09-01")
        log.add(
            ModelDeployed(
                deployment: slug("h-llama4"), organization: slug("hospital"), model: slug("llama-4"),
                workload: "triage", criticality: .critical), at: "2025-06-01")
        log.add(
            ModelDeployed(
                deployment: slug("h-llama3"), organization: slug("hospital"), model: slug("llama-3"), workload: "notes",
                criticality: .low), at: "2025-01-01")
        return log
    }

    mutating func breach(
        _ id: String = "b1", kinds: [DataKind] = [], providers: [String] = [], severity: Severity = .high,
        at: String = "2026-03-27", recorded: String? = nil
    ) {
        add(
            BreachReported(
                incident: Self.slug(id), vendor: Self.slug("mercor"), severity: severity, summary: "s",
                dataKinds: kinds,
                providers: providers.map(Self.slug), sources: [], disclosedAt: nil), at: at, recorded: recorded)
    }

    func chain(upTo recorded: String? = nil) -> SupplyChain {
        var chain = SupplyChain()
        chain.apply(events.filter { recorded == nil || $0.recordedAt <= Self.time(recorded ?? "") })
        return chain
    }
}

@Suite struct SupplyChainTests {
    let now = LogBuilder.time("2026-11-01")
    func slug(_ text: String) -> Slug { LogBuilder.slug(text) }
    func pairs(_ rows: [Exposure]) -> [String] { rows.map { "\($0.deployment)/\($0.incident)" } }

    @Test func aBreachReachesDeploymentsThroughSupplyLinksBegunBeforeIt() {
        var log = LogBuilder.chain()
        log.breach()
        let rows = log.chain().exposures(at: now)
        #expect(pairs(rows) == ["h-llama4/b1", "uni-gpt/b1"])
        #expect(rows.allSatisfy { $0.status == .potential && $0.vendor == slug("mercor") })
        #expect(rows.first { $0.deployment == slug("uni-gpt") }?.provider == slug("openai"))
    }

    @Test func modelRestrictedLinksExposeOnlyTheirModels() {
        var log = LogBuilder.chain()
        log.breach()
        #expect(!pairs(log.chain().exposures(at: now)).contains("h-llama3/b1"))
    }

    @Test func aLinkBegunAfterTheBreachDoesNotExpose() {
        var log = LogBuilder.chain()
        log.breach(at: "2024-04-01")
        // The OpenAI link began 2024-06-01, after this breach; the Meta link began before it.
        #expect(pairs(log.chain().exposures(at: now)) == ["h-llama4/b1"])
    }

    @Test func anEndedLinkStillCounts() {
        var log = LogBuilder.chain()
        log.add(SupplyLinkEnded(vendor: slug("mercor"), provider: slug("openai")), at: "2025-01-01")
        log.breach()
        #expect(pairs(log.chain().exposures(at: now)).contains("uni-gpt/b1"))
    }

    @Test func dataKindsMustMeetTheLinksKinds() {
        var log = LogBuilder.chain()
        log.breach(kinds: [.redTeaming])
        #expect(pairs(log.chain().exposures(at: now)) == ["h-llama4/b1"])
        var unknown = LogBuilder.chain()
        unknown.breach(kinds: [])
        #expect(pairs(unknown.chain().exposures(at: now)).count == 2)
        var unrelated = LogBuilder.chain()
        unrelated.breach(kinds: [.instructionFollowing])
        #expect(unrelated.chain().exposures(at: now).isEmpty)
    }

    @Test func anEmptyProviderListMeansEveryClientAndAListLimitsIt() {
        var log = LogBuilder.chain()
        log.breach(providers: ["openai"])
        #expect(pairs(log.chain().exposures(at: now)) == ["uni-gpt/b1"])
    }

    @Test func retiredDeploymentsLeaveExposureFromTheirRetirement() {
        var log = LogBuilder.chain()
        log.breach()
        log.add(DeploymentRetired(deployment: slug("uni-gpt")), at: "2026-05-01")
        let chain = log.chain()
        #expect(pairs(chain.exposures(at: LogBuilder.time("2026-04-01"))).contains("uni-gpt/b1"))
        #expect(!pairs(chain.exposures(at: now)).contains("uni-gpt/b1"))
    }

    @Test func nothingIsExposedBeforeTheBreachOrBeforeTheDeployment() {
        var log = LogBuilder.chain()
        log.breach()
        let chain = log.chain()
        #expect(chain.exposures(at: LogBuilder.time("2026-03-26")).isEmpty)
        let since = chain.exposures(at: now).first { $0.deployment == slug("uni-gpt") }?.since
        #expect(since == LogBuilder.time("2026-03-27"))
        var late = LogBuilder.chain()
        late.breach(at: "2025-07-01")
        // The university deployed GPT-5 after that breach: its exposure begins at its deployment.
        #expect(
            late.chain().exposures(at: now).first { $0.deployment == slug("uni-gpt") }?.since
                == LogBuilder.time("2025-09-01"))
    }

    @Test func aRetractionErasesTheBreachOnTheWorldAxisButNotForEarlierKnowledge() {
        var log = LogBuilder.chain()
        log.breach(recorded: "2026-03-28")
        log.add(
            IncidentRetracted(incident: slug("b1"), reason: "wrong vendor"), at: "2026-04-10", recorded: "2026-04-10")
        // As of April 1st, as known now: the breach never happened.
        #expect(log.chain().exposures(at: LogBuilder.time("2026-04-01")).isEmpty)
        // As known on April 1st, it had.
        #expect(log.chain(upTo: "2026-04-01").exposures(at: LogBuilder.time("2026-04-01")).count == 2)
    }

    @Test func scopeRevisionsWidenAndNarrowFromTheBreachTime() {
        var log = LogBuilder.chain()
        log.breach(providers: ["openai"])
        log.add(
            BreachScopeRevised(
                incident: slug("b1"), dataKinds: nil, providers: [slug("openai"), slug("meta")], severity: .critical,
                reason: "widened"), at: "2026-04-05")
        let widened = log.chain().exposures(at: LogBuilder.time("2026-03-28"))
        #expect(pairs(widened) == ["h-llama4/b1", "uni-gpt/b1"])
        #expect(widened.allSatisfy { $0.severity == .critical })
        log.add(
            BreachScopeRevised(
                incident: slug("b1"), dataKinds: [.redTeaming], providers: nil, severity: nil, reason: "narrowed"),
            at: "2026-04-06")
        #expect(pairs(log.chain().exposures(at: now)) == ["h-llama4/b1"])
    }

    @Test func investigationOutcomesApplyPerProvider() {
        var log = LogBuilder.chain()
        log.breach()
        log.add(
            InvestigationOpened(investigation: slug("oi"), incident: slug("b1"), provider: slug("openai")),
            at: "2026-04-01")
        var status: [String: ExposureStatus] {
            Dictionary(uniqueKeysWithValues: log.chain().exposures(at: now).map { ($0.deployment.rawValue, $0.status) })
        }
        #expect(status == ["uni-gpt": .investigating, "h-llama4": .potential])
        log.add(InvestigationClosed(investigation: slug("oi"), outcome: .confirmed, summary: nil), at: "2026-04-20")
        #expect(status["uni-gpt"] == .confirmed)
        log.add(
            InvestigationOpened(investigation: slug("mi"), incident: slug("b1"), provider: slug("meta")),
            at: "2026-04-02")
        log.add(InvestigationClosed(investigation: slug("mi"), outcome: .cleared, summary: nil), at: "2026-04-15")
        #expect(status["h-llama4"] == .cleared)
        let current = log.chain().exposure(ofOrganization: slug("hospital"), at: now)
        #expect(current?.exposures.isEmpty == true)
        // Before the closure, the investigation was open.
        let earlier = log.chain().exposures(at: LogBuilder.time("2026-04-10"))
        #expect(earlier.first { $0.deployment == slug("h-llama4") }?.status == .investigating)
    }

    @Test func pausesSetTheMitigationFlagUntilResumed() {
        var log = LogBuilder.chain()
        log.breach()
        log.add(VendorPaused(provider: slug("meta"), vendor: slug("mercor"), incident: slug("b1")), at: "2026-04-01")
        log.add(VendorResumed(provider: slug("meta"), vendor: slug("mercor")), at: "2026-06-01")
        let chain = log.chain()
        func paused(_ time: String) -> Bool? {
            chain.exposures(at: LogBuilder.time(time)).first { $0.provider == slug("meta") }?.paused
        }
        #expect(paused("2026-03-30") == false)
        #expect(paused("2026-04-02") == true)
        #expect(paused("2026-06-02") == false)
    }

    @Test func resolvedIncidentsLeaveTheCurrentView() {
        var log = LogBuilder.chain()
        log.breach()
        log.add(IncidentResolved(incident: slug("b1"), summary: nil), at: "2026-07-01")
        let chain = log.chain()
        #expect(chain.exposure(ofOrganization: slug("uni"), at: now)?.exposures.isEmpty == true)
        #expect(chain.exposure(ofOrganization: slug("uni"), at: LogBuilder.time("2026-06-01"))?.exposures.count == 1)
        // The blast radius still lists them.
        #expect(chain.exposure(ofIncident: slug("b1"), at: now)?.exposures.count == 2)
    }

    @Test func rowsAreOrderedByStatusSeverityThenCriticality() {
        var log = LogBuilder.chain()
        log.breach("b1", severity: .low)
        log.breach("b2", severity: .critical)
        log.add(
            InvestigationOpened(investigation: slug("oi"), incident: slug("b1"), provider: slug("openai")),
            at: "2026-04-01")
        let rows = log.chain().exposures(at: now)
        #expect(pairs(rows) == ["uni-gpt/b1", "h-llama4/b2", "uni-gpt/b2", "h-llama4/b1"])
    }

    @Test func theOrganizationSummaryCountsAndConcentration() throws {
        var log = LogBuilder.chain()
        log.breach()
        let chain = log.chain()
        let hospital = try #require(chain.exposure(ofOrganization: slug("hospital"), at: now))
        #expect(hospital.summary.activeDeployments == 2)
        #expect(hospital.summary.exposedDeployments == 1)
        #expect(hospital.summary.statusCounts["potential"] == 1)
        #expect(hospital.summary.highestSeverity == .high)
        #expect(hospital.summary.providers == [slug("meta")])
        #expect(hospital.summary.vendors == [slug("mercor")])
        #expect(hospital.summary.singleProvider)
        #expect(hospital.summary.openWeightShare == 1)
        let before = try #require(chain.exposure(ofOrganization: slug("uni"), at: LogBuilder.time("2025-01-01")))
        #expect(before.summary.activeDeployments == 0)
        #expect(!before.summary.singleProvider)
        #expect(chain.exposure(ofOrganization: slug("nobody"), at: now) == nil)
    }

    /// Exact characters, as on every other path: a workload re-spelled in NFD is an update, the same spelling none.
    @Test func anInventoryComparesWorkloadsByTheirExactCharacters() throws {
        var log = LogBuilder.chain()
        log.add(
            ModelDeployed(
                deployment: slug("uni-cafe"), organization: slug("uni"), model: slug("gpt-5"), workload: "caf\u{E9}",
                criticality: .low), at: "2025-10-01")
        let chain = log.chain()
        func plan(_ workload: String) throws -> [String] {
            let inventory = Inventory(
                organization: slug("uni"),
                deployments: [
                    .init(
                        id: slug("uni-gpt"), model: slug("gpt-5"), workload: "advising", criticality: .high,
                        source: .init(file: "f.yaml", line: 1)),
                    .init(
                        id: slug("uni-cafe"), model: slug("gpt-5"), workload: workload, criticality: .low,
                        source: .init(file: "f.yaml", line: 2)),
                ])
            return try chain.plan(inventory, at: now, file: "f.yaml").changes.map { "\($0.action) \($0.deployment)" }
        }
        #expect(try plan("caf\u{E9}") == [])
        #expect(try plan("cafe\u{301}") == ["update uni-cafe"])
    }
}

/// Seeded shuffles: the same set of events, applied in any order, is the same state with the same answers.
@Suite struct SupplyChainOrderTests {
    func busyLog() -> LogBuilder {
        var log = LogBuilder.chain()
        log.breach("b1", providers: ["openai"])
        log.breach("b2", kinds: [.redTeaming], at: "2026-05-01")
        log.add(
            VendorPaused(provider: LogBuilder.slug("meta"), vendor: LogBuilder.slug("mercor"), incident: nil),
            at: "2026-04-01")
        log.add(
            BreachScopeRevised(
                incident: LogBuilder.slug("b1"), dataKinds: nil, providers: [], severity: nil, reason: "r"),
            at: "2026-04-03")
        log.add(
            InvestigationOpened(
                investigation: LogBuilder.slug("oi"), incident: LogBuilder.slug("b1"),
                provider: LogBuilder.slug("openai")), at: "2026-04-04")
        log.add(
            InvestigationClosed(investigation: LogBuilder.slug("oi"), outcome: .inconclusive, summary: nil),
            at: "2026-04-09")
        log.add(VendorResumed(provider: LogBuilder.slug("meta"), vendor: LogBuilder.slug("mercor")), at: "2026-06-01")
        log.add(DeploymentRetired(deployment: LogBuilder.slug("h-llama3")), at: "2026-02-01")
        log.add(
            SupplyLinkEnded(vendor: LogBuilder.slug("mercor"), provider: LogBuilder.slug("openai")), at: "2026-04-02")
        return log
    }

    @Test(arguments: 1...50)
    func shuffledOrdersFoldToTheSameState(seed: Int) {
        let events = busyLog().events
        var inOrder = SupplyChain()
        inOrder.apply(events)
        var generator = SeededGenerator(seed: UInt64(seed))
        var shuffled = SupplyChain()
        shuffled.apply(events.shuffled(using: &generator))
        #expect(shuffled == inOrder)
        for time in ["2026-03-28", "2026-04-05", "2026-05-02", "2026-11-01"] {
            #expect(shuffled.exposures(at: LogBuilder.time(time)) == inOrder.exposures(at: LogBuilder.time(time)))
        }
    }
}
