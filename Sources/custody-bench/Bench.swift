import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation
import Logging
import Synchronization

/// Load and data generation for scripts/bench: not part of the product, so it is its own executable.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custody-bench", abstract: "Workloads for scripts/bench.",
        subcommands: [
            Append.self, Generate.self, Fold.self, Visible.self, Throughput.self, Webhooks.self, ReplicaVisible.self,
            Parse.self,
        ])

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
                                    id: UUID(),
                                    event: .investigationFindingRecorded(
                                        InvestigationFindingRecorded(investigation: stream, finding: payload)),
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
            guard FileManager.default.createFile(atPath: out, contents: nil),
                let handle = FileHandle(forWritingAtPath: out)
            else {
                throw ValidationError("cannot write \(out)")
            }
            defer { try? handle.close() }
            var scenario = Scenario(seed: seed)
            var buffer = ""
            for index in 0..<events {
                buffer += scenario.line(index) + "\n"
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
                recorded.append(
                    RecordedEvent(
                        id: scenario.uuid(), stream: event.stream, version: 1, position: Int64(index + 1), event: event,
                        metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: at, recordedAt: at,
                        hash: []))
            }
            let started = ContinuousClock.now
            var chain = SupplyChain()
            chain.apply(recorded)
            let seconds = (ContinuousClock.now - started).seconds
            print(String(format: "%.1f", Double(events) / seconds))
        }
    }

    struct Visible: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Append → visible in the exposure read model, with the projector running, per kind of event; prints JSON.",
            discussion: """
                Run it against the full bench database (the generated world, its read models rebuilt): each kind of
                fact is appended `--samples` times, one at a time, and timed from the append until the projector has
                committed it. Prints {"kind": {"p50": ms, "p99": ms, "max": ms, "rows": changed rows}, …}.
                """)
        @Option var url: String
        @Option var samples = 50
        @Option(help: "Only these kinds (comma-separated), for profiling one.") var kinds: String?

        func run() async throws {
            let databaseURL = try DatabaseURL(url)
            let samples = self.samples
            let chosen =
                kinds.map { $0.split(separator: ",").compactMap { LiveWorld.Kind(rawValue: String($0)) } }
                ?? LiveWorld.Kind.allCases
            let report = try await LiveProjector.with(databaseURL) { store, projection, committed in
                var world = LiveWorld(chain: await projection.chain)
                let runner = Task { try await projection.run() }
                defer { runner.cancel() }
                // A running projector has taken the lead and is listening before anyone appends: one fact, not
                // measured, waits for both.
                let warm = committed.withLock { $0 }
                _ = try await store.append([
                    ProposedEvent(
                        id: UUID(), event: try world.next(.finding, 0),
                        metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: .now)
                ])
                while committed.withLock({ $0 }) <= warm { try await Task.sleep(for: .milliseconds(1)) }
                try await Task.sleep(for: .seconds(1))
                var report: [String: [String: Double]] = [:]
                for kind in chosen {
                    var latencies: [Double] = []
                    for index in 0..<(kind == .breach ? max(3, samples / 5) : samples) {
                        let event = try world.next(kind, index)
                        let before = committed.withLock { $0 }
                        let started = ContinuousClock.now
                        _ = try await store.append([
                            ProposedEvent(
                                id: UUID(), event: event, metadata: EventMetadata(actor: "bench", source: "bench"),
                                occurredAt: .now)
                        ])
                        while committed.withLock({ $0 }) <= before { try await Task.sleep(for: .microseconds(100)) }
                        latencies.append(milliseconds(ContinuousClock.now - started))
                    }
                    latencies.sort()
                    report[kind.rawValue] = [
                        "p50": latencies[latencies.count / 2],
                        "p99": latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
                        "max": latencies[latencies.count - 1], "samples": Double(latencies.count),
                    ]
                }
                return report
            }
            print(
                JSONValue.object(report.mapValues { .object($0.mapValues { .number(String(format: "%.2f", $0)) }) })
                    .jsonbText)
        }
    }

    struct Throughput: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Events/s the projector applies when a batch of mixed events lands in the live database at once.")
        @Option var url: String
        @Option var events = 10_000

        func run() async throws {
            let databaseURL = try DatabaseURL(url)
            let count = events
            let rate = try await LiveProjector.with(databaseURL) { store, projection, committed in
                var world = LiveWorld(chain: await projection.chain)
                var batch: [ProposedEvent] = []
                for index in 0..<count {
                    let kind = LiveWorld.Kind.mix[index % LiveWorld.Kind.mix.count]
                    batch.append(
                        ProposedEvent(
                            id: UUID(), event: try world.next(kind, index),
                            metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: .now))
                }
                // The leader is running and following before the batch lands (its start, a fold of the whole log,
                // is not what is measured): one fact, not counted, waits for that.
                let runner = Task { try await projection.run() }
                defer { runner.cancel() }
                let warm = committed.withLock { $0 }
                _ = try await store.append([
                    ProposedEvent(
                        id: UUID(), event: try world.next(.finding, 0),
                        metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: .now)
                ])
                while committed.withLock({ $0 }) <= warm { try await Task.sleep(for: .milliseconds(1)) }
                let before = committed.withLock { $0 }
                // The batch commits as one import would, then the projector (already following) applies it.
                _ = try await store.append(batch)
                let started = ContinuousClock.now
                while committed.withLock({ $0 }) < before + Int64(count) { try await Task.sleep(for: .milliseconds(1)) }
                return Double(count) / (milliseconds(ContinuousClock.now - started) / 1000)
            }
            print(String(format: "%.1f", rate))
        }
    }
}

/// A projector in this process, caught up with the log, telling how many events it has committed.
enum LiveProjector {
    static func with<R: Sendable>(
        _ url: DatabaseURL, _ body: (EventStore, ExposureProjection, borrowing Mutex<Int64>) async throws -> R
    ) async throws -> R {
        // CUSTODY_BENCH_LOG_LEVEL=debug prints where each page's time went (the projector's "applied a page").
        var logger = Logger(label: "custody.bench")
        logger.logLevel =
            ProcessInfo.processInfo.environment["CUSTODY_BENCH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? .info
        return try await Database.with(url, logger: logger) { database in
            let store = EventStore(database)
            let committed = Mutex<Int64>(0)
            let projection = ExposureProjection(store) { _, _, checkpoint in
                committed.withLock { $0 = checkpoint.events }
            }
            try await projection.start()
            try await projection.catchUp()
            return try await body(store, projection, committed)
        }
    }
}

func milliseconds(_ duration: Duration) -> Double {
    duration.seconds * 1000
}

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
            let id = try slug("bench-n\(counter)")
            opened.append(id)
            return .investigationOpened(
                InvestigationOpened(investigation: id, incident: row.incident, provider: row.provider))
        case .investigationClosed:
            let id = opened.isEmpty ? try slug("n1") : opened.removeFirst()
            return .investigationClosed(InvestigationClosed(investigation: id, outcome: .inconclusive, summary: nil))
        case .deployment:
            return .modelDeployed(
                ModelDeployed(
                    deployment: try slug("bench-d\(counter)"), organization: row.organization, model: row.model,
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
                    incident: try slug("bench-i\(counter)"), vendor: try slug("v\(counter % 20)"), severity: .critical,
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
