import CustodyCore
import Foundation

/// A mixed workload: a supply chain, organizations and deployments, then incidents, pauses, investigations,
/// revisions and retirements, some back-dated, in the order they would be logged.
public enum Workload {
    public static func mixed(organizations: Int = 6) -> [ProposedEvent] {
        let s = Fixture.slug
        var events: [ProposedEvent] = []
        func add(_ payload: any EventPayload, _ at: String) { events.append(Fixture.proposed(payload, at: at)) }
        for vendor in ["mercor", "scale-ai", "appen"] {
            add(VendorRegistered(vendor: s(vendor), name: vendor), "2020-01-01")
        }
        for provider in ["openai", "anthropic", "meta"] {
            add(ProviderRegistered(provider: s(provider), name: provider), "2015-01-01")
        }
        add(ModelRegistered(model: s("gpt-5"), name: "GPT-5", provider: s("openai"), openWeights: false), "2025-08-01")
        add(
            ModelRegistered(model: s("claude"), name: "Claude", provider: s("anthropic"), openWeights: false),
            "2025-05-01")
        add(ModelRegistered(model: s("llama-4"), name: "Llama 4", provider: s("meta"), openWeights: true), "2025-04-01")
        add(
            SupplyLinkRecorded(vendor: s("mercor"), provider: s("openai"), dataKinds: [.rlhf], models: []), "2024-06-01"
        )
        add(
            SupplyLinkRecorded(vendor: s("mercor"), provider: s("anthropic"), dataKinds: [.redTeaming], models: []),
            "2024-09-01")
        add(
            SupplyLinkRecorded(vendor: s("mercor"), provider: s("meta"), dataKinds: [.rlhf], models: [s("llama-4")]),
            "2024-03-01")
        add(
            SupplyLinkRecorded(
                vendor: s("scale-ai"), provider: s("openai"), dataKinds: [.instructionFollowing], models: []),
            "2020-01-01")
        let models = ["gpt-5", "claude", "llama-4"]
        for index in 0..<organizations {
            add(
                OrganizationRegistered(organization: s("org-\(index)"), name: "Org \(index)", sector: "education"),
                "2021-01-01")
            for deployment in 0..<3 {
                add(
                    ModelDeployed(
                        deployment: s("d-\(index)-\(deployment)"), organization: s("org-\(index)"),
                        model: s(models[(index + deployment) % 3]), workload: "w",
                        criticality: Criticality.allCases[deployment]),
                    "2025-10-0\(deployment + 1)")
            }
        }
        add(
            BreachReported(
                incident: s("b1"), vendor: s("mercor"), severity: .high, summary: "s", dataKinds: [], providers: [],
                sources: [], disclosedAt: nil), "2026-03-27")
        add(VendorPaused(provider: s("meta"), vendor: s("mercor"), incident: s("b1")), "2026-04-01")
        add(InvestigationOpened(investigation: s("oi"), incident: s("b1"), provider: s("openai")), "2026-04-01")
        add(
            BreachReported(
                incident: s("b2"), vendor: s("scale-ai"), severity: .low, summary: "s",
                dataKinds: [.instructionFollowing], providers: [], sources: [], disclosedAt: nil), "2026-02-01")
        add(InvestigationClosed(investigation: s("oi"), outcome: .confirmed, summary: nil), "2026-04-20")
        add(
            BreachScopeRevised(incident: s("b1"), dataKinds: [.rlhf], providers: nil, severity: .critical, reason: "r"),
            "2026-04-21")
        add(DeploymentRetired(deployment: s("d-0-0")), "2026-05-01")
        add(InvestigationOpened(investigation: s("ai"), incident: s("b1"), provider: s("anthropic")), "2026-04-02")
        add(InvestigationClosed(investigation: s("ai"), outcome: .cleared, summary: nil), "2026-04-15")
        add(IncidentResolved(incident: s("b2"), summary: nil), "2026-06-01")
        return events
    }
}
