import CustodyCore
import CustodyStore
import Hummingbird
import Logging
import NIOCore

/// `custody serve`: the read-only HTTP API over the projections.
public enum APIServer {
    /// How `custody serve` runs: where it listens, whom it lets in, where it reads and what it runs beside the API.
    public struct Configuration: Sendable {
        /// The address to listen on.
        public var host = "127.0.0.1"
        /// The port (0: any free one, printed at start).
        public var port = 8080
        /// Off only for local demos (`--no-auth`): every caller is treated as admin.
        public var authenticate = true
        /// Run the exposure projector in this process (`--no-projector` when another process runs it).
        public var projector = true
        /// /ready fails when the read models are more than this many events behind.
        public var readyLag: Int64 = 1000
        /// How long a request waits for the database before answering 503.
        public var databaseDeadline = Duration.seconds(3)
        /// Connections idle (or clients silent) this long are closed.
        public var idleTimeout = TimeAmount.seconds(30)
        /// Database connections of the server's pool.
        public var poolSize = 16
        /// Deliver the webhook outbox in this process (nil: `--no-notifier`, another process does).
        public var webhooks: WebhookDeliverer.Configuration? = WebhookDeliverer.Configuration()
        /// Hot standbys to serve every `/v1` read from (`--replica-url`): the first that answers, else the primary.
        public var replicas: [DatabaseURL] = []
        /// How often the follower of a standby polls the log (a standby cannot LISTEN).
        public var replicaPoll = Duration.milliseconds(200)
        /// /ready fails when the standby's replay is further behind than this.
        public var maxReplicaLag = Duration.seconds(30)

        /// The defaults above.
        public init() {}
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish. `listening` is told the bound address
    /// (useful with port 0).
    public static func run(
        _ url: DatabaseURL, _ configuration: Configuration, logger: Logger,
        listening: @escaping @Sendable (String, Int) -> Void
    ) async throws {
        let telemetry = Telemetry(poolSize: configuration.poolSize)
        telemetry.bootstrap()
        var storeLogger = logger
        storeLogger.logLevel = .warning
        try await Database.with(url, logger: storeLogger, maximumConnections: configuration.poolSize) { primary in
            guard !configuration.replicas.isEmpty else {
                return try await serve(
                    primary: primary, reads: primary, configuration, telemetry: telemetry, logger: logger,
                    listening: listening)
            }
            // Reads from the first standby that answers; the primary stands in while none does (and /ready says so).
            let reads = DatabaseURL.reading(from: configuration.replicas, else: url)
            try await Database.with(reads, logger: storeLogger, maximumConnections: configuration.poolSize) { replica in
                try await serve(
                    primary: primary, reads: replica, configuration, telemetry: telemetry, logger: logger,
                    listening: listening)
            }
        }
    }

    /// Serves `/v1` and the pages from `reads` (the primary, or a standby) while the projector, the access log
    /// and the webhook deliverer write to `primary`.
    private static func serve(
        primary: Database, reads database: Database, _ configuration: Configuration, telemetry: Telemetry,
        logger: Logger,
        listening: @escaping @Sendable (String, Int) -> Void
    ) async throws {
        let replicated = !configuration.replicas.isEmpty
        let live = LiveState()
        let gate = DatabaseGate(deadline: configuration.databaseDeadline, telemetry: telemetry)
        let authenticator = Authenticator(
            tokens: TokenStore(database), enabled: configuration.authenticate, database: gate)
        let endpoints = Endpoints(
            database: database, live: live, cache: AnswerCache(), gate: gate, telemetry: telemetry,
            replays: ReplayLimit(2), readyLag: configuration.readyLag, authenticator: authenticator,
            replication: replicated ? Replication(primary: primary, maximumLag: configuration.maxReplicaLag) : nil)
        if !configuration.authenticate {
            logger.warning("authentication is OFF (--no-auth): every caller sees everything; use only for local demos")
        }
        let recorder = AccessRecorder()
        let sessions = WebSessions(tokens: TokenStore(database), gate: gate)
        let router = router(endpoints, authenticator, recorder: recorder, sessions: sessions)
        let app = Application(
            router: router,
            server: HTTP1ClosingChannel.builder(.init(idleTimeout: configuration.idleTimeout)),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "custody"),
            onServerRunning: { channel in
                listening(configuration.host, channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
        // The answers follow the log where they are read: from a standby by polling, as it cannot LISTEN. The
        // projector, when it runs here, writes to the primary on its own.
        let watcher =
            replicated
            ? LogWatcher(
                database: database, live: live, project: false, pollInterval: configuration.replicaPoll,
                listening: false)
            : LogWatcher(database: database, live: live, project: configuration.projector)
        let projector =
            replicated && configuration.projector
            ? LogWatcher(database: primary, live: LiveState(), project: true) : nil
        let accessLog = AccessLog(primary)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await watcher.run() }
            if let projector { group.addTask { await projector.run() } }
            group.addTask { await recorder.run(accessLog, logger: logger) }
            if let webhooks = configuration.webhooks {
                group.addTask {
                    await WebhookDeliverer.keepRunning(primary, webhooks, telemetry: telemetry, logger: logger)
                }
            }
            try await app.runService()
            logger.info("stopping: no longer serving; writing the access log and stopping the projector")
            // Stopped serving: what was read is written before the pool closes (if the database answers soon).
            try? await gate.run { await recorder.flush(accessLog, logger: logger) }
            group.cancelAll()
        }
        logger.info("stopped")
    }

