import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct Projections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "Run, rebuild and inspect the exposure read models.",
        discussion: """
            The read models (exposure rows and organization summaries) are folded from the log by a projector \
            that stores its checkpoint with every write. Without a running projector, `custody exposure` answers \
            from the log directly and says how far behind the read models are.
            """,
        subcommands: [Run.self, Rebuild.self, Status.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Keep the read models up to date (until interrupted): catch up, then follow the log.",
            discussion: """
                One process leads (a PostgreSQL advisory lock held by its session) and writes the read models; run \
                more for availability: they stand by, following the log, and one takes over within a couple of \
                seconds when the leader stops or dies. `custody serve` takes part in the same way.
                Example: custody projections run &
                """)
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.run(connection) { database in
                let projection = ExposureProjection(
                    EventStore(database),
                    roleChanged: { role in
                        Runner.warn(
                            role == .leading
                                ? "leading the exposure projection: catching up, then following the log"
                                : "standing by: another process leads the exposure projection; following the log until it stops"
                        )
                    })
                try await projection.run()
            }
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rebuild",
            abstract: "Rebuild the read models from the whole log, then swap them in atomically.",
            discussion: """
                Readers keep the old tables until the swap; an interrupted rebuild leaves them untouched and can \
                be run again. A running projector picks up from the rebuilt checkpoint by itself.
                Example: custody projections rebuild
                """)
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let started = ContinuousClock.now
            let meter = ProgressMeter(started: started)
            let checkpoint = try await Runner.run(connection) { database in
                let store = EventStore(database)
                // Every event committed before the command began is in the rebuild, as for every other command
                // (readers see the log below the oldest open transaction; a short one is waited for).
                if try await !store.waitForHorizon() {
                    Runner.warn(
                        "a transaction open elsewhere holds back the newest events; the rebuild ends before them "
                            + "(a running projector applies them later; see `custody projections status`)")
                }
                return try await ExposureProjection.rebuild(store) { meter.report($0) }
            }
            meter.finish()
            let seconds = (ContinuousClock.now - started).seconds
            let rate = seconds > 0 ? Int(Double(checkpoint.events) / seconds) : 0
            if connection.json {
                print(
                    JSONValue.object([
                        "events": .integer(checkpoint.events), "cursor": .string(checkpoint.cursor.description),
                        "seconds": .number(String(format: "%.3f", seconds)),
                    ]).jsonbText)
            } else {
                print(
                    "rebuilt from \(checkpoint.events) event(s) in \(String(format: "%.2f", seconds))s (\(rate) events/s); checkpoint \(checkpoint.cursor)"
                )
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show each projection's checkpoint, how many events it is behind, and which process leads it.",
            discussion: "Example: custody projections status --json")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (checkpoint, lag, horizon, leader, unreadable) = try await Runner.run(connection) { database in
                let store = EventStore(database)
                try await store.waitForHorizon(timeout: .seconds(1))
                let lag = try await ExposureProjection.lag(database)
                return (
                    try await ExposureProjection.checkpoint(database), lag,
                    try await store.horizon(), try await ExposureProjection.leader(database),
                    lag > 0 ? try await ExposureProjection.unreadable(database) : nil
                )
            }
            let stall = horizon.isStalled() ? horizon.holder : nil
            if connection.json {
                let document = JSONValue.object([
                    "projection": .string(ExposureProjection.name),
                    "cursor": checkpoint.map { .string($0.cursor.description) } ?? .null,
                    "events": .integer(checkpoint?.events ?? 0),
                    "updatedAt": checkpoint.map { .string($0.updatedAt.description) } ?? .null,
                    "behind": .integer(lag),
                    "heldBack": .integer(horizon.heldBack),
                    "stalledBy": try stall.map { try EventCoding.value(of: $0) } ?? .null,
                    "unreadable": unreadable.map(JSONValue.string) ?? .null,
                    "leader": leader.map {
                        .object(["pid": .integer(Int64($0.pid)), "since": .string($0.since.description)])
                    } ?? .null,
                ])
                print(document.jsonbText)
            } else if let checkpoint {
                print(
                    "\(ExposureProjection.name): \(checkpoint.events) event(s) applied, checkpoint \(checkpoint.cursor) at \(checkpoint.updatedAt); \(lag) event(s) behind"
                )
            } else {
                print(
                    "\(ExposureProjection.name): never run; \(lag) event(s) behind (run `custody projections run` or `rebuild`)"
                )
            }
            if !connection.json {
                print(
                    leader.map { "led by the session of server process \($0.pid) (connected since \($0.since))" }
                        ?? "no process leads it now: run `custody projections run` or `custody serve`")
            }
            if let unreadable, !connection.json {
                print("stuck: \(unreadable)")
            }
            if let stall, !connection.json {
                print(
                    "stalled: \(horizon.heldBack) committed event(s) wait behind the \(stall); end it (pg_terminate_backend(\(stall.pid))) or let it finish"
                )
            }
        }
    }
}

/// A progress bar on a terminal, plain lines otherwise, at most a few times a second.
final class ProgressMeter: @unchecked Sendable {
    private let started: ContinuousClock.Instant
    private let lock = NSLock()
    private var last = ContinuousClock.now - .seconds(10)
    private let terminal = isatty(STDERR_FILENO) == 1

    init(started: ContinuousClock.Instant) { self.started = started }

    func report(_ progress: ExposureProjection.Progress) {
        lock.withLock {
            let now = ContinuousClock.now
            guard now - last > .milliseconds(terminal ? 200 : 2000) || progress.phase != "folding" else { return }
            last = now
            let seconds = (now - started).seconds
            let rate = seconds > 0 ? Double(progress.events) / seconds : 0
            let remaining = rate > 0 ? Double(max(0, progress.total - progress.events)) / rate : 0
            let fraction = progress.total > 0 ? Double(progress.events) / Double(progress.total) : 1
            let bar =
                String(repeating: "#", count: Int(fraction * 30))
                + String(repeating: ".", count: 30 - Int(fraction * 30))
            let line =
                "\(progress.phase) [\(bar)] \(progress.events)/\(progress.total) events, \(Int(rate)) events/s, ETA \(Int(remaining))s"
            FileHandle.standardError.write(Data(((terminal ? "\r" : "") + line + (terminal ? "" : "\n")).utf8))
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
