import ArgumentParser
import CustodyCore
import Logging

/// `custody serve`, declared here for `custody --help`, completion scripts and the manual; `custody-server` runs it.
package struct Serve: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the read-only HTTP API over the exposure projections.",
        discussion: """
            Endpoints (all JSON, the same documents as the CLI's --json): /v1/organizations, \
            /v1/organizations/{id}/exposure, /v1/models/{id}/exposure, /v1/deployments/{id}/exposure, \
            /v1/incidents, /v1/incidents/{id}, /v1/incidents/{id}/postmortem, /v1/events, /v1/events/stream; \
            open: /health, /ready, /metrics, /openapi.yaml (the full description).
            Everything under /v1 needs a bearer token (custody token create). The server never writes the log; \
            by default it also takes part in running the exposure projector: one process (serve or projections \
            run) leads and writes the read models, the others stand by and take over when it dies, so several \
            servers can share one database (--no-projector: only follow the log).
            With --replica-url (a PostgreSQL hot standby; repeatable), every /v1 read and page is served from the \
            first standby that answers, which the server follows by polling every --replica-poll (a standby \
            cannot LISTEN); the projector, the access log and webhook deliveries write to --database-url, and \
            reads fall back to the primary while no standby answers (/ready says where reads come from and how \
            far behind they are). Any URL may name several hosts (postgres://u@h1,h2/db?target_session_attrs=…).
            SIGTERM or Ctrl-C stop it gracefully: in-flight requests finish.
            Examples: custody serve --port 8080
                      curl -H "Authorization: Bearer $TOKEN" localhost:8080/v1/organizations/state-university/exposure
            """)
    @Option(help: "Address to listen on.") package var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one; the chosen port is printed).") package var port = 8080
    @Flag(name: .customLong("no-projector"), help: "Do not run the exposure projector here (another process does).")
    package var noProjector = false
    @Flag(name: .customLong("no-auth"), help: "Serve /v1 without tokens, as admin. For local demos only.")
    package var noAuth = false
    @Option(
        name: .customLong("ready-lag"), help: "/ready fails when the read models are more than this many events behind."
    )
    package var readyLag: Int64 = 1000
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    package var logLevel = "info"
    @Flag(
        name: .customLong("no-notifier"),
        help: "Do not deliver webhooks here (`custody notify run` or another server does).")
    package var noNotifier = false
    @Option(
        name: .customLong("replica-url"),
        help: ArgumentHelp(
            "A hot standby to serve reads from (repeatable; the first that answers is used).", valueName: "url"))
    package var replicaURLs: [String] = []
    @Option(name: .customLong("replica-poll"), help: "How often reads from a standby look for new events: 200ms, 1s, …")
    package var replicaPoll = "200ms"
    @Option(
        name: .customLong("max-replica-lag"),
        help: "/ready fails when the standby's replay is further behind: 30s, 2m, …")
    package var maxReplicaLag = "30s"
    @OptionGroup package var webhooks: WebhookDeliveryOptions
    @OptionGroup package var connection: ConnectionOptions

    package init() {}

    /// `250ms`, or the whole seconds, minutes, hours or days `DurationText` reads.
    package static func duration(_ text: String, _ option: String) throws -> Duration {
        if text.hasSuffix("ms"), let milliseconds = Int64(text.dropLast(2)), milliseconds > 0 {
            return .milliseconds(milliseconds)
        }
        do { return .seconds(try DurationText.seconds(parsing: text, what: option)) } catch {
            throw ValidationError("\(option) must be a duration like 200ms, 5s or 2m (not '\(text)')")
        }
    }

    package func validate() throws {
        _ = try Self.duration(replicaPoll, "--replica-poll")
        _ = try Self.duration(maxReplicaLag, "--max-replica-lag")
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard readyLag >= 0 else { throw ValidationError("--ready-lag must not be negative") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// Run by `custody-server` (`ServerCommand`).
    package func run() throws { ServerCommand.execAsGiven() }
}
