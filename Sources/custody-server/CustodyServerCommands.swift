import ArgumentParser
import CustodyCLI

/// The commands `custody` hands over to this binary (`ServerCommand`): the ones that need the HTTP server or client.
/// Named `custody`, as their users type them.
@main
struct CustodyServerCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custody",
        abstract: "The server commands of custody (serve, notify, webhook listen), which `custody` runs here.",
        version: Custody.configuration.version,
        subcommands: [Serving.self, Notifying.self, Listening.self])
}
