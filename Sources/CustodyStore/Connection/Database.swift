import CustodyCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

/// A pooled connection to the Custody database: the one way the store talks to PostgreSQL.
public struct Database: Sendable {
    /// Where it connects (the URL as given).
    public let url: DatabaseURL
    let backend: Backend
    /// Where its statements and failures are logged.
    public let logger: Logger
    /// Nil inside `transaction`: followers are woken after its COMMIT, by the database it was opened on.
    var wakeup: FollowerWakeup? = FollowerWakeup()
    /// Rung when a projector on this pool commits webhook messages (a deliverer of the same process then starts
    /// at once instead of at its next poll).
    public let outboxBell = OutboxBell()

    /// A pool for servers and long commands; one connection, used in turn, for a command that does one thing
    /// after another (a recording command: one connection to open instead of a probe and a pool's).
    enum Backend: Sendable {
        case pool(Pool)
        case connection(PostgresConnection)
    }

    /// The pool's client: replaced by one on the new primary (or standby) when the URL names several hosts and
    /// the one in use stops being what `target_session_attrs` asks for (a failover), without a restart.
    final class Pool: Sendable {
        private let current: NIOLockedValueBox<(client: PostgresClient, url: DatabaseURL)>
        init(_ client: PostgresClient, _ url: DatabaseURL) { current = .init((client, url)) }
        var client: PostgresClient { current.withLockedValue { $0.client } }
        var url: DatabaseURL { current.withLockedValue { $0.url } }
        func replace(_ client: PostgresClient, _ url: DatabaseURL) { current.withLockedValue { $0 = (client, url) } }
    }

    /// The host in use, for messages and /ready: the one a pool over several hosts chose last.
    public var server: String {
        switch backend {
        case .pool(let pool): return DatabaseURL.name(pool.url.endpoint)
        case .connection: return url.server
        }
    }

    /// How often a pool over several hosts checks that its host is still the one to use.
    static let failoverCheck = Duration.seconds(1)

    /// Runs `body` with a connected pool, closing it afterwards.
    ///
    /// With `probe`, one direct connection is made first: the pool retries failed connections quietly until its
    /// circuit breaker trips, while a command line should say at once that the server is down or the password
    /// wrong.
    @discardableResult
    public static func with<R: Sendable>(
        _ url: DatabaseURL, logger: Logger = Logger(label: "custody.store"), maximumConnections: Int = 20,
        probe: Bool = false, _ body: (Database) async throws -> R
    ) async throws -> R {
        // Several hosts: the one target_session_attrs picks, found by connecting (which is also the probe).
        var chosen = url
        if probe || url.choosesHost {
            let (selected, connection) = try await EarlyConnection.connect(url, logger: logger)
            await firstOf(within: .seconds(2)) { try? await connection.close() }
            chosen = selected
        }
        // The pool's own chatter (reconnects, leases before run() starts) is not the user's business: failures
        // reach the caller as errors.
        var background = logger
        background.logLevel = .critical
        let client: @Sendable (DatabaseURL) -> PostgresClient = { [background] url in
            var configuration = url.clientConfiguration
            configuration.options.maximumConnections = maximumConnections
            return PostgresClient(configuration: configuration, backgroundLogger: background)
        }
        let pool = Pool(client(chosen), chosen)
        let (result, closing) = await withTaskGroup(of: Void.self) { group in
            let first = pool.client
            group.addTask { await first.run() }
            if url.endpoints.count > 1 {
                group.addTask { await follow(url, pool, logger: logger, client) }
            }
            defer { group.cancelAll() }
            let database = Database(url: url, backend: .pool(pool), logger: logger)
            let result: Result<R, any Error>
            do { result = .success(try await body(database)) } catch { result = .failure(error) }
            await database.wakeup?.drain()
            return (result, Self.warnIfStillClosing(logger))
        }
        closing.cancel()
        return try result.get()
    }

