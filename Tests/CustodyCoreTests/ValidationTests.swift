import CustodyCore
import Testing

@Suite struct ValidationTests {
    func slug(_ text: String) -> Slug {
        guard let slug = try? Slug(text) else { preconditionFailure(text) }
        return slug
    }

    /// A registry with mercor supplying openai, gpt-5 deployed, one breach and one open investigation.
    func registry() -> Registry {
        var registry = Registry()
        let events: [any EventPayload] = [
            VendorRegistered(vendor: slug("mercor"), name: "Mercor"),
            ProviderRegistered(provider: slug("openai"), name: "OpenAI"),
            ProviderRegistered(provider: slug("meta"), name: "Meta"),
            ModelRegistered(model: slug("gpt-5"), name: "GPT-5", provider: slug("openai"), openWeights: false),
            SupplyLinkRecorded(vendor: slug("mercor"), provider: slug("openai"), dataKinds: [.rlhf], models: []),
            OrganizationRegistered(organization: slug("uni"), name: "Uni", sector: "education"),
            BreachReported(
                incident: slug("b1"), vendor: slug("mercor"), severity: .high, summary: "s", dataKinds: [], providers: [],
                sources: [], disclosedAt: nil),
            InvestigationOpened(investigation: slug("inv"), incident: slug("b1"), provider: slug("openai")),
        ]
        for event in events { registry.apply(event.event) }
        return registry
    }

    func refusal(_ payload: any EventPayload) -> String? {
        do {
            try registry().check(payload.event)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aModelOfAnUnknownProviderIsRefused() {
        #expect(refusal(ModelRegistered(model: slug("m"), name: "M", provider: slug("nobody"), openWeights: false)) == "unknown provider 'nobody'")
    }

    @Test func aBreachAtAnUnknownVendorIsRefused() {
        let breach = BreachReported(
            incident: slug("b2"), vendor: slug("acme"), severity: .low, summary: "s", dataKinds: [], providers: [], sources: [],
            disclosedAt: nil)
        #expect(refusal(breach) == "unknown vendor 'acme'")
    }

    @Test func anInvestigationOfAnUnknownIncidentIsRefused() {
        #expect(refusal(InvestigationOpened(investigation: slug("i2"), incident: slug("nope"), provider: slug("openai"))) == "unknown incident 'nope'")
    }

    @Test func closingAnInvestigationTwiceIsRefused() {
        var registry = registry()
        registry.apply(.investigationClosed(InvestigationClosed(investigation: slug("inv"), outcome: .cleared, summary: nil)))
        #expect(throws: CustodyError.conflict("investigation 'inv' is not open (it was closed)")) {
            try registry.check(.investigationClosed(InvestigationClosed(investigation: slug("inv"), outcome: .confirmed, summary: nil)))
        }
    }

    @Test func aSupplyLinkNamingAnotherProvidersModelIsRefused() {
        let link = SupplyLinkRecorded(vendor: slug("mercor"), provider: slug("meta"), dataKinds: [.rlhf], models: [slug("gpt-5")])
        #expect(refusal(link) == "model 'gpt-5' belongs to provider 'openai', not 'meta'")
    }

    @Test func deployingAnUnknownModelIsRefused() {
        let deploy = ModelDeployed(deployment: slug("d"), organization: slug("uni"), model: slug("gpt-9"), workload: "w", criticality: .low)
        #expect(refusal(deploy) == "unknown model 'gpt-9'")
    }

    @Test func registeringTwiceIsRefused() {
        #expect(refusal(VendorRegistered(vendor: slug("mercor"), name: "M")) == "vendor 'mercor' is already registered")
    }

    @Test func resumingWithoutAPauseIsRefused() {
        #expect(refusal(VendorResumed(provider: slug("openai"), vendor: slug("mercor"))) == "provider 'openai' has not paused vendor 'mercor'")
    }

    @Test func textWithNULIsRefused() {
        #expect(refusal(OrganizationRegistered(organization: slug("o2"), name: "bad\u{0}name", sector: "x"))?.contains("without NUL") == true)
    }

    @Test func acceptedFactsPass() {
        #expect(refusal(VendorPaused(provider: slug("openai"), vendor: slug("mercor"), incident: slug("b1"))) == nil)
        #expect(refusal(InvestigationFindingRecorded(investigation: slug("inv"), finding: "f")) == nil)
    }

    @Test(arguments: ["Mercor", "-x", "a_b", "", String(repeating: "a", count: 65), "é"])
    func invalidSlugsAreRefused(text: String) {
        #expect(throws: CustodyError.self) { try Slug(text) }
    }
}
