import CustodyCore
import Testing

@Suite struct ValidationTests {
    func slug(_ text: String) -> Slug {
        guard let slug = try? Slug(text) else { preconditionFailure(text) }
        return slug
    }

    func time(_ text: String) -> Timestamp {
        guard let time = try? Timestamp(parsing: text) else { preconditionFailure(text) }
        return time
    }

    /// A registry with mercor supplying openai, gpt-5 deployed, one breach (2026-03-27) and one open investigation
    /// (2026-04-10), each at its time.
    func registry() -> Registry {
        var registry = Registry()
        let events: [(any EventPayload, String)] = [
            (VendorRegistered(vendor: slug("mercor"), name: "Mercor"), "2023-01-01"),
            (ProviderRegistered(provider: slug("openai"), name: "OpenAI"), "2015-12-11"),
            (ProviderRegistered(provider: slug("meta"), name: "Meta"), "2013-12-01"),
            (
                ModelRegistered(model: slug("gpt-5"), name: "GPT-5", provider: slug("openai"), openWeights: false),
                "2025-08-07"
            ),
            (
                SupplyLinkRecorded(vendor: slug("mercor"), provider: slug("openai"), dataKinds: [.rlhf], models: []),
                "2024-06-01"
            ),
            (OrganizationRegistered(organization: slug("uni"), name: "Uni", sector: "education"), "2020-01-01"),
            (
                ModelDeployed(
                    deployment: slug("uni-gpt"), organization: slug("uni"), model: slug("gpt-5"), workload: "w",
                    criticality: .high), "2025-08-01T00:00:00Z"
            ),
            (
                BreachReported(
                    incident: slug("b1"), vendor: slug("mercor"), severity: .high, summary: "s", dataKinds: [],
                    providers: [],
                    sources: [], disclosedAt: nil), "2026-03-27"
            ),
            (
                InvestigationOpened(investigation: slug("inv"), incident: slug("b1"), provider: slug("openai")),
                "2026-04-10"
            ),
        ]
        for (event, at) in events { registry.apply(event.event, at: time(at)) }
        return registry
    }

    func refusal(_ payload: any EventPayload, at: String = "2026-11-01") -> String? {
        do {
            try registry().check(payload.event, at: time(at))
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aModelOfAnUnknownProviderIsRefused() {
        #expect(
            refusal(ModelRegistered(model: slug("m"), name: "M", provider: slug("nobody"), openWeights: false))
                == "unknown provider 'nobody'")
    }

    @Test func aBreachAtAnUnknownVendorIsRefused() {
        let breach = BreachReported(
            incident: slug("b2"), vendor: slug("acme"), severity: .low, summary: "s", dataKinds: [], providers: [],
            sources: [],
            disclosedAt: nil)
        #expect(refusal(breach) == "unknown vendor 'acme'")
    }

    @Test func anInvestigationOfAnUnknownIncidentIsRefused() {
        #expect(
            refusal(InvestigationOpened(investigation: slug("i2"), incident: slug("nope"), provider: slug("openai")))
                == "unknown incident 'nope'")
    }

