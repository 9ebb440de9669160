import CustodyStore

/// Every database call of a request goes through here: bounded in time (a request never hangs on a dead
/// database; it gets a 503) and counted for /metrics.
struct DatabaseGate: Sendable {
    let deadline: Duration
    let telemetry: Telemetry

    func run<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R {
        telemetry.databaseRequest(started: true)
        defer { telemetry.databaseRequest(started: false) }
        let deadline = self.deadline
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw DatabaseDeadline() }
            return result
        }
    }

    /// Answers within the deadline whether the database answers at all: a replay (`known_at`, a postmortem) may
    /// legitimately run longer than the deadline, but must not make a caller wait a minute for a database that
    /// is down.
    func reachable(_ database: Database) async throws {
        try await run { for try await _ in try await database.query("SELECT 1") {} }
    }
}
