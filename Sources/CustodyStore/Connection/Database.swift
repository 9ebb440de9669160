import CustodyCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// A pooled connection to the Custody database: the one way the store talks to PostgreSQL.
public struct Database: Sendable {
    public let url: DatabaseURL
    let backend: Backend
    public let logger: Logger
    /// Nil inside `transaction`: followers are woken after its COMMIT, by the database it was opened on.
    var wakeup: FollowerWakeup? = FollowerWakeup()
    /// Rung when a projector on this pool commits webhook messages (a deliverer of the same process then starts
    /// at once instead of at its next poll).
    public let outboxBell = OutboxBell()

    /// A pool for servers and long commands; one connection, used in turn, for a command that does one thing
    /// after another (a recording command: one connection to open instead of a probe and a pool's).
    enum Backend: Sendable {
        case pool(PostgresClient)
        case connection(PostgresConnection)
    }

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
        if probe {
            try await withConnection(url, logger: logger) { _ in }
        }
        var configuration = url.clientConfiguration
        configuration.options.maximumConnections = maximumConnections
        // The pool's own chatter (reconnects, leases before run() starts) is not the user's business: failures
        // reach the caller as errors.
        var background = logger
        background.logLevel = .critical
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let database = Database(url: url, backend: .pool(client), logger: logger)
            let result: Result<R, any Error>
            do { result = .success(try await body(database)) } catch { result = .failure(error) }
            await database.wakeup?.drain()
            return try result.get()
        }
    }

    /// Runs `body` with a database of one connection, which `body` must use one statement after another (no
    /// concurrent transactions); connection failures say at once what is wrong, as `probe` does for a pool.
    @discardableResult
    public static func withConnection<R: Sendable>(
        _ url: DatabaseURL, logger: Logger = Logger(label: "custody.store"), _ body: (Database) async throws -> R
    ) async throws -> R {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: url.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            throw translate(error)
        }
        let database = Database(url: url, backend: .connection(connection), logger: logger)
        let result: Result<R, any Error>
        do { result = .success(try await body(database)) } catch { result = .failure(error) }
        await database.wakeup?.drain()
        await firstOf(within: .seconds(2)) { try? await connection.close() }
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
        defer { timer.cancel(); worker.cancel() }
        for await value in outcome { return value }
        return nil
    }

    /// Runs one statement, mapping server and connection errors to `StoreError`.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        do {
            switch backend {
            case .pool(let client): return try await client.query(query, logger: logger)
            case .connection(let connection): return try await connection.query(query, logger: logger)
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs `body` on one connection.
    public func withConnection<R: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        do {
            switch backend {
            case .pool(let client): return try await client.withConnection { connection in try await body(connection) }
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
    public func withTransaction<R: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> R) async throws -> R {
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
        if error is StoreError || error is CustodyError { return error }
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
                case .object(let members) = fields, case .string(let id)? = members["eventId"], let uuid = UUID(uuidString: id)
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
                "the log accepts only event types and schema versions this custody reads, with object data and metadata")
        case "57P01", "57P02", "57P03", "08000", "08003", "08006":
            return StoreError.unavailable(message)
        case "3D000", "28000", "28P01":
            // A wrong database name or credentials will not fix themselves: no retry.
            return StoreError.configuration("the database refused the connection: \(message)")
        default:
            return StoreError.database(message)
        }
    }
}
