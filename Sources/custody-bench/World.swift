import CustodyCore
import Foundation

/// New facts about the generated world (`Scenario`), of each kind whose cost the read models feel differently.
struct LiveWorld {
    enum Kind: String, CaseIterable {
        case finding, pause
        case investigationOpened = "investigation_opened"
        case investigationClosed = "investigation_closed"
        case deployment, response, breach

        /// What a busy day's import holds: mostly findings and responses, some pauses, investigations and
        /// deployments, a breach now and then.
        static let mix: [Kind] =
            [
                .finding, .finding, .finding, .finding, .response, .response, .response, .pause, .investigationOpened,
                .investigationClosed, .deployment, .deployment,
            ] + Array(repeating: .finding, count: 487) + [.breach]
    }

    let chain: SupplyChain
    let exposures: [Exposure]
    var opened: [Slug] = []
    var paused = Set<Int>()
    var counter = 0
    /// In the ids of what it makes: a second run on the same database makes new deployments, incidents and
    /// investigations instead of repeating the first run's (which redeployed them, and made pages share rows).
    let run = UUID().uuidString.prefix(6).lowercased()

    init(chain: SupplyChain) {
        self.chain = chain
        exposures = chain.exposures(at: .now).filter(\.isCurrent)
    }

    func slug(_ text: String) throws -> Slug { try Slug(text) }

    mutating func next(_ kind: Kind, _ index: Int) throws -> DomainEvent {
        counter += 1
        let row = exposures[(counter * 7919) % max(1, exposures.count)]
        switch kind {
        case .finding:
            return .investigationFindingRecorded(
                InvestigationFindingRecorded(investigation: try slug("n1"), finding: "bench finding \(counter)"))
        case .pause:
            // A provider pausing (and later resuming) the vendor behind one of its exposures.
            let pair = counter % 20
            let provider = try slug("p\(pair % 10)")
            let vendor = try slug("v\(pair)")
            defer { if paused.contains(pair) { paused.remove(pair) } else { paused.insert(pair) } }
            return paused.contains(pair)
                ? .vendorResumed(VendorResumed(provider: provider, vendor: vendor))
                : .vendorPaused(VendorPaused(provider: provider, vendor: vendor, incident: nil))
        case .investigationOpened:
            let id = try slug("bench-\(run)-n\(counter)")
            opened.append(id)
            return .investigationOpened(
                InvestigationOpened(investigation: id, incident: row.incident, provider: row.provider))
        case .investigationClosed:
            let id = opened.isEmpty ? try slug("n1") : opened.removeFirst()
            return .investigationClosed(InvestigationClosed(investigation: id, outcome: .inconclusive, summary: nil))
        case .deployment:
            return .modelDeployed(
                ModelDeployed(
                    deployment: try slug("bench-\(run)-d\(counter)"), organization: row.organization, model: row.model,
                    workload: "bench",
                    criticality: .high))
        case .response:
            return .exposureResponseRecorded(
                ExposureResponseRecorded(
                    organization: row.organization, incident: row.incident, deployment: row.deployment, provider: nil,
                    state: .acknowledged, owner: "bench \(counter)"))
        case .breach:
            // Every client of a vendor, any kind of data: it reaches that provider's ~2,000 deployments.
            return .breachReported(
                BreachReported(
                    incident: try slug("bench-\(run)-i\(counter)"), vendor: try slug("v\(counter % 20)"),
                    severity: .critical,
                    summary: "bench breach", dataKinds: [], providers: [], sources: [], disclosedAt: nil))
        }
    }
}

/// A reproducible supply chain and its incidents: a registry of 20 vendors, 10 providers, 60 models, 1,000
/// organizations and 20,000 deployments first, then a long tail of incident work (findings mostly, with pauses,
/// resumptions, scope revisions, investigations and a breach now and then), as a busy log would hold.
struct Scenario {
    var random: SeededGenerator
    var incidents = 0
    var investigations = 0
    var paused = Set<Int>()
    let vendors = 20
    let providers = 10
    let models = 60
    let organizations = 1000
    let deployments = 20_000
    let links = 40
    let start = Timestamp(microseconds: 1_600_000_000_000_000)

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func uuid() -> UUID {
        let a = random.next()
        let b = random.next()
        return UUID(
            uuid: withUnsafeBytes(of: (a, b)) { bytes in
                var t: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                withUnsafeMutableBytes(of: &t) { $0.copyMemory(from: bytes) }
                t.6 = (t.6 & 0x0F) | 0x40
                t.8 = (t.8 & 0x3F) | 0x80
                return t
            })
    }

