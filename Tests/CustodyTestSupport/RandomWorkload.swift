import CustodyCore
import Foundation

/// Seeded random logs over every event type, on a small world (3 vendors, 3 providers, 5 models, 4
/// organizations, 10 deployments, 4 incidents, 6 investigations) so that events keep touching the same things,
/// stamped at random times (back-dated and out of order), as an oracle's input.
public struct RandomWorkload {
    var random: SeededGenerator
    /// Facts happen between `start` and `start + span` seconds.
    public let start = Timestamp(microseconds: 1_704_067_200_000_000)  // 2024-01-01
    public let span: Int64 = 2 * 365 * 86_400

    public init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }
    mutating func chance(_ percent: Int) -> Bool { pick(100) < percent }
    func s(_ text: String) -> Slug { Fixture.slug(text) }

    /// A time in the workload's span.
    public mutating func time() -> Timestamp { start.adding(seconds: Int64(random.next() % UInt64(span))) }

    mutating func kinds() -> [DataKind] { DataKind.allCases.filter { _ in chance(40) } }
    mutating func providers() -> [Slug] { chance(60) ? [] : (0..<3).filter { _ in chance(50) }.map { s("p\($0)") } }

    /// One random fact; every id is drawn from the small world, each thing always with the same owner (a
    /// deployment's organization, an incident's vendor, an investigation's incident and provider).
    public mutating func event() -> DomainEvent {
        let deployment = pick(10)
        let incident = pick(4)
        let investigation = pick(6)
        let d = s("d\(deployment)")
        let i = s("i\(incident)")
        let n = s("n\(investigation)")
        let v = s("v\(pick(3))")
        let p = s("p\(pick(3))")
        let m = s("m\(pick(5))")
        let o = s("o\(deployment % 4)")
        switch pick(22) {
        case 0: return .vendorRegistered(VendorRegistered(vendor: v, name: "Vendor \(v)"))
        case 1: return .providerRegistered(ProviderRegistered(provider: p, name: "Provider \(p)"))
        case 2, 3:
            let model = pick(5)
            return .modelRegistered(
                ModelRegistered(
                    model: s("m\(model)"), name: "Model \(model)", provider: s("p\(model % 3)"), openWeights: chance(50)
                ))
        case 4, 5:
            return .supplyLinkRecorded(
                SupplyLinkRecorded(
                    vendor: v, provider: p, dataKinds: kinds().isEmpty ? [.rlhf] : kinds(),
                    models: chance(70) ? [] : [m]))
        case 6: return .supplyLinkEnded(SupplyLinkEnded(vendor: v, provider: p))
        case 7:
            return chance(10)
                ? .supplyLinkRetracted(SupplyLinkRetracted(vendor: v, provider: p, reason: "mistake"))
                : .supplyLinkRecorded(
                    SupplyLinkRecorded(vendor: v, provider: p, dataKinds: DataKind.allCases, models: []))
        case 8:
            return .organizationRegistered(
                OrganizationRegistered(organization: o, name: "Org \(o) \(pick(2))", sector: "health"))
        case 9, 10:
            return .modelDeployed(
                ModelDeployed(
                    deployment: d, organization: o, model: m, workload: "w\(pick(3))",
                    criticality: Criticality.allCases[pick(4)]))
        case 11:
            return chance(30)
                ? .deploymentRetired(DeploymentRetired(deployment: d))
                : .modelDeployed(
                    ModelDeployed(deployment: d, organization: o, model: m, workload: "w", criticality: .low))
        case 12: return .deploymentSwitched(DeploymentSwitched(deployment: d, model: m))
        case 13:
            return .deploymentUpdated(
                DeploymentUpdated(
                    deployment: d, workload: chance(50) ? "w\(pick(3))" : nil, criticality: chance(50) ? .critical : nil
                ))
        case 14, 15:
            return .breachReported(
                BreachReported(
                    incident: i, vendor: s("v\(incident % 3)"), severity: Severity.allCases[pick(4)], summary: "s",
                    dataKinds: kinds(),
                    providers: providers(), sources: [], disclosedAt: nil))
        case 16:
            return .breachScopeRevised(
                BreachScopeRevised(
                    incident: i, dataKinds: chance(50) ? kinds() : nil, providers: chance(50) ? providers() : nil,
                    severity: chance(50) ? Severity.allCases[pick(4)] : nil, reason: "r"))
        case 17:
            return chance(70)
                ? .vendorPaused(VendorPaused(provider: p, vendor: v, incident: nil))
                : .vendorResumed(VendorResumed(provider: p, vendor: v))
        case 18:
            return chance(60)
                ? .investigationOpened(
                    InvestigationOpened(
                        investigation: n, incident: s("i\(investigation % 4)"), provider: s("p\(investigation % 3)")))
                : .investigationClosed(
                    InvestigationClosed(investigation: n, outcome: InvestigationOutcome.allCases[pick(3)], summary: nil)
                )
        case 19:
            return chance(85)
                ? .incidentResolved(IncidentResolved(incident: i, summary: nil))
                : .incidentRetracted(IncidentRetracted(incident: i, reason: "wrong"))
        case 20:
            let state = ResponseState.allCases[pick(ResponseState.allCases.count)]
            return .exposureResponseRecorded(
                ExposureResponseRecorded(
                    organization: o, incident: i, deployment: chance(50) ? d : nil, provider: chance(50) ? nil : p,
                    state: state, owner: "ciso",
                    justification: state == .notAffected ? .noSensitiveWorkload : nil))
        default: return .investigationFindingRecorded(InvestigationFindingRecorded(investigation: n, finding: "f"))
        }
    }

    /// `count` facts to append, in random order (a registration often arrives after what depends on it). The
    /// supply chain tends to exist before the incidents, so that most logs expose something.
    public mutating func proposed(count: Int) -> [ProposedEvent] {
        (0..<count).map { _ in
            let event = event()
            var occurredAt = time()
            switch event {
            case .modelRegistered, .supplyLinkRecorded, .organizationRegistered, .modelDeployed:
                if chance(80) { occurredAt = start.adding(seconds: Int64(random.next() % UInt64(span / 4))) }
            default: break
            }
            return ProposedEvent(
                id: UUID(), event: event, metadata: EventMetadata(actor: "test", source: "test"), occurredAt: occurredAt
            )
        }
    }

    /// The same as recorded events, positions in order, each recorded at `recordedAt`.
    public mutating func recorded(count: Int, recordedAt: Timestamp) -> [RecordedEvent] {
        Fixture.recorded(proposed(count: count), at: recordedAt)
    }

    /// A number below `count`, for tests that draw page sizes and failure points from the same seed.
    public mutating func below(_ count: Int) -> Int { pick(count) }
}
