import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations (safe to run concurrently and repeatedly).",
        discussion: "Run it with a role that may create tables; the application can then run as custody_app.")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let applied = try await Runner.run(connection, schema: .none) { database in
            try await Migrator(database).migrate()
        }
        if connection.json {
            print(
                JSONValue.object([
                    "applied": .array(applied.map { .integer(Int64($0)) }),
                    "version": .integer(Int64(Migrator.latestVersion)),
                ]).jsonbText)
        } else if applied.isEmpty {
            print("schema is current (version \(Migrator.latestVersion))")
        } else {
            print(
                "applied migration(s) \(applied.map(String.init).joined(separator: ", ")); schema is at version \(Migrator.latestVersion)"
            )
        }
    }
}

struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List the log in commit order (as JSON Lines with --json: the format `custody import` reads).",
        discussion: """
            Each event shows its cursor; pass it to --after to continue from there.
            Examples: custody events --stream incident-mercor-2026-03
                      custody events --json > backup.jsonl
                      custody events --follow --after 1234-56
            """)
    @Option(help: "Only this stream (kind-id, e.g. vendor-mercor).") var stream: String?
    @Option(help: "Start after this cursor.") var after: String?
    @Option(help: "At most this many events.") var limit: Int?
    @Flag(help: "Keep waiting for new events (Ctrl-C to stop).") var follow = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let filter: StreamName?
        let cursor: LogCursor
        do {
            filter = try stream.map { text throws(CustodyError) in try StreamName(parsing: text) }
            cursor = try after.map { text throws(StoreError) in try LogCursor(parsing: text) } ?? .start
        } catch let error as CustodyError {
            throw CommandFailure(message: error.message)
        } catch let error as StoreError {
            throw CommandFailure(message: error.description)
        }
        let json = connection.json
        let limit = self.limit
        try await Runner.run(connection) { database in
            let store = EventStore(database)
            if try await !store.waitForHorizon() {
                Runner.warn("a transaction open for over 5s holds the log back; events after it are not shown yet")
            }
            let printer = EventPrinter(json: json, limit: limit)
            var position = cursor
            while !printer.done {
                let page = try await store.readLog(after: position, stream: filter, limit: min(1000, printer.remaining))
                printer.print(page.entries)
                position = page.next
                if page.entries.count < min(1000, printer.remaining) { break }
            }
            guard follow, !printer.done else { return }
            try await Follower(store, pollInterval: .milliseconds(250)).follow(after: position, stream: filter) {
                page in
                printer.print(page.entries)
                if printer.done { throw CancellationError() }
            }
        }
    }
}

/// Prints events as they come, counting against --limit.
final class EventPrinter: @unchecked Sendable {
    private let json: Bool
    private let lock = NSLock()
    private var printed = 0
    private let limit: Int?

    init(json: Bool, limit: Int?) { (self.json, self.limit) = (json, limit) }

    var remaining: Int { lock.withLock { limit.map { $0 - printed } ?? Int.max } }
    var done: Bool { remaining <= 0 }

    func print(_ entries: [LogEntry]) {
        lock.withLock {
            var output = ""
            for entry in entries.prefix(limit.map { $0 - printed } ?? entries.count) {
                let event = entry.event
                if json {
                    output += EventLine.render(event, cursor: entry.cursor.description) + "\n"
                } else {
                    output +=
                        "\(entry.cursor)  \(event.stream) v\(event.version)  \(event.event.type)  "
                        + "occurred \(event.occurredAt.readable)  recorded \(event.recordedAt.readable)  by \(event.metadata.actor)\n"
                }
                printed += 1
            }
            StandardOutput.write(output)
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import events from JSON Lines (the output of `custody events --json`); all or nothing.",
        discussion: """
            Every line is checked before anything is written; a bad line is named and nothing is imported. \
            Into an empty log, an export is restored as it was (positions, recorded times and hashes kept), \
            and `custody verify` passes afterwards. Otherwise events are appended to their streams; event ids \
            already stored with the same content are skipped, so an import can be re-run.
            Example: custody import backup.jsonl      (or - for standard input)
            """)
    @Argument(help: "The file, or - for standard input.") var file: String
    @Option(help: "Who imports; stored on lines that carry no metadata.") var actor: String?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let spool = file == "-" ? try Spool() : nil
        defer { spool?.remove() }
        if let spool { try spool.fill(limit: Self.standardInputLimit) }
        let path = spool?.path ?? file
        let who = RecordingOptions.actor(actor)
        let started = ContinuousClock.now
        let summary = try await Runner.run(connection) { database in
            try await Importer(database).importFile(at: path, metadata: EventMetadata(actor: who, source: "import"))
        }
        let seconds = (ContinuousClock.now - started).seconds
        if connection.json {
            print(try EventCoding.document(summary))
        } else {
            let rate = seconds > 0 ? Int(Double(summary.imported) / seconds) : 0
            print(
                "\(summary.restored ? "restored" : "imported") \(summary.imported) event(s) from \(summary.lines) line(s)"
                    + (summary.alreadyStored > 0 ? ", \(summary.alreadyStored) already stored" : "")
                    + String(format: " in %.2fs (%d events/s)", seconds, rate))
        }
    }

