import ArgumentParser

/// `custody webhook listen`, declared here for `custody --help`, completion scripts and the manual;
/// `custody-server` runs it.
extension WebhookCommand {
    package struct Listen: ParsableCommand {
        package static let configuration = CommandConfiguration(
            commandName: "listen",
            abstract: "Receive webhook deliveries, verify their Standard Webhooks signatures, and print them.",
            discussion: """
                Answers 204 to a verified delivery, 400 when a webhook-* header is missing and 401 when the timestamp is \
                further than --tolerance from now or no signature verifies under the secret; each is printed, one line \
                per delivery (the body as received with --json). Stop it with Ctrl-C.
                Example: custody webhook listen --port 8787 --secret whsec_...
                """)
        @Option(help: "The address to listen on.") package var host = "127.0.0.1"
        @Option(help: "The port (0: any free one, printed).") package var port = 8787
        @Option(help: "The subscription's signing secret (whsec_…). Default: $CUSTODY_WEBHOOK_SECRET.")
        package var secret: String?
        @Option(help: "How far a delivery's timestamp may be from now, in seconds.") package var tolerance: Int64 = 300
        @Flag(help: "Print each delivery as a JSON line: its id, whether it verified, why not, and its body.")
        package var json = false

        package init() {}

        /// Run by `custody-server` (`ServerCommand`).
        package func run() throws { ServerCommand.execAsGiven() }
    }
}
