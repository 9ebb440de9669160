import ArgumentParser
import CustodyCore
import Foundation

/// Where the database is and how to print: shared by every command.
package struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "postgres://user[:password]@host[:port]/database[?host=/socket/dir]",
            discussion: "Default: $CUSTODY_DATABASE_URL, then .custody/database-url (written by scripts/db start).",
            valueName: "url"))
    package var databaseURL: String?

    @Flag(help: "Print machine-readable JSON instead of text.")
    package var json = false

    @Flag(help: "Print tables whole, however wide (as when the output is piped); by default they fit the terminal.")
    var wide = false

    package init() {}

    package mutating func validate() throws {
        // Read where tables are laid out (Table.lineWidth), after parsing and before any command prints.
        if wide { setenv(Table.wideVariable, "1", 1) }
    }
}

/// The options every recording command shares.
struct RecordingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "When the fact became true in the world: 2026-03-27 (midnight UTC) or 2026-03-27T14:30:00Z. Default: now.",
            valueName: "time"))
    var at: String?

    @Option(
        name: .customLong("event-id"),
        help: "The event's id (a UUID). Retrying a command with the same id records the fact once.")
    var eventId: String?

    @Option(
        name: .customLong("expect-version"),
        help:
            "Fail unless the event's stream is at this version: any, no-stream or a number. Default: the version read while validating."
    )
    var expectVersion: String?

    @Option(help: "Who records the fact. Default: $CUSTODY_ACTOR, then $USER.")
    var actor: String?

    @Option(help: "Correlation id stored in the event's metadata.")
    var correlation: String?

    /// The time of the fact: not in the future (a minute of clock skew allowed), and always with a zone.
    func occurredAt(now: Timestamp = .now) throws(CustodyError) -> Timestamp {
        guard let at else { return now }
        let time = try Timestamp(parsing: at, what: "--at")
        guard !time.isInTheFuture(of: now) else {
            throw .invalidValue(what: "--at", value: at, accepted: "a time that is not in the future (now is \(now))")
        }
        return time
    }

    func id() throws(CustodyError) -> UUID {
        guard let eventId else { return UUID() }
        guard let id = UUID(uuidString: eventId) else {
            throw .invalidValue(
                what: "--event-id", value: eventId, accepted: "a UUID like 0b6f3f7e-3c1a-4d47-9a3e-2f1f0c5d9b21")
        }
        return id
    }

    func expectation() throws(CustodyError) -> ExpectedVersion? {
        try expectVersion.map { text throws(CustodyError) in try ExpectedVersion(parsing: text) }
    }

    /// Who records: `--actor`, else $CUSTODY_ACTOR, else $USER or $LOGNAME, else the process's account name.
    static func actor(_ given: String?) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let name = given ?? environment["CUSTODY_ACTOR"] ?? environment["USER"] ?? environment["LOGNAME"] {
            return name
        }
        // No name in the environment (a service, a container): the account the process runs as.
        if let account = getpwuid(getuid())?.pointee.pw_name { return String(cString: account) }
        return "uid \(getuid())"
    }

    var metadata: EventMetadata {
        EventMetadata(actor: Self.actor(actor), source: "cli", correlationId: correlation)
    }
}

/// Parsing of list options: comma-separated values or repeated flags (`--data rlhf,red-teaming`).
enum ListOption {
    static func split(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
    }

    static func slugs(_ values: [String], what: String) throws(CustodyError) -> [Slug] {
        var result: [Slug] = []
        for value in split(values) { try result.append(Slug(value, what: what)) }
        return result
    }

    static func vocabulary<V: Vocabulary>(_ values: [String], as type: V.Type) throws(CustodyError) -> [V] {
        var result: [V] = []
        for value in split(values) where !result.contains(try V.parse(value)) { result.append(try V.parse(value)) }
        return result
    }
}

/// Long texts can come from a file (`--summary-file`), so they need not fit on a command line.
enum TextOption {
    static func value(_ inline: String?, file: String?, name: String) throws -> String? {
        if let inline, file != nil {
            _ = inline
            throw ValidationError("give --\(name) or --\(name)-file, not both")
        }
        guard let file else { return inline }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CustodyError.invalidValue(what: "--\(name)-file", value: file, accepted: "a readable file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CustodyError.invalidValue(what: "--\(name)-file", value: file, accepted: "UTF-8 text")
        }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}
