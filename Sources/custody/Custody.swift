import ArgumentParser

/// Every command names itself (`commandName:`): otherwise ArgumentParser derives each name with
/// `String(describing:)` on its type, a runtime conformance scan of the whole binary that took about a third of a
/// recording command's CPU time before it reached the database.
@main
struct Custody: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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
            InvestigationCommand.self, IncidentCommand.self, ExposureCommand.self, DiffCommand.self, PostmortemCommand.self,
            Respond.self, WhatIf.self, ConcentrationCommand.self, InventoryCommand.self,
            Vendors.self, Providers.self, Models.self, Organizations.self, Deployments.self, Show.self,
            Projections.self, Serve.self, TokenCommand.self, AccessLogCommand.self,
            Events.self, Import.self,
            Verify.self, SealCommand.self,
        ]
    )
}
