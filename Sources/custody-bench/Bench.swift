import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

/// Load and data generation for scripts/bench: not part of the product, so it is its own executable.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custody-bench", abstract: "Workloads for scripts/bench.", subcommands: [Append.self, Generate.self, Fold.self, Visible.self])

    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Single-event appends through CustodyStore, N writers each on its own streams; prints events/s.")
        @Option var url: String
        @Option var writers = 1
        @Option var seconds = 10.0
        @Option(help: "Streams per writer.") var streams = 10_000

        func run() async throws {
            let databaseURL = try DatabaseURL(url)
            let payload = String(repeating: "x", count: 300)
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            let writers = self.writers
            let streams = self.streams
            let total = try await Database.with(databaseURL, maximumConnections: writers) { database in
                let store = EventStore(database)
                return try await withThrowingTaskGroup(of: Int.self) { group in
                    for writer in 0..<writers {
                        group.addTask {
                            var count = 0
                            var generator = SeededGenerator(seed: UInt64(writer + 1))
                            while ContinuousClock.now < deadline {
                                let stream = try Slug("w\(writer)-s\(generator.next() % UInt64(streams))")
                                let event = ProposedEvent(
                                    event: .investigationFindingRecorded(InvestigationFindingRecorded(investigation: stream, finding: payload)),
                                    metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: .now)
                                _ = try await store.append([event])
                                count += 1
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            print(String(format: "%.1f", Double(total) / seconds))
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A deterministic JSON Lines workload of a realistic mix of events, for `custody import`.")
        @Option var events = 1_000_000
        @Option var seed: UInt64 = 42
        @Option var out: String

        func run() async throws {
            guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                throw ValidationError("cannot write \(out)")
            }
            defer { try? handle.close() }
            var scenario = Scenario(seed: seed)
            var buffer = ""
            for index in 0..<events {
                let (event, at) = scenario.next(index)
                let line = JSONValue.object([
                    "id": .string(scenario.uuid().uuidString.lowercased()), "type": .string(event.type),
                    "data": event.data, "occurredAt": .string(at.description),
                    "metadata": .object(["actor": .string("generator"), "source": .string("bench")]),
                ]).jsonbText
                buffer += line + "\n"
                if buffer.utf8.count > 1 << 20 {
                    handle.write(Data(buffer.utf8))
                    buffer = ""
                }
            }
            handle.write(Data(buffer.utf8))
        }
    }
}

extension Bench {
    struct Fold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The pure exposure fold over N generated events in memory; prints events/s.")
        @Option var events = 1_000_000

        func run() async throws {
            var scenario = Scenario(seed: 42)
            var recorded: [RecordedEvent] = []
            recorded.reserveCapacity(events)
            for index in 0..<events {
                let (event, at) = scenario.next(index)
                recorded.append(RecordedEvent(
                    id: scenario.uuid(), stream: event.stream, version: 1, position: Int64(index + 1), event: event,
                    metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: at, recordedAt: at, hash: []))
            }
            let started = ContinuousClock.now
            var chain = SupplyChain()
            chain.apply(recorded)
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(String(format: "%.1f", Double(events) / seconds))
        }
    }

    struct Visible: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append → visible in the exposure read model, with the projector running; prints p50 and p99 ms.")
        @Option var url: String
        @Option var appends = 1000

        func run() async throws {
            let databaseURL = try DatabaseURL(url)
            let appends = self.appends
            let latencies = try await Database.with(databaseURL) { database in
                let store = EventStore(database)
                let projection = ExposureProjection(store)
                try await projection.start()
                try await projection.catchUp()
                let runner = Task { try await projection.run(pollInterval: .milliseconds(500)) }
                defer { runner.cancel() }
                var base = try await ExposureProjection.checkpoint(database)?.events ?? 0
                var latencies: [Double] = []
                for index in 0..<appends {
                    let event = ProposedEvent(
                        event: .investigationFindingRecorded(InvestigationFindingRecorded(investigation: try Slug("visible"), finding: "f\(index)")),
                        metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: .now)
                    let started = ContinuousClock.now
                    _ = try await store.append([event])
                    base += 1
                    while try await ExposureProjection.checkpoint(database)?.events ?? 0 < base {
                        try await Task.sleep(for: .microseconds(200))
                    }
                    let elapsed = ContinuousClock.now - started
                    latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                }
                return latencies.sorted()
            }
            let p50 = latencies[latencies.count / 2]
            let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
            print(String(format: "%.2f %.2f", p50, p99))
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
        return UUID(uuid: withUnsafeBytes(of: (a, b)) { bytes in
            var t: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &t) { $0.copyMemory(from: bytes) }
            t.6 = (t.6 & 0x0F) | 0x40
            t.8 = (t.8 & 0x3F) | 0x80
            return t
        })
    }

    func slug(_ text: String) -> Slug { (try? Slug(text)) ?? Slug.fallback }

    mutating func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }

    mutating func next(_ index: Int) -> (DomainEvent, Timestamp) {
        let at = start.adding(seconds: Int64(index) * 30)
        var n = index
        if n < vendors { return (.vendorRegistered(VendorRegistered(vendor: slug("v\(n)"), name: "Vendor \(n)")), at) }
        n -= vendors
        if n < providers { return (.providerRegistered(ProviderRegistered(provider: slug("p\(n)"), name: "Provider \(n)")), at) }
        n -= providers
        if n < models {
            return (.modelRegistered(ModelRegistered(
                model: slug("m\(n)"), name: "Model \(n)", provider: slug("p\(n % providers)"), openWeights: n % 3 == 0)), at)
        }
        n -= models
        if n < links {
            return (.supplyLinkRecorded(SupplyLinkRecorded(
                vendor: slug("v\(n % vendors)"), provider: slug("p\(n % providers)"),
                dataKinds: [DataKind.allCases[n % 4]], models: [])), at)
        }
        n -= links
        if n < organizations {
            return (.organizationRegistered(OrganizationRegistered(organization: slug("o\(n)"), name: "Org \(n)", sector: "education")), at)
        }
        n -= organizations
        if n < deployments {
            return (.modelDeployed(ModelDeployed(
                deployment: slug("d\(n)"), organization: slug("o\(n % organizations)"), model: slug("m\(pick(models))"),
                workload: "workload \(n)", criticality: Criticality.allCases[pick(4)])), at)
        }
        let roll = pick(10_000)
        // Breaches are rare: a few dozen in a log of a million events, each reaching thousands of deployments.
        if (roll < 2 && incidents < 40) || incidents == 0 {
            incidents += 1
            // Vendor k supplies provider k % 10 with data kind k % 4 (the links above): a breach names that kind
            // or leaves it unknown, and every client, so it really reaches that provider's deployments.
            let vendor = pick(vendors)
            let kinds = pick(2) == 0 ? [DataKind.allCases[vendor % 4]] : []
            return (.breachReported(BreachReported(
                incident: slug("i\(incidents)"), vendor: slug("v\(vendor)"), severity: Severity.allCases[pick(4)],
                summary: "Generated breach \(incidents)", dataKinds: kinds, providers: [], sources: [], disclosedAt: nil)), at)
        }
        if (roll < 20 && investigations < 400) || investigations == 0 {
            investigations += 1
            return (.investigationOpened(InvestigationOpened(
                investigation: slug("n\(investigations)"), incident: slug("i\(pick(incidents) + 1)"), provider: slug("p\(pick(providers))"))), at)
        }
        if roll < 30 {
            let pair = pick(providers * vendors)
            let event: DomainEvent = paused.contains(pair)
                ? .vendorResumed(VendorResumed(provider: slug("p\(pair % providers)"), vendor: slug("v\(pair / providers)")))
                : .vendorPaused(VendorPaused(provider: slug("p\(pair % providers)"), vendor: slug("v\(pair / providers)"), incident: nil))
            if paused.contains(pair) { paused.remove(pair) } else { paused.insert(pair) }
            return (event, at)
        }
        if roll < 32 {
            return (.breachScopeRevised(BreachScopeRevised(
                incident: slug("i\(pick(incidents) + 1)"), dataKinds: nil, providers: nil, severity: Severity.allCases[pick(4)], reason: "revised")), at)
        }
        return (.investigationFindingRecorded(InvestigationFindingRecorded(
            investigation: slug("n\(pick(investigations) + 1)"), finding: "Finding \(index): contractor workspace reviewed")), at)
    }
}

extension Slug {
    static let fallback: Slug = {
        guard let slug = try? Slug("x") else { fatalError("a valid literal slug") }
        return slug
    }()
}
