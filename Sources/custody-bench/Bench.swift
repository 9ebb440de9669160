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

/// A reproducible supply chain growing over time: registry first, then incidents, pauses and investigations.
struct Scenario {
    var random: SeededGenerator
    var organizations = 0
    var deployments = 0
    var incidents = 0
    var investigations = 0
    let vendors = 20
    let providers = 10
    let models = 60
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

    mutating func next(_ index: Int) -> (DomainEvent, Timestamp) {
        let at = start.adding(seconds: Int64(index) * 60)
        if index < vendors { return (.vendorRegistered(VendorRegistered(vendor: slug("v\(index)"), name: "Vendor \(index)")), at) }
        if index < vendors + providers {
            let p = index - vendors
            return (.providerRegistered(ProviderRegistered(provider: slug("p\(p)"), name: "Provider \(p)")), at)
        }
        if index < vendors + providers + models {
            let m = index - vendors - providers
            return (.modelRegistered(ModelRegistered(model: slug("m\(m)"), name: "Model \(m)", provider: slug("p\(m % providers)"), openWeights: m % 3 == 0)), at)
        }
        let roll = random.next() % 100
        switch roll {
        case 0..<5:
            organizations += 1
            return (.organizationRegistered(OrganizationRegistered(organization: slug("o\(organizations)"), name: "Org \(organizations)", sector: "education")), at)
        case 5..<60 where organizations > 0:
            deployments += 1
            let org = Int(random.next() % UInt64(organizations)) + 1
            return (.modelDeployed(ModelDeployed(
                deployment: slug("d\(deployments)"), organization: slug("o\(org)"), model: slug("m\(random.next() % UInt64(models))"),
                workload: "workload \(deployments)", criticality: Criticality.allCases[Int(random.next() % 4)])), at)
        case 60..<62:
            incidents += 1
            return (.breachReported(BreachReported(
                incident: slug("i\(incidents)"), vendor: slug("v\(random.next() % UInt64(vendors))"), severity: Severity.allCases[Int(random.next() % 4)],
                summary: "Generated breach \(incidents)", dataKinds: [DataKind.allCases[Int(random.next() % 4)]], providers: [],
                sources: [], disclosedAt: nil)), at)
        case 62..<70 where incidents > 0:
            investigations += 1
            return (.investigationOpened(InvestigationOpened(
                investigation: slug("n\(investigations)"), incident: slug("i\(Int(random.next() % UInt64(incidents)) + 1)"),
                provider: slug("p\(random.next() % UInt64(providers))"))), at)
        case 70..<100 where investigations > 0:
            let n = Int(random.next() % UInt64(investigations)) + 1
            return (.investigationFindingRecorded(InvestigationFindingRecorded(investigation: slug("n\(n)"), finding: "Finding at \(index)")), at)
        default:
            return (.supplyLinkRecorded(SupplyLinkRecorded(
                vendor: slug("v\(random.next() % UInt64(vendors))"), provider: slug("p\(random.next() % UInt64(providers))"),
                dataKinds: [.rlhf], models: [])), at)
        }
    }
}

extension Slug {
    static let fallback: Slug = {
        guard let slug = try? Slug("x") else { fatalError("a valid literal slug") }
        return slug
    }()
}