    @Test func closingAnInvestigationTwiceIsRefused() {
        var registry = registry()
        registry.apply(
            .investigationClosed(InvestigationClosed(investigation: slug("inv"), outcome: .cleared, summary: nil)),
            at: time("2026-05-01"))
        #expect(throws: CustodyError.conflict("investigation 'inv' is not open (it was closed)")) {
            try registry.check(
                .investigationClosed(
                    InvestigationClosed(investigation: slug("inv"), outcome: .confirmed, summary: nil)),
                at: time("2026-06-01"))
        }
    }

    @Test func aSupplyLinkNamingAnotherProvidersModelIsRefused() {
        let link = SupplyLinkRecorded(
            vendor: slug("mercor"), provider: slug("meta"), dataKinds: [.rlhf], models: [slug("gpt-5")])
        #expect(refusal(link) == "model 'gpt-5' belongs to provider 'openai', not 'meta'")
    }

    @Test func deployingAnUnknownModelIsRefused() {
        let deploy = ModelDeployed(
            deployment: slug("d"), organization: slug("uni"), model: slug("gpt-9"), workload: "w", criticality: .low)
        #expect(refusal(deploy) == "unknown model 'gpt-9'")
    }

    @Test func registeringTwiceIsRefused() {
        #expect(refusal(VendorRegistered(vendor: slug("mercor"), name: "M")) == "vendor 'mercor' is already registered")
    }

    @Test func resumingWithoutAPauseIsRefused() {
        #expect(
            refusal(VendorResumed(provider: slug("openai"), vendor: slug("mercor")))
                == "provider 'openai' has not paused vendor 'mercor'")
    }

    @Test func textWithNULIsRefused() {
        #expect(
            refusal(OrganizationRegistered(organization: slug("o2"), name: "bad\u{0}name", sector: "x"))?.contains(
                "without NUL") == true)
    }

    @Test func acceptedFactsPass() {
        #expect(refusal(VendorPaused(provider: slug("openai"), vendor: slug("mercor"), incident: slug("b1"))) == nil)
        #expect(refusal(InvestigationFindingRecorded(investigation: slug("inv"), finding: "f")) == nil)
    }

    @Test(arguments: ["Mercor", "-x", "a_b", "", String(repeating: "a", count: 65), "é"])
    func invalidSlugsAreRefused(text: String) {
        #expect(throws: CustodyError.self) { try Slug(text) }
    }

    // Facts that could not have happened at their time (docs/rules.md), each naming both facts and both times.

    @Test func anEndBeforeItsBeginningIsRefused() {
        #expect(
            refusal(InvestigationClosed(investigation: slug("inv"), outcome: .cleared, summary: nil), at: "2026-04-01")
                == "investigation 'inv' was opened at 2026-04-10T00:00:00Z; it cannot be closed at 2026-04-01T00:00:00Z"
        )
        #expect(
            refusal(DeploymentRetired(deployment: slug("uni-gpt")), at: "2025-01-01")
                == "deployment 'uni-gpt' was made at 2025-08-01T00:00:00Z; it cannot be retired at 2025-01-01T00:00:00Z"
        )
        #expect(
            refusal(IncidentResolved(incident: slug("b1"), summary: nil), at: "2026-03-01")
                == "breach 'b1' happened at 2026-03-27T00:00:00Z; it cannot be resolved at 2026-03-01T00:00:00Z")
        #expect(
            refusal(SupplyLinkEnded(vendor: slug("mercor"), provider: slug("openai")), at: "2024-01-01")
                == "the supply link from vendor 'mercor' to provider 'openai' began at 2024-06-01T00:00:00Z; it cannot end at 2024-01-01T00:00:00Z"
        )
        #expect(
            refusal(
                InvestigationOpened(investigation: slug("i2"), incident: slug("b1"), provider: slug("openai")),
                at: "2026-03-01")
                == "breach 'b1' happened at 2026-03-27T00:00:00Z; investigation 'i2' cannot be opened at 2026-03-01T00:00:00Z"
        )
        #expect(
            refusal(InvestigationFindingRecorded(investigation: slug("inv"), finding: "f"), at: "2026-04-09") != nil)
    }

    @Test func aRegistryEntryBeforeWhatItDependsOnIsRefused() {
        #expect(
            refusal(
                ModelRegistered(model: slug("old"), name: "Old", provider: slug("openai"), openWeights: false),
                at: "2010-01-01")
                == "provider 'openai' was registered at 2015-12-11T00:00:00Z; model 'old' cannot be registered at 2010-01-01T00:00:00Z"
        )
        #expect(
            refusal(
                ModelDeployed(
                    deployment: slug("d2"), organization: slug("uni"), model: slug("gpt-5"), workload: "w",
                    criticality: .low), at: "2025-01-01")
                == "model 'gpt-5' was registered at 2025-08-07T00:00:00Z; deployment 'd2' cannot run it at 2025-01-01T00:00:00Z"
        )
        #expect(
            refusal(
                ModelDeployed(
                    deployment: slug("d2"), organization: slug("uni"), model: slug("gpt-5"), workload: "w",
                    criticality: .low), at: "2019-01-01")
                == "organization 'uni' was registered at 2020-01-01T00:00:00Z; deployment 'd2' cannot be made at 2019-01-01T00:00:00Z"
        )
        #expect(
            refusal(
                SupplyLinkRecorded(vendor: slug("mercor"), provider: slug("meta"), dataKinds: [.rlhf], models: []),
                at: "2022-01-01")
                == "vendor 'mercor' was registered at 2023-01-01T00:00:00Z; a supply link from vendor 'mercor' to provider 'meta' cannot begin at 2022-01-01T00:00:00Z"
        )
        #expect(refusal(DeploymentSwitched(deployment: slug("uni-gpt"), model: slug("gpt-5")), at: "2025-01-01") != nil)
    }

    @Test func lateLoggingOfAConsistentFactIsAccepted() {
        #expect(
            refusal(InvestigationClosed(investigation: slug("inv"), outcome: .cleared, summary: nil), at: "2026-04-20")
                == nil)
        #expect(
            refusal(
                ModelDeployed(
                    deployment: slug("d2"), organization: slug("uni"), model: slug("gpt-5"), workload: "w",
                    criticality: .low), at: "2025-09-01") == nil)
        #expect(
            refusal(
                VendorPaused(provider: slug("openai"), vendor: slug("mercor"), incident: slug("b1")), at: "2026-03-28")
                == nil)
    }

    @Test func pausesDoNotOverlapOnTheTimeline() throws {
        var registry = registry()
        let pause = VendorPaused(provider: slug("openai"), vendor: slug("mercor"), incident: nil).event
        let resume = VendorResumed(provider: slug("openai"), vendor: slug("mercor")).event
        registry.apply(pause, at: time("2026-04-01"))
        #expect(
            throws: CustodyError.conflict(
                "provider 'openai' paused vendor 'mercor' at 2026-04-01T00:00:00Z; it cannot resume at 2026-03-01T00:00:00Z"
            )
        ) {
            try registry.check(resume, at: time("2026-03-01"))
        }
        registry.apply(resume, at: time("2026-05-01"))
        #expect(throws: CustodyError.self) { try registry.check(pause, at: time("2026-04-15")) }
        // An earlier pause logged late is fine, but its resume cannot run past the pause that followed it.
        try registry.check(pause, at: time("2026-02-01"))
        registry.apply(pause, at: time("2026-02-01"))
        try registry.check(resume, at: time("2026-02-10"))
        #expect(throws: CustodyError.self) { try registry.check(resume, at: time("2026-04-10")) }
        #expect(throws: CustodyError.self) {
            try registry.check(
                VendorPaused(provider: slug("openai"), vendor: slug("mercor"), incident: slug("b1")).event,
                at: time("2026-03-01"))
        }
    }

    @Test func timesOutsideTheYears1To9999AreRefused() {
        #expect(throws: CustodyError.self) { try Timestamp(parsing: "0000-01-01") }
        #expect(throws: CustodyError.self) { try Timestamp(parsing: "0001-01-01T00:30:00+01:00") }
        #expect((try? Timestamp(parsing: "0001-01-01")) != nil)
        #expect((try? Timestamp(parsing: "9999-12-31T23:59:59Z")) != nil)
        #expect(refusal(VendorRegistered(vendor: slug("x"), name: "X"), at: "2026-01-01") == nil)
        #expect(throws: CustodyError.self) {
            try registry().check(
                VendorRegistered(vendor: slug("x"), name: "X").event, at: Timestamp(microseconds: Int64.min / 2))
        }
    }
}