    /// The pool closes once every connection it lent is back; a connection held by work that never ends holds
    /// the caller too. Said after ten seconds, so that such a wait is never silent.
    private static func warnIfStillClosing(_ logger: Logger) -> Task<Void, Never> {
        Task {
            try? await Task.sleep(for: .seconds(10))
            if !Task.isCancelled {
                logger.warning("the database pool has been closing for 10 s: a connection it lent is still in use")
            }
        }
    }

    /// Keeps a pool over several hosts on the one to use: every `failoverCheck`, asks the host in use whether it
    /// still is (in or out of recovery as asked); when it is not, or does not answer, selects again and moves the
    /// pool there. The replaced clients run until the caller's work ends, then all stop together.
    private static func follow(
        _ url: DatabaseURL, _ pool: Pool, logger: Logger, _ makeClient: @Sendable (DatabaseURL) -> PostgresClient
    ) async {
        await withTaskGroup(of: Void.self) { clients in
            while !Task.isCancelled {
                try? await Task.sleep(for: failoverCheck)
                // The caller's work ended while this slept: no check, no new connection to a pool shutting down.
                if Task.isCancelled { break }
                let current = pool.client
                let fits =
                    await firstOf(within: .seconds(2)) {
                        guard
                            let (inRecovery, readOnly) = try? await current.withConnection({
                                try await state(of: $0, logger: logger)
                            })
                        else {
                            return false
                        }
                        // Under prefer-standby a primary is only a stand-in: look for a standby again.
                        return url.target == .preferStandby
                            ? inRecovery : url.target.accepts(inRecovery: inRecovery, readOnly: readOnly)
                    } ?? false
                guard !fits, let (selected, connection) = try? await select(url, logger: logger) else { continue }
                await firstOf(within: .seconds(2)) { try? await connection.close() }
                // The same host again (it came back, or there is still no standby): the pool reconnects by itself.
                guard selected.endpoint != pool.url.endpoint else { continue }
                let replacement = makeClient(selected)
                clients.addTask { await replacement.run() }
                pool.replace(replacement, selected)
                logger.warning(
                    "the database moved: now using \(DatabaseURL.name(selected.endpoint)) (\(url.target.rawValue))")
            }
            clients.cancelAll()
        }
    }

    /// Whether a server is in recovery (a standby) and read-only by default.
    static func state(of connection: PostgresConnection, logger: Logger) async throws -> (
        inRecovery: Bool, readOnly: Bool
    ) {
        let rows = try await connection.query(
            "SELECT pg_is_in_recovery(), current_setting('default_transaction_read_only') = 'on'", logger: logger)
        for try await (inRecovery, readOnly) in rows.decode((Bool, Bool).self) { return (inRecovery, readOnly) }
        return (false, false)
    }