    func slug(_ text: String) -> Slug { (try? Slug(text)) ?? Slug.fallback }

    mutating func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }

    /// The `index`th event as a line of `custody import`'s input.
    mutating func line(_ index: Int) -> String {
        let (event, at) = next(index)
        return JSONValue.object([
            "id": .string(uuid().uuidString.lowercased()), "type": .string(event.type),
            "data": event.data, "occurredAt": .string(at.description),
            "metadata": .object(["actor": .string("generator"), "source": .string("bench")]),
        ]).jsonbText
    }

    mutating func next(_ index: Int) -> (DomainEvent, Timestamp) {
        let at = start.adding(seconds: Int64(index) * 30)
        var n = index
        if n < vendors { return (.vendorRegistered(VendorRegistered(vendor: slug("v\(n)"), name: "Vendor \(n)")), at) }
        n -= vendors
        if n < providers {
            return (.providerRegistered(ProviderRegistered(provider: slug("p\(n)"), name: "Provider \(n)")), at)
        }
        n -= providers
        if n < models {
            return (
                .modelRegistered(
                    ModelRegistered(
                        model: slug("m\(n)"), name: "Model \(n)", provider: slug("p\(n % providers)"),
                        openWeights: n % 3 == 0)), at
            )
        }
        n -= models
        if n < links {
            // Vendor k supplies provider k % 10, then (k + 1) % 10: one open link per pair, as the rules demand.
            return (
                .supplyLinkRecorded(
                    SupplyLinkRecorded(
                        vendor: slug("v\(n % vendors)"), provider: slug("p\((n + n / vendors) % providers)"),
                        dataKinds: [DataKind.allCases[n % 4]], models: [])), at
            )
        }
        n -= links
        if n < organizations {
            return (
                .organizationRegistered(
                    OrganizationRegistered(organization: slug("o\(n)"), name: "Org \(n)", sector: "education")), at
            )
        }
        n -= organizations
        if n < deployments {
            return (
                .modelDeployed(
                    ModelDeployed(
                        deployment: slug("d\(n)"), organization: slug("o\(n % organizations)"),
                        model: slug("m\(pick(models))"),
                        workload: "workload \(n)", criticality: Criticality.allCases[pick(4)])), at
            )
        }
        let roll = pick(10_000)
        // Breaches are rare: a few dozen in a log of a million events, each reaching thousands of deployments.
        if (roll < 2 && incidents < 40) || incidents == 0 {
            incidents += 1
            // Vendor k supplies provider k % 10 with data kind k % 4 (the links above): a breach names that kind
            // or leaves it unknown, and every client, so it really reaches that provider's deployments.
            let vendor = pick(vendors)
            let kinds = pick(2) == 0 ? [DataKind.allCases[vendor % 4]] : []
            return (
                .breachReported(
                    BreachReported(
                        incident: slug("i\(incidents)"), vendor: slug("v\(vendor)"),
                        severity: Severity.allCases[pick(4)],
                        summary: "Generated breach \(incidents)", dataKinds: kinds, providers: [], sources: [],
                        disclosedAt: nil)), at
            )
        }
        if (roll < 20 && investigations < 400) || investigations == 0 {
            investigations += 1
            return (
                .investigationOpened(
                    InvestigationOpened(
                        investigation: slug("n\(investigations)"), incident: slug("i\(pick(incidents) + 1)"),
                        provider: slug("p\(pick(providers))"))), at
            )
        }
        if roll < 30 {
            let pair = pick(providers * vendors)
            let event: DomainEvent =
                paused.contains(pair)
                ? .vendorResumed(
                    VendorResumed(provider: slug("p\(pair % providers)"), vendor: slug("v\(pair / providers)")))
                : .vendorPaused(
                    VendorPaused(
                        provider: slug("p\(pair % providers)"), vendor: slug("v\(pair / providers)"), incident: nil))
            if paused.contains(pair) { paused.remove(pair) } else { paused.insert(pair) }
            return (event, at)
        }
        if roll < 32 {
            return (
                .breachScopeRevised(
                    BreachScopeRevised(
                        incident: slug("i\(pick(incidents) + 1)"), dataKinds: nil, providers: nil,
                        severity: Severity.allCases[pick(4)], reason: "revised")), at
            )
        }
        return (
            .investigationFindingRecorded(
                InvestigationFindingRecorded(
                    investigation: slug("n\(pick(investigations) + 1)"),
                    finding: "Finding \(index): contractor workspace reviewed")), at
        )
    }
}

extension Slug {
    static let fallback: Slug = {
        guard let slug = try? Slug("x") else { fatalError("a valid literal slug") }
        return slug
    }()
}
