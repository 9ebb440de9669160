import CustodyCore
import CustodyStore
import Hummingbird
import Logging
import NIOCore

/// `custody serve`: the read-only HTTP API over the projections.
public enum APIServer {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
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
        public var poolSize = 16

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
        try await Database.with(url, logger: storeLogger, maximumConnections: configuration.poolSize) { database in
            let live = LiveState()
            let gate = DatabaseGate(deadline: configuration.databaseDeadline, telemetry: telemetry)
            let authenticator = Authenticator(tokens: TokenStore(database), enabled: configuration.authenticate, database: gate)
            let endpoints = Endpoints(
                database: database, live: live, cache: AnswerCache(), gate: gate, telemetry: telemetry,
                replays: ReplayLimit(2), readyLag: configuration.readyLag, authenticator: authenticator)
            if !configuration.authenticate {
                logger.warning("authentication is OFF (--no-auth): every caller sees everything; use only for local demos")
            }
            let recorder = AccessRecorder()
            let router = router(endpoints, authenticator, recorder: recorder)
            let app = Application(
                router: router,
                server: HTTP1ClosingChannel.builder(.init(idleTimeout: configuration.idleTimeout)),
                configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "custody"),
                onServerRunning: { channel in
                    listening(configuration.host, channel.localAddress?.port ?? configuration.port)
                },
                logger: logger)
            let watcher = LogWatcher(database: database, live: live, project: configuration.projector)
            let accessLog = AccessLog(database)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await watcher.run() }
                group.addTask { await recorder.run(accessLog, logger: logger) }
                try await app.runService()
                // Stopped serving: what was read is written before the pool closes (if the database answers soon).
                try? await gate.run { await recorder.flush(accessLog, logger: logger) }
                group.cancelAll()
            }
        }
    }

    static func router(_ endpoints: Endpoints, _ authenticator: Authenticator, recorder: AccessRecorder) -> Router<APIContext> {
        let router = Router(context: APIContext.self, options: .autoGenerateHeadEndpoints)
        // Middleware first: Hummingbird wraps each route with the middleware added before it.
        router.add(middleware: MetricsMiddleware())
        // Before the request logger: a refused token in the URL is never written to any log.
        router.add(middleware: CredentialsInURLMiddleware(recorder: recorder))
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: LimitsMiddleware(recorder: recorder))
        for route in APIRoutes.all {
            let handle = route.handle(endpoints)
            let access = route.access
            let audited = access != .open
            let aboutOrganization = route.path.hasPrefix("/v1/organizations/{id}")
            router.on(RouterPath(route.routerPath), method: route.method) { request, context in
                var context = context
                // Every /v1 request is recorded, refused ones too: who asked, about whom, and the answer's status.
                let record = { (status: HTTPResponse.Status) in
                    guard audited else { return }
                    let scope = context.caller.map { "\($0.scope)" } ?? (authenticator.enabled ? "none" : "admin (no auth)")
                    recorder.record(AccessRecord(
                        at: .now, tokenId: context.caller?.tokenId, scope: scope,
                        subject: aboutOrganization ? context.parameters.get("id") : nil, route: route.path,
                        path: request.uri.string, status: Int(status.code), requestId: context.id))
                }
                do {
                    context.caller = try await authenticator.authenticate(request, access)
                    try authenticator.permit(context.caller, access)
                    let response = try await handle(request, context)
                    record(response.status)
                    return response
                } catch {
                    record(ProblemMiddleware.problem(for: error).status)
                    throw error
                }
            }
        }
        return router
    }
}
