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
                fact is appended `--samples` times (a breach report `--breaches` times), one at a time, and timed \
                from the append until the projector has committed it. Prints {"kind": {"p50": ms, "p99": ms, \
                "max": ms, "samples": n}, …}; a small fact that took over 30 ms is told on standard error, with \
                the part its own append took.
                """)
        @Option var url: String
        @Option(help: "Facts of each small kind; a p99 (nearest rank) is its largest below 100.") var samples = 200
        @Option(help: "Breach reports: each adds thousands of exposure rows to the world.") var breaches = 10
        @Option(help: "Only these kinds (comma-separated), for profiling one.") var kinds: String?

        func run() async throws {
            let databaseURL = try DatabaseURL(url)
            let (samples, breaches) = (self.samples, self.breaches)
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
                    for index in 0..<(kind == .breach ? breaches : samples) {
                        let event = try world.next(kind, index)
                        let before = committed.withLock { $0 }
                        let started = ContinuousClock.now
                        _ = try await store.append([
                            ProposedEvent(
                                id: UUID(), event: event, metadata: EventMetadata(actor: "bench", source: "bench"),
                                occurredAt: .now)
                        ])
                        let appended = ContinuousClock.now
                        while committed.withLock({ $0 }) <= before { try await Task.sleep(for: .microseconds(100)) }
                        let latency = milliseconds(ContinuousClock.now - started)
                        latencies.append(latency)
                        // An outlier says whether its time went to the append's own commit or to the projector.
                        if latency > 30 && kind != .breach {
                            FileHandle.standardError.write(
                                Data(
                                    String(
                                        format: "visible: %@ #%d took %.1f ms, of which the append %.1f ms\n",
                                        kind.rawValue, index, latency, milliseconds(appended - started)
                                    ).utf8))
                        }
                    }
                    report[kind.rawValue] = latencySummary(latencies.sorted())
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
            abstract: "Events/s the projector applies when a batch of mixed events lands in the live database at once.",
            discussion: """
                Batch after batch, each once the one before is applied; prints {"median": events/s, "worst": \
                events/s, "samples": [events/s, …]}. One figure per run swung from 4,536 to 10,470 events/s \
                between runs of the same code on this shared machine: the median says what is typical, the worst \
                what a user may meet.
                """)
        @Option var url: String
        @Option(help: "Events per batch.") var events = 10_000
        @Option(help: "Batches, each measured on its own.") var batches = 3

        func run() async throws {
            let databaseURL = try DatabaseURL(url)
            let (count, batches) = (events, max(1, batches))
            let rates = try await LiveProjector.with(databaseURL) { store, projection, committed in
                var world = LiveWorld(chain: await projection.chain)
                func batch(_ size: Int) throws -> [ProposedEvent] {
                    try (0..<size).map { index in
                        ProposedEvent(
                            id: UUID(),
                            event: try world.next(LiveWorld.Kind.mix[index % LiveWorld.Kind.mix.count], index),
                            metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: .now)
                    }
                }
                // The leader is running and following before a batch lands (its start, a fold of the whole log,
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
                var rates: [Double] = []
                for _ in 0..<batches {
                    let events = try batch(count)
                    let before = committed.withLock { $0 }
                    // The batch commits as one import would, then the projector (already following) applies it.
                    _ = try await store.append(events)
                    let started = ContinuousClock.now
                    while committed.withLock({ $0 }) < before + Int64(count) {
                        try await Task.sleep(for: .milliseconds(1))
                    }
                    rates.append(Double(count) / (milliseconds(ContinuousClock.now - started) / 1000))
                }
                return rates
            }
            let sorted = rates.sorted()
            let number = { (rate: Double) in JSONValue.number(String(format: "%.1f", rate)) }
            print(
                JSONValue.object([
                    "median": number(sorted[sorted.count / 2]), "worst": number(sorted[0]),
                    "samples": .array(rates.map(number)),
                ]).jsonbText)
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

/// p50, p99 and max of latencies sorted ascending, and their count. The p99 is the nearest rank (the smallest
/// sample at or above 99 % of them): of 50 samples it is the largest, so a p99 worth the name needs 100 or more.
func latencySummary(_ sorted: [Double]) -> [String: Double] {
    let rank = Int((Double(sorted.count) * 0.99).rounded(.up))
    return [
        "p50": sorted[sorted.count / 2], "p99": sorted[max(0, rank - 1)], "max": sorted[sorted.count - 1],
        "samples": Double(sorted.count),
    ]
}
