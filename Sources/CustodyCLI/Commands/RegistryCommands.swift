import ArgumentParser
import CustodyCore

struct VendorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vendor", abstract: "Register training-data vendors.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Register a vendor that makes training data.",
            discussion: "Example: custody vendor add mercor --name Mercor --at 2023-01-01")
        @Argument(help: "The vendor's id, a slug like scale-ai.") var id: String
        @Option(help: "Display name.") var name: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                { VendorRegistered(vendor: try Slug(id, what: "vendor id"), name: name) }, recording, connection)
        }
    }
}

struct ProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "Register model providers (labs).", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Register a provider that trains and ships models.",
            discussion: "Example: custody provider add openai --name OpenAI")
        @Argument(help: "The provider's id, a slug like openai.") var id: String
        @Option(help: "Display name.") var name: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                { ProviderRegistered(provider: try Slug(id, what: "provider id"), name: name) }, recording, connection)
        }
    }
}

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Register models.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Register a model of a provider.",
            discussion: """
                A CycloneDX bill of materials (`custody inventory apply`) finds the model by the property \
                custody:model, else by its package URL (--purl), else by a component name equal to the id.
                Example: custody model add llama-4 --name 'Llama 4' --provider meta --open-weights \
                --purl pkg:huggingface/meta-llama/Llama-4
                """)
        @Argument(help: "The model's id, a slug like gpt-5.") var id: String
        @Option(help: "Display name.") var name: String
        @Option(help: "The provider that trains it.") var provider: String
        @Flag(name: .customLong("open-weights"), help: "The weights are published.") var openWeights = false
        @Option(help: "Its package URL (pkg:TYPE/NAME[@VERSION]); without a version it names every release.")
        var purl: String?
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    ModelRegistered(
                        model: try Slug(id, what: "model id"), name: name,
                        provider: try Slug(provider, what: "provider id"),
                        openWeights: openWeights, purl: purl)
                }, recording, connection)
        }
    }
}

struct SupplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supply", abstract: "Record which vendors supply which providers.",
        subcommands: [Add.self, End.self, Retract.self])

    struct Retract: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retract",
            abstract: "Correct a supply link recorded by mistake: as known from now on, it never existed.",
            discussion: """
                Unlike `supply end` (the link stopped; its data stays in the models), a retraction removes the \
                link's exposure at every world time. `--known-at` views from before the retraction still show it.
                Example: custody supply retract --vendor appen --provider alibaba --reason "entered for the wrong provider"
                """)
        @Option(help: "The vendor.") var vendor: String
        @Option(help: "The provider.") var provider: String
        @Option(help: "Why the link was recorded by mistake.") var reason: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    SupplyLinkRetracted(
                        vendor: try Slug(vendor, what: "vendor id"), provider: try Slug(provider, what: "provider id"),
                        reason: reason)
                }, recording, connection)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Record that a vendor began supplying a provider (from --at).",
            discussion: """
                Data kinds: \(DataKind.accepted).
                Example: custody supply add --vendor mercor --provider openai --data rlhf,domain-finetuning --at 2024-06-01
                """)
        @Option(help: "The vendor.") var vendor: String
        @Option(help: "The provider it supplies.") var provider: String
        @Option(help: "Kinds of data supplied (comma-separated or repeated).") var data: [String] = []
        @Option(help: "Only these models of the provider (default: all).") var models: [String] = []
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    SupplyLinkRecorded(
                        vendor: try Slug(vendor, what: "vendor id"), provider: try Slug(provider, what: "provider id"),
                        dataKinds: try ListOption.vocabulary(data, as: DataKind.self),
                        models: try ListOption.slugs(models, what: "model id"))
                }, recording, connection)
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "end",
            abstract: "Record that a supply link ended (data already delivered stays exposed).",
            discussion: "Example: custody supply end --vendor mercor --provider meta --at 2026-04-02")
        @Option(help: "The vendor.") var vendor: String
        @Option(help: "The provider.") var provider: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    SupplyLinkEnded(
                        vendor: try Slug(vendor, what: "vendor id"), provider: try Slug(provider, what: "provider id"))
                }, recording, connection)
        }
    }
}

struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org", abstract: "Register organizations that deploy models.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Register an organization.",
            discussion: "Example: custody org add state-university --name 'State University' --sector education")
        @Argument(help: "The organization's id, a slug.") var id: String
        @Option(help: "Display name.") var name: String
        @Option(help: "Sector, e.g. education, healthcare, finance, government.") var sector: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    OrganizationRegistered(
                        organization: try Slug(id, what: "organization id"), name: name, sector: sector)
                }, recording, connection)
        }
    }
}

struct Deploy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Record deployments: a new one (the default), a switch to another model, an update.",
        discussion: """
            Example: custody deploy su-advising --org state-university --model gpt-5 --workload 'student advising' --criticality high
                     custody deploy switch su-advising --model claude-opus-4-5
                     custody deploy update su-advising --criticality critical
            """,
        subcommands: [Add.self, Switch.self, Update.self], defaultSubcommand: Add.self)
}

extension Deploy {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Record that an organization began running a model (`custody deploy ID ...` for short).",
            discussion: """
                Criticality: \(Criticality.accepted).
                Example: custody deploy su-advising --org state-university --model gpt-5 --workload 'student advising' --criticality high
                """)
        @Argument(help: "The deployment's id, a slug.") var id: String
        @Option(help: "The organization.") var org: String
        @Option(help: "The model it runs.") var model: String
        @Option(help: "What the model does there.") var workload: String
        @Option(help: "How much the organization relies on it.") var criticality: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    ModelDeployed(
                        deployment: try Slug(id, what: "deployment id"),
                        organization: try Slug(org, what: "organization id"),
                        model: try Slug(model, what: "model id"), workload: workload,
                        criticality: try Criticality.parse(criticality))
                }, recording, connection)
        }
    }

    struct Switch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "switch",
            abstract: "Record that a deployment moved to another model (from --at).",
            discussion: """
                Exposures through the old model end at that time (history keeps them); those through the new one begin.
                Example: custody deploy switch su-advising --model claude-opus-4-5 --at 2026-04-05
                """)
        @Argument(help: "The deployment's id.") var id: String
        @Option(help: "The model it runs from now on.") var model: String
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    DeploymentSwitched(
                        deployment: try Slug(id, what: "deployment id"), model: try Slug(model, what: "model id"))
                }, recording, connection)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update",
            abstract: "Record a deployment's new workload or criticality.",
            discussion: "Example: custody deploy update su-advising --criticality critical")
        @Argument(help: "The deployment's id.") var id: String
        @Option(help: "What the model does there now.") var workload: String?
        @Option(help: "How much the organization relies on it now.") var criticality: String?
        @OptionGroup var recording: RecordingOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await Runner.record(
                {
                    DeploymentUpdated(
                        deployment: try Slug(id, what: "deployment id"), workload: workload,
                        criticality: try criticality.map { text throws(CustodyError) in try Criticality.parse(text) })
                }, recording, connection)
        }
    }
}

struct Retire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retire",
        abstract: "Record that a deployment was retired.",
        discussion: "Example: custody retire su-advising --at 2026-06-30")
    @Argument(help: "The deployment's id.") var id: String
    @OptionGroup var recording: RecordingOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await Runner.record(
            { DeploymentRetired(deployment: try Slug(id, what: "deployment id")) }, recording, connection)
    }
}