    /// The routes, each resource's from its file in Routes/, mounted where their access says: open ones at the
    /// root, the rest in `/v1` behind access recording and authentication, the feed behind an admin check too.
    static func router(
        _ endpoints: Endpoints, _ authenticator: Authenticator, recorder: AccessRecorder, sessions: WebSessions
    ) -> Router<APIContext> {
        let router = Router(context: APIContext.self, options: .autoGenerateHeadEndpoints)
        // Middleware first: Hummingbird wraps each route with the middleware added before it.
        router.add(middleware: MetricsMiddleware())
        // Before the request logger: a refused token in the URL is never written to any log.
        router.add(middleware: CredentialsInURLMiddleware(recorder: recorder))
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: LimitsMiddleware(recorder: recorder))
        endpoints.addOperationsRoutes(to: router)
        let v1 = router.group("v1")
            .add(middleware: AccessRecordingMiddleware(recorder: recorder, authenticating: authenticator.enabled))
            .add(middleware: AuthenticationMiddleware(authenticator: authenticator))
        endpoints.addOrganizationRoutes(to: v1)
        endpoints.addModelAndDeploymentRoutes(to: v1)
        endpoints.addIncidentRoutes(to: v1)
        endpoints.addAnalysisRoutes(to: v1)
        endpoints.addEventRoutes(
            to: v1.group("events").add(middleware: AdminOnlyMiddleware(authenticator: authenticator)))
        // The web pages: signed in with a session cookie instead of a bearer token (Web/).
        let web = router.group("web").add(
            middleware: WebMiddleware(sessions: sessions, authenticating: authenticator.enabled))
        endpoints.addWebRoutes(to: web, sessions: sessions)
        return router
    }

    /// Every API route the server serves, as `GET /v1/organizations/{id}/exposure`, with its access: read from the
    /// router itself (HEAD routes, generated from GET, and the web pages under `/web`, which are not API, left
    /// out), for the test that holds `openapi.yaml` to it. The database is never queried.
    public static func routes(_ database: Database) -> [(route: String, access: RouteAccess)] {
        let gate = DatabaseGate(deadline: .seconds(1), telemetry: Telemetry(poolSize: 1))
        let authenticator = Authenticator(tokens: TokenStore(database), enabled: true, database: gate)
        let endpoints = Endpoints(
            database: database, live: LiveState(), cache: AnswerCache(), gate: gate, telemetry: gate.telemetry,
            replays: ReplayLimit(1), readyLag: 0, authenticator: authenticator)
        let sessions = WebSessions(tokens: TokenStore(database), gate: gate)
        return router(endpoints, authenticator, recorder: AccessRecorder(), sessions: sessions).routes
            .filter { $0.method != .head && !"\($0.path)".hasPrefix("/web") }
            .map { ("\($0.method) \($0.path)", RouteAccess.of(path: "\($0.path)")) }
    }
}