    /// The most standard input is spooled: beyond it, give the file's path (nothing is buffered without bound).
    static let standardInputLimit = 2 << 30
}

/// Standard input is read twice (validate, then write), so it is spooled to a temporary file first: bounded in
/// size, and removed on every way out — a return, an error, or SIGINT, SIGTERM or SIGHUP.
final class Spool: @unchecked Sendable {
    let path: String
    static let signals = [SIGINT, SIGTERM, SIGHUP]

    init() throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("custody-import-\(UUID().uuidString).jsonl")
            .path
        // The handlers first: a signal between creating the file and handling signals would leave it behind. A
        // process-wide handler, not a dispatch signal source: on Linux that source hears only a signal every
        // thread blocks, and one the kernel gave an unblocked thread was dropped (SIG_IGN), leaving `import -`
        // running after SIGTERM (a fresh-clone CI caught it, one run in five).
        spoolPathForSignals = strdup(path)
        for number in Self.signals {
            signal(number) { number in
                // Only what is safe in a signal handler: unlink and _exit (no exit handlers, nothing to flush).
                if let path = spoolPathForSignals { unlink(path) }
                _exit(128 + number)
            }
        }
        // open(2) itself, not FileManager.createFile: that writes a temporary file and renames it, and a signal in
        // between left the temporary file behind (seen as an intermittent test failure under load).
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard descriptor >= 0 else {
            throw CommandFailure(message: "cannot create the spool file \(path) for standard input")
        }
        close(descriptor)
    }

    /// Copies standard input in, refusing more than `limit` bytes and a write the disk cannot take.
    func fill(limit: Int) throws {
        guard let out = FileHandle(forWritingAtPath: path) else {
            throw CommandFailure(message: "cannot write \(path)")
        }
        defer { try? out.close() }
        var written = 0
        while let chunk = try FileHandle.standardInput.read(upToCount: 1 << 20), !chunk.isEmpty {
            written += chunk.count
            guard written <= limit else {
                throw CommandFailure(
                    message:
                        "standard input exceeds \(limit >> 30) GiB: give the file's path instead of -; nothing was imported"
                )
            }
            do { try out.write(contentsOf: chunk) } catch {
                throw CommandFailure(
                    message:
                        "cannot spool standard input to \(path) (\(error.localizedDescription)); nothing was imported")
            }
        }
    }

    func remove() {
        for number in Self.signals { signal(number, SIG_DFL) }
        unlink(path)
    }
}

/// The spool's path as a C string, made before the signal handlers that read it are installed (and never freed:
/// a handler may still be running when the spool is removed).
nonisolated(unsafe) private var spoolPathForSignals: UnsafeMutablePointer<CChar>?

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every stream's hash chain; exit 1 and name the first broken link per stream.",
        discussion: """
            With --seal, check the whole log up to a seal's cursor instead: deleted streams, cut tails, changed \
            content and reordered events are named.
            Example: custody verify
                     custody verify --seal seal-2026-11-29.json --trust <public key>
            """)
    @Option(help: "Check the log against this seal (from `custody seal`) instead of the hash chains.") var seal: String?
    @Option(help: "With --seal: the base64 public key the seal must be signed with.") var trust: String?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        if let seal { return try await SealCheck.run(seal, trust: trust, connection: connection) }
        let report = try await Runner.run(connection) { database in try await Verifier(database).verify() }
        if connection.json {
            let problems = report.problems.map { problem in
                JSONValue.object([
                    "stream": .string(problem.stream), "version": .integer(problem.version),
                    "reason": .string(problem.reason),
                ])
            }
            let document = JSONValue.object([
                "events": .integer(report.events), "streams": .integer(report.streams), "intact": .bool(report.intact),
                "problems": .array(problems),
            ])
            print(try EventCoding.document(document))
        } else if report.intact {
            print("log intact: \(report.events) event(s) in \(report.streams) stream(s), every hash chain verified")
        } else {
            for problem in report.problems { print("broken: \(problem)") }
        }
        if !report.intact {
            throw CommandFailure(message: "\(report.problems.count) stream(s) have broken links (listed above)")
        }
    }
}
