import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation
import Logging

/// Runs a command against the database: finds it, checks its schema, retries what is transient, and turns
/// every failure into one line on stderr and a non-zero exit.
package enum Runner {
    /// Attempts for a command whose database connection fails; the same event id is reused on each.
    static var attempts: Int {
        Int(ProcessInfo.processInfo.environment["CUSTODY_CONNECT_ATTEMPTS"] ?? "") ?? 5
    }

    package static func locate(_ options: ConnectionOptions) throws -> DatabaseURL {
        try locate(given: options.databaseURL)
    }

    /// The database: `--database-url`'s when given, then the environment's, then the checkout's file.
    static func locate(given: String?) throws -> DatabaseURL {
        if let url = given { return try DatabaseURL(url) }
        return try configured.get()
    }

    /// The environment's database, else the nearest `.custody/database-url`'s: looked up once per process (the
    /// early connection asks before the command line is parsed, the command after).
    private static let configured = Result<DatabaseURL, any Error> {
        if let url = ProcessInfo.processInfo.environment["CUSTODY_DATABASE_URL"], !url.isEmpty {
            return try DatabaseURL(url)
        }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while true {
            let file = directory.appendingPathComponent(".custody/database-url")
            if let data = FileManager.default.contents(atPath: file.path),
                let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !text.isEmpty
            {
                return try DatabaseURL(text)
            }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        throw StoreError.configuration(
            "no database configured: run scripts/db start (a private local PostgreSQL), "
                + "or set CUSTODY_DATABASE_URL or --database-url")
    }

    /// How a command's schema is checked: before its body (one statement), not at all (`migrate`), or by the
    /// body's first statement (a present view asks the schema's version with whether the read models are current,
    /// and with its answer: `ExposureProjection.whenCurrent`).
    package enum SchemaCheck { case first, none, byBody }

    /// What a command logs: warnings and worse.
    static var logger: Logger {
        var logger = Logger(label: "custody")
        logger.logLevel = .warning
        return logger
    }

    /// The one-shot commands that open the database (`Runner.run`): each one's connection is opened while its
    /// command line is still being parsed (`EarlyConnection`). Not a server's, a follower's or a listener's:
    /// a connection they never took would stay open, idle, as long as they run. An array, not a set: a set of
    /// strings is a type the runtime first checks by scanning every conformance of the binary (~0.25 ms, measured),
    /// and this is read before the connection starts.
    static let connectingEarly: [String] = [
        "exposure", "diff", "postmortem", "whatif", "concentration", "deployments", "vendors", "providers", "models",
        "organizations", "show", "events", "verify", "breach", "pause", "resume", "investigation", "incident",
        "vendor", "provider", "model", "supply", "org", "deploy", "retire", "respond", "inventory", "vex", "token",
        "access-log", "seal",
    ]

    /// Starts connecting before the command line is parsed, when it names such a command and asks for no help.
    package static func connectEarly(_ arguments: [String]) {
        guard let command = arguments.first, connectingEarly.contains(command),
            !arguments.contains(where: { ["--help", "-h", "help", "--version"].contains($0) })
        else { return }
        let option = "--database-url"
        let given =
            arguments.firstIndex(of: option).flatMap { arguments.dropFirst($0 + 1).first }
            ?? arguments.first { $0.hasPrefix(option + "=") }.map { String($0.dropFirst(option.count + 1)) }
        // A URL that does not parse, or none at all, is the command's to report once parsed. One given that is
        // not the command's after all (a value that only looks like the option) is never taken: the connection
        // is matched to the URL the command asks for.
        guard let url = try? locate(given: given) else { return }
        EarlyConnection.open(url, logger: logger)
    }

    /// Runs `body` with the database, after checking the schema is current (as `schema` says). A `sequential`
    /// body (one statement after another) gets a single connection instead of a pool: quicker to open, and closed
    /// without waiting (a one-shot command's process ends right after).
    package static func run<R: Sendable>(
        _ options: ConnectionOptions, schema: SchemaCheck = .first, sequential: Bool = false,
        _ body: @Sendable (Database) async throws -> R
    ) async throws -> R {
        do {
            let url = try locate(options)
            var attempt = 1
            while true {
                do {
                    let work: (Database) async throws -> R = { database in
                        if schema == .first { try await Migrator(database).requireCurrent() }
                        return try await body(database)
                    }
                    if sequential {
                        return try await Database.withConnection(url, logger: logger, waitingForClose: false, work)
                    }
                    return try await Database.with(url, logger: logger, maximumConnections: 4, probe: true, work)
                } catch StoreError.unavailable(let reason) {
                    let cause = Self.cause(reason)
                    guard attempt < attempts else {
                        throw CommandFailure(
                            message:
                                "cannot reach the database at \(url.server) (\(cause)) after \(attempts) attempt(s); "
                                + "is PostgreSQL running? `scripts/db start` starts the private one; the URL is \(url)")
                    }
                    let delay = 0.2 * pow(2, Double(attempt - 1))
                    warn(
                        "the database at \(url.server) is unavailable (\(cause)); retrying in \(delay)s (attempt \(attempt + 1) of \(attempts))"
                    )
                    try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                    attempt += 1
                }
            }
        } catch let error as CustodyError {
            throw CommandFailure(message: error.message)
        } catch let error as StoreError {
            throw CommandFailure(message: error.description)
        } catch let error as CommandFailure {
            throw error
        } catch is CancellationError {
            throw ExitCode(130)
        } catch let error as ExitCode {
            throw error
        } catch {
            throw CommandFailure(message: "\(error)")
        }
    }

    /// A connection failure in a few words: what the system said, without the driver's call syntax
    /// (`connect(descriptor:addr:size:): No such file or directory) (errno: 2)` becomes `no such file or directory`).
    static func cause(_ reason: String) -> String {
        let known = [
            "No such file or directory": "nothing listens there", "Connection refused": "connection refused",
            "Connection reset by peer": "the connection was reset", "timed out": "timed out",
            "serverClosedConnection": "the server closed the connection",
        ]
        for (text, said) in known where reason.localizedCaseInsensitiveContains(text) { return said }
        return reason.replacingOccurrences(of: #"^[a-zA-Z]+\([a-z:]*\): "#, with: "", options: .regularExpression)
    }

    /// Validates and appends one fact, printing the stored event.
    static func record(
        _ build: () throws -> any EventPayload, _ recording: RecordingOptions, _ connection: ConnectionOptions
    ) async throws {
        let payload: any EventPayload
        do { payload = try build() } catch let error as CustodyError { throw CommandFailure(message: error.message) }
        try await record(recording, connection) { _, _ in payload }
    }

    /// Validates and appends one fact whose content depends on the log (`build` gets the database and the fact's
    /// time), printing the stored event.
    static func record(
        _ recording: RecordingOptions, _ connection: ConnectionOptions,
        building build: @escaping @Sendable (Database, Timestamp) async throws -> any EventPayload
    ) async throws {
        let id: UUID
        let occurredAt: Timestamp
        let expectation: ExpectedVersion?
        do {
            id = try recording.id()
            occurredAt = try recording.occurredAt()
            expectation = try recording.expectation()
        } catch {
            throw CommandFailure(message: error.message)
        }
        let metadata = recording.metadata
        let timeGiven = recording.at != nil
        // A server killed mid-command can leave a pooled connection waiting forever; a recording command then
        // gives up (exit 75, "try again") rather than hang: rerun with the same --event-id, it records once.
        let seconds = Int(ProcessInfo.processInfo.environment["CUSTODY_COMMAND_TIMEOUT"] ?? "") ?? 60
        let watchdog = Task.detached {
            try await Task.sleep(for: .seconds(seconds))
            warn(
                "the database did not answer within \(seconds)s; giving up (rerun with --event-id \(id.uuidString.lowercased()) to record the fact once)"
            )
            exit(75)
        }
        defer { watchdog.cancel() }
        let appended = try await run(connection, sequential: true) { database in
            let event = try await build(database, occurredAt).event
            try Registry.checkTexts(of: event)
            let proposed = ProposedEvent(id: id, event: event, metadata: metadata, occurredAt: occurredAt)
            return try await EventStore(database).record(proposed, expecting: expectation, timeGiven: timeGiven)
        }
        if connection.json {
            print(EventLine.render(appended.recorded, cursor: nil))
        } else {
            let event = appended.recorded
            let prefix = appended.duplicate ? "already recorded (same event id)" : "recorded"
            print(
                "\(prefix): \(event.event.type) \(event.stream) v\(event.version), position \(event.position), "
                    + "occurred \(event.occurredAt), event id \(event.id.uuidString.lowercased())")
        }
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("custody: \(message)\n".utf8))
    }
}

/// A refused command: ArgumentParser prints "Error: <message>" and exits 1.
package struct CommandFailure: Error, CustomStringConvertible {
    package let message: String
    package init(message: String) { self.message = message }
    package var description: String { message.replacingOccurrences(of: "\n", with: " ") }
}
