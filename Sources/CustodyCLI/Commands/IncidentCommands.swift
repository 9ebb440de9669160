import ArgumentParser
import CustodyCore

struct BreachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breach", abstract: "Report and revise vendor breaches.", subcommands: [Report.self, Revise.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Report a breach at a vendor; --at is when the breach itself happened.",
            discussion: """
                Severity: \(Severity.accepted). \
                Data kinds: \(DataKind.accepted) (none: unknown, every kind counts). \
                Providers: those potentially affected (none: every client of the vendor).
                Example: custody breach report mercor-2026-03 --vendor mercor --severity high \
                --summary 'Contractor data exposed' --data rlhf,red-teaming --at 2026-03-27 --disclosed-at 2026-03-31
                """)
        @Argument(help: "The incident's id, a slug.") var id: String
        @Option(help: "The breached vendor.") var vendor: String
        @Option(help: "How bad it is.") var severity: String
        @Option(help: "What happened.") var summary: String?
        @Option(name: .customLong("summary-file"), help: "Read the summary from a file.") var summaryFile: String?
        @Option(help: "Kinds of data exposed.") var data: [String] = []
        @Option(help: "Providers potentially affected.") var providers: [String] = []
        @Option(help: "A link to a source (repeatable).") var source: [String] = []
        @Option(name: .customLong("disclosed-at"), help: "When the breach was made public.") var disclosedAt: String?
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            guard let text = try TextOption.value(summary, file: summaryFile, name: "summary") else {
                throw CommandFailure(message: "a breach needs a summary: give --summary TEXT or --summary-file FILE")
            }
            try await Runner.record(
                {
                    BreachReported(
                        incident: try Slug(id, what: "incident id"), vendor: try Slug(vendor, what: "vendor id"),
                        severity: try Severity.parse(severity), summary: text,
                        dataKinds: try ListOption.vocabulary(data, as: DataKind.self),
                        providers: try ListOption.slugs(providers, what: "provider id"), sources: source,
                        disclosedAt: try disclosedAt.map { text throws(CustodyError) in
                            try Timestamp(parsing: text, what: "--disclosed-at")
                        })
                }, recording, connection)
        }
    }

    struct Revise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revise",
            abstract: "Correct a breach's known scope; what is given replaces what was reported.",
            discussion:
                "Example: custody breach revise mercor-2026-03 --providers openai,anthropic,meta --reason 'Vendor statement'"
        )
        @Argument(help: "The incident's id.") var id: String
        @Option(help: "Kinds of data exposed (replaces the reported list).") var data: [String] = []
        @Option(help: "Providers potentially affected (replaces the reported list).") var providers: [String] = []
        @Option(help: "New severity.") var severity: String?
        @Option(help: "Why the scope changed.") var reason: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    BreachScopeRevised(
                        incident: try Slug(id, what: "incident id"),
                        dataKinds: data.isEmpty ? nil : try ListOption.vocabulary(data, as: DataKind.self),
                        providers: providers.isEmpty ? nil : try ListOption.slugs(providers, what: "provider id"),
                        severity: try severity.map { text throws(CustodyError) in try Severity.parse(text) },
                        reason: reason)
                }, recording, connection)
        }
    }
}

struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Record that a provider paused its work with a vendor.",
        discussion: "Example: custody pause --provider meta --vendor mercor --incident mercor-2026-03 --at 2026-04-01")
    @Option(help: "The provider that paused.") var provider: String
    @Option(help: "The vendor paused.") var vendor: String
    @Option(help: "The incident that caused it.") var incident: String?
    @OptionGroup var recording: RecordingOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await Runner.record(
            {
                VendorPaused(
                    provider: try Slug(provider, what: "provider id"), vendor: try Slug(vendor, what: "vendor id"),
                    incident: try incident.map { text throws(CustodyError) in try Slug(text, what: "incident id") })
            }, recording, connection)
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Record that a provider resumed work with a vendor.",
        discussion: "Example: custody resume --provider meta --vendor mercor")
    @Option(help: "The provider.") var provider: String
    @Option(help: "The vendor.") var vendor: String
    @OptionGroup var recording: RecordingOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await Runner.record(
            {
                VendorResumed(
                    provider: try Slug(provider, what: "provider id"), vendor: try Slug(vendor, what: "vendor id"))
            }, recording, connection)
    }
}

struct InvestigationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "investigation", abstract: "Record a provider's investigation of an incident.",
        subcommands: [Open.self, Finding.self, Close.self])

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "open",
            abstract: "Record that a provider opened an investigation.",
            discussion: "Example: custody investigation open openai-mercor --incident mercor-2026-03 --provider openai")
        @Argument(help: "The investigation's id, a slug.") var id: String
        @Option(help: "The incident investigated.") var incident: String
        @Option(help: "The provider investigating.") var provider: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    InvestigationOpened(
                        investigation: try Slug(id, what: "investigation id"),
                        incident: try Slug(incident, what: "incident id"),
                        provider: try Slug(provider, what: "provider id"))
                }, recording, connection)
        }
    }

    struct Finding: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "finding",
            abstract: "Record a finding of an open investigation.",
            discussion: "Example: custody investigation finding openai-mercor 'No customer data involved'")
        @Argument(help: "The investigation's id.") var id: String
        @Argument(help: "The finding.") var text: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    InvestigationFindingRecorded(investigation: try Slug(id, what: "investigation id"), finding: text)
                }, recording, connection)
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "close",
            abstract: "Record that an investigation closed.",
            discussion: """
                Outcome: \(InvestigationOutcome.accepted).
                Example: custody investigation close openai-mercor --outcome cleared --summary 'No OpenAI data exposed'
                """)
        @Argument(help: "The investigation's id.") var id: String
        @Option(help: "How it ended.") var outcome: String
        @Option(help: "A summary of the conclusion.") var summary: String?
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    InvestigationClosed(
                        investigation: try Slug(id, what: "investigation id"),
                        outcome: try InvestigationOutcome.parse(outcome),
                        summary: summary)
                }, recording, connection)
        }
    }
}

struct IncidentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident", abstract: "Resolve or retract incidents.", subcommands: [Resolve.self, Retract.self])

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Record that an incident was resolved.",
            discussion: "Example: custody incident resolve mercor-2026-03")
        @Argument(help: "The incident's id.") var id: String
        @Option(help: "How it was resolved.") var summary: String?
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                { IncidentResolved(incident: try Slug(id, what: "incident id"), summary: summary) }, recording,
                connection)
        }
    }

    struct Retract: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retract",
            abstract: "Record that an incident report was wrong: as known now, it never happened.",
            discussion: "Example: custody incident retract acme-2026-01 --reason 'Vendor was not involved'")
        @Argument(help: "The incident's id.") var id: String
        @Option(help: "Why the report was wrong.") var reason: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                { IncidentRetracted(incident: try Slug(id, what: "incident id"), reason: reason) }, recording,
                connection)
        }
    }
}
