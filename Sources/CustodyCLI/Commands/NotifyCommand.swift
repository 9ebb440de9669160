import ArgumentParser

/// `custody notify`, declared here for `custody --help`, completion scripts and the manual; `custody-server` runs it.
package struct NotifyCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Deliver webhook notifications.", subcommands: [Run.self])

    package init() {}

    package struct Run: ParsableCommand {
        package static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Deliver the webhook outbox until stopped, beside or instead of `custody serve`'s deliverer.",
            discussion: """
                Any number may run (each message is taken by one at a time, and each subscription's messages go out \
                in order). A failed delivery is retried with exponential backoff and jitter, 15 attempts in all \
                (about a day with the default base), then dead-lettered: `custody webhook deliveries --failed` lists \
                it and `custody webhook redeliver` sends it again. Needs the custody_app role (it reads the secrets).
                Example: custody notify run --webhook-allow 10.0.0.0/8
                """)
        @OptionGroup package var webhooks: WebhookDeliveryOptions
        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
        package var logLevel = "info"
        @OptionGroup package var connection: ConnectionOptions

        package init() {}

        /// Run by `custody-server` (`ServerCommand`).
        package func run() throws { ServerCommand.execAsGiven() }
    }
}
