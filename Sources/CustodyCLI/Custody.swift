import ArgumentParser
import Foundation

/// Every command names itself (`commandName:`): otherwise ArgumentParser derives each name with
/// `String(describing:)` on its type, a runtime conformance scan of the whole binary that took about a third of a
/// recording command's CPU time before it reached the database. For the same reason help texts list values with
/// `Vocabulary.accepted` (no key paths).
package struct Custody: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "custody",
        abstract: "An append-only incident log for the AI training-data supply chain.",
        discussion: """
            Custody records breaches at training-data vendors, the labs' pauses and investigations, and the \
            supply chain from vendor to deployed model, as events in PostgreSQL that are never updated or deleted.

            Start with a private local database:  scripts/db start && custody migrate
            Then record facts, for example:       custody vendor add mercor --name Mercor

            Every recording command takes --at (when the fact became true in the world, default now), \
            --json, --event-id and --expect-version. The database comes from --database-url, \
            CUSTODY_DATABASE_URL, or the .custody/database-url file that scripts/db start writes.
            """,
        version: "custody 0.6.0",
        subcommands: [
            Migrate.self, VendorCommand.self, ProviderCommand.self, ModelCommand.self, SupplyCommand.self,
            OrgCommand.self, Deploy.self, Retire.self, BreachCommand.self, Pause.self, Resume.self,
            InvestigationCommand.self, IncidentCommand.self, ExposureCommand.self, DiffCommand.self,
            PostmortemCommand.self,
            Respond.self, WhatIf.self, ConcentrationCommand.self, InventoryCommand.self, VEXCommand.self,
            Vendors.self, Providers.self, Models.self, Organizations.self, Deployments.self, Show.self,
            Projections.self, Serve.self, TokenCommand.self, AccessLogCommand.self,
            Events.self, Import.self,
            Verify.self, SealCommand.self, WebhookCommand.self, NotifyCommand.self,
        ]
    )

    package init() {}

    /// Asks for a one-shot command's connection (`Runner.connectEarly`), before anything else: `main` calls it on
    /// its own thread, first. `start` runs after a hop to the concurrent executor (a thread created for it), and
    /// the server command and mistyped command checks took half a millisecond more: ~1 ms that the connection's
    /// opening now overlaps (measured, `exposure --deployment`, 201 alternating rounds twice).
    package static func connectEarly() { Runner.connectEarly(Array(CommandLine.arguments.dropFirst())) }

    /// Runs the command the process was given (its connection asked for already: `connectEarly`). A server
    /// command is handed over to `custody-server` (`ServerCommand`); a mistyped command gets a suggestion instead
    /// of ArgumentParser's "2 unexpected arguments".
    ///
    /// A command that succeeds ends the process here (a failing one is ended by ArgumentParser): returning would
    /// resume `main` on the main actor, which after `dispatch_main` is a thread created for it, ~1 ms at the end
    /// of a one-shot command (measured, `exposure --deployment`).
    package static func start() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        ServerCommand.handOver(arguments)
        if let (typed, known) = CommandSuggestion.unknown(in: arguments, under: Self.self) {
            let hint = CommandSuggestion.closest(to: typed, among: known).map { "; did you mean '\($0)'?" } ?? ""
            FileHandle.standardError.write(
                Data("Error: unknown command '\(typed)'\(hint) (`custody --help` lists them)\n".utf8))
            Foundation.exit(64)
        }
        await Self.main(arguments)
        Foundation.exit(0)
    }
}

/// Finds a mistyped command name, and the known one it is closest to.
enum CommandSuggestion {
    /// The first word that should name a subcommand and does not (at any depth), with the names it could have been.
    static func unknown(in arguments: [String], under root: any ParsableCommand.Type) -> (String, [String])? {
        var command = root
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-") else { return nil }
            guard let next = subcommands.first(where: { $0.configuration.commandName == word }) else {
                // With a default subcommand (`custody deploy ID …`), any other word is that command's argument.
                if word == "help" || command.configuration.defaultSubcommand != nil { return nil }
                // Named only now: a command's configuration is built when first read, and some build their
                // help from their values (`respond`'s states), ~1 ms of a command that needs none of it.
                return (word, subcommands.compactMap { $0.configuration.commandName } + ["help"])
            }
            command = next
        }
        return nil
    }

    /// The name within two edits of `typed`, or of which it is a prefix; nil when none is that close.
    static func closest(to typed: String, among names: [String]) -> String? {
        if let prefixed = names.first(where: { $0.hasPrefix(typed) && typed.count >= 2 }) { return prefixed }
        // A name with more typed after it (`--organization` for `--org`).
        if let extended = names.filter({ typed.hasPrefix($0) && $0.count >= 3 }).max(by: { $0.count < $1.count }) {
            return extended
        }
        let scored = names.map { ($0, distance(typed, $0)) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance, counting a swap of two neighbouring letters as one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        let (x, y) = (Array(a), Array(b))
        guard !x.isEmpty else { return y.count }
        guard !y.isEmpty else { return x.count }
        var d = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }
}