    /// The host of `url` its `target_session_attrs` picks, in the order given, and a connection to it.
    /// `prefer-standby` takes the first standby that answers, else the first host that answered.
    static func select(_ url: DatabaseURL, logger: Logger) async throws -> (DatabaseURL, PostgresConnection) {
        var fallback: (DatabaseURL, PostgresConnection)?
        var refusals: [String] = []
        for endpoint in url.endpoints {
            let candidate = url.connecting(to: endpoint)
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(
                    configuration: candidate.connectionConfiguration(), id: 0, logger: logger)
            } catch {
                refusals.append("\(DatabaseURL.name(endpoint)): \(translate(error))")
                continue
            }
            guard url.choosesHost else { return (candidate, connection) }
            let (inRecovery, readOnly): (Bool, Bool)
            do { (inRecovery, readOnly) = try await state(of: connection, logger: logger) } catch {
                refusals.append("\(DatabaseURL.name(endpoint)): \(translate(error))")
                await firstOf(within: .seconds(2)) { try? await connection.close() }
                continue
            }
            if url.target == .preferStandby && !inRecovery {
                if fallback == nil {
                    fallback = (candidate, connection)
                } else {
                    await firstOf(within: .seconds(2)) { try? await connection.close() }
                }
                continue
            }
            if url.target.accepts(inRecovery: inRecovery, readOnly: readOnly) {
                if let (_, spare) = fallback { await firstOf(within: .seconds(2)) { try? await spare.close() } }
                return (candidate, connection)
            }
            refusals.append(
                "\(DatabaseURL.name(endpoint)) is \(inRecovery ? "a standby" : "the primary"), not \(url.target.rawValue)"
            )
            await firstOf(within: .seconds(2)) { try? await connection.close() }
        }
        if let fallback { return fallback }
        throw StoreError.unavailable(refusals.joined(separator: "; "))
    }

    /// Runs `body` with a database of one connection, which `body` must use one statement after another (no
    /// concurrent transactions); connection failures say at once what is wrong, as `probe` does for a pool.
    /// A process that ends right after (a one-shot command) need not wait for the connection to close
    /// (`waitingForClose: false`): its closing is started (the server is told goodbye as the process prints), and
    /// the round of hops between threads that waiting takes was ~1 ms of such a command (measured).
    @discardableResult
    public static func withConnection<R: Sendable>(
        _ url: DatabaseURL, logger: Logger = Logger(label: "custody.store"), waitingForClose: Bool = true,
        _ body: (Database) async throws -> R
    ) async throws -> R {
        let connection: PostgresConnection
        do {
            connection = try await EarlyConnection.connect(url, logger: logger).1
        } catch {
            throw translate(error)
        }
        let database = Database(url: url, backend: .connection(connection), logger: logger)
        let result: Result<R, any Error>
        do { result = .success(try await body(database)) } catch { result = .failure(error) }
        await database.wakeup?.drain()
        if waitingForClose {
            await firstOf(within: .seconds(2)) { try? await connection.close() }
        } else {
            // Held until closed: a connection released open is a driver's assertion.
            connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
        }
        return try result.get()
    }

    /// Whether a single-connection database still answers, within `deadline`. A query on a connection whose
    /// server died mid-session can wait for ever and ignore cancellation (seen with PostgreSQL stopped
    /// `-m immediate`): this never waits on it longer than `deadline`, nor past the caller's cancellation.
    public func answers(within deadline: Duration) async -> Bool {
        guard case .connection(let connection) = backend else { return true }
        let logger = self.logger
        return await Self.firstOf(within: deadline) {
            do {
                for try await _ in try await connection.query("SELECT 1", logger: logger) {}
                return true
            } catch {
                return false
            }
        } ?? false
    }

    /// The value of `work`, or nil when `deadline` passes or the caller is cancelled first. `work` runs
    /// unstructured, so a call that never returns is left behind instead of holding its caller.
    @discardableResult
    static func firstOf<T: Sendable>(within deadline: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
        let (outcome, finish) = AsyncStream.makeStream(of: T?.self, bufferingPolicy: .bufferingNewest(1))
        let worker = Task { finish.yield(await work()) }
        let timer = Task {
            try? await Task.sleep(for: deadline)
            finish.yield(nil)
        }
        defer {
            timer.cancel()
            worker.cancel()
        }
        for await value in outcome { return value }
        return nil
    }

    /// Runs one statement, mapping server and connection errors to `StoreError`.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        do {
            switch backend {
            case .pool(let pool): return try await pool.client.query(query, logger: logger)
            case .connection(let connection): return try await connection.query(query, logger: logger)
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs `body` on one connection.
    public func withConnection<R: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> R) async throws -> R
    {
        do {
            switch backend {
            case .pool(let pool):
                return try await pool.client.withConnection { connection in try await body(connection) }
            case .connection(let connection): return try await body(connection)
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs `body` with a database whose every statement (an append, a row of another table) runs in one
    /// transaction: all of them commit together or none does. Followers are woken after the COMMIT.
    public func transaction<R: Sendable>(_ body: @Sendable (Database) async throws -> R) async throws -> R {
        let (url, logger) = (url, logger)
        let result = try await withTransaction { connection in
            var inside = Database(url: url, backend: .connection(connection), logger: logger)
            inside.wakeup = nil
            return try await body(inside)
        }
        await wakeup?.ring(self)
        return result
    }

    /// Runs `body` in a transaction that commits when it returns and rolls back when it throws, keeping the
    /// original error (PostgresNIO's own helper wraps it).
    public func withTransaction<R: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> R) async throws -> R
    {
        try await withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Maps what PostgresNIO throws to the store's errors; SQLSTATEs CU001..CU006 come from schema/001 and 010.
    static func translate(_ error: any Error) -> any Error {
        // A page that found the projection rebuilt under it says so as it is: the leader reloads on it.
        if error is StoreError || error is CustodyError || error is ProjectionMoved { return error }
        // The pool's own errors (circuit breaker tripped, pool shut down) are of a type in an underscored module
        // with no stability promise; its name is matched instead of importing that module.
        let poolError = String(describing: type(of: error)) == "ConnectionPoolError"
        if error is ChannelError || error is IOError || error is NIOConnectionError || poolError {
            return StoreError.unavailable("\(error)")
        }
        guard let error = error as? PSQLError else { return StoreError.database("\(error)") }
        guard let info = error.serverInfo else {
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                let cause = error.underlying.map { "\($0)" } ?? "\(error.code)"
                return StoreError.unavailable("\(cause)")
            default:
                return StoreError.database("\(error.code)")
            }
        }
        let state = info[.sqlState] ?? ""
        let message = info[.message] ?? "\(error)"
        switch state {
        case "CU001":
            if let detail = info[.detail], let fields = try? EventCoding.value(ofJSON: detail),
                case .object(let members) = fields, case .string(let stream)? = members["stream"],
                case .integer(let expected)? = members["expected"], case .integer(let actual)? = members["actual"]
            {
                let expectation: ExpectedVersion = expected < 0 ? .any : expected == 0 ? .noStream : .exact(expected)
                return StoreError.wrongExpectedVersion(stream: stream, expected: expectation, actual: actual)
            }
            return StoreError.database(message)
        case "CU002":
            if let detail = info[.detail], let fields = try? EventCoding.value(ofJSON: detail),
                case .object(let members) = fields, case .string(let id)? = members["eventId"],
                let uuid = UUID(uuidString: id)
            {
                return StoreError.conflictingEventId(uuid)
            }
            return StoreError.database(message)
        case "CU004":
            return StoreError.restoredIntoNewCluster
        case "CU005":
            if let detail = info[.detail], let fields = try? EventCoding.value(ofJSON: detail),
                case .object(let members) = fields, case .string(let stream)? = members["stream"],
                case .integer(let expected)? = members["expected"], case .integer(let actual)? = members["actual"]
            {
                return StoreError.readStreamMoved(stream: stream, expected: expected, actual: actual)
            }
            return StoreError.database(message)
        case "CU006":
            return StoreError.appendedTwiceInOneTransaction
        case "23514" where info[.constraintName] == "custody_events_readable":
            return StoreError.database(
                "the log accepts only event types and schema versions this custody reads, with object data and metadata"
            )
        case "57P01", "57P02", "57P03", "08000", "08003", "08006":
            return StoreError.unavailable(message)
        case "25006",
            _ where message.contains("during recovery"):
            // Writing to a standby: no retry will help; the primary's URL, or several hosts, will.
            return StoreError.configuration(
                "the database is a standby (read-only, in recovery): record facts on the primary, or give every host "
                    + "with target_session_attrs=read-write (postgres://user@h1,h2/db?target_session_attrs=read-write)")
        case "3D000", "28000", "28P01":
            // A wrong database name or credentials will not fix themselves: no retry.
            return StoreError.configuration("the database refused the connection: \(message)")
        default:
            return StoreError.database(message)
        }
    }
}
