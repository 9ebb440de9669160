import CustodyStore
import NIOConcurrencyHelpers

/// Every database call of a request goes through here: bounded in time (a request never hangs on a dead
/// database; it gets a 503) and counted for /metrics.
struct DatabaseGate: Sendable {
    let deadline: Duration
    let telemetry: Telemetry

    /// The body's result, or `DatabaseDeadline` once the deadline passes. The body runs in a task of its own that
    /// the caller does not wait for past the deadline: a task group would, and a call that does not heed
    /// cancellation (a lease on the pool of a standby that was just killed) then held its request open forever.
    func run<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R {
        telemetry.databaseRequest(started: true)
        defer { telemetry.databaseRequest(started: false) }
        let outcome = Outcome<R>()
        let work = Task { outcome.settle(with: await Result { try await body() }) }
        let timer = Task {
            try await Task.sleep(for: deadline)
            outcome.settle(with: .failure(DatabaseDeadline()))
        }
        defer {
            work.cancel()
            timer.cancel()
        }
        return try await withTaskCancellationHandler {
            try await outcome.value
        } onCancel: {
            outcome.settle(with: .failure(CancellationError()))
        }
    }

    /// Answers within the deadline whether the database answers at all: a replay (`known_at`, a postmortem) may
    /// legitimately run longer than the deadline, but must not make a caller wait a minute for a database that
    /// is down.
    func reachable(_ database: Database) async throws {
        try await run { for try await _ in try await database.query("SELECT 1") {} }
    }
}

/// The first of several results to arrive, for one waiter; the later ones are dropped.
private final class Outcome<R: Sendable>: Sendable {
    private enum State {
        case pending(CheckedContinuation<R, any Error>?)
        case settled(Result<R, any Error>)
    }

    private let state = NIOLockedValueBox(State.pending(nil))

    /// Settles the outcome unless it is settled already.
    func settle(with result: Result<R, any Error>) {
        let waiter: CheckedContinuation<R, any Error>? = state.withLockedValue { state in
            guard case .pending(let waiter) = state else { return nil }
            state = .settled(result)
            return waiter
        }
        waiter?.resume(with: result)
    }

    /// The result, once one has arrived.
    var value: R {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let settled: Result<R, any Error>? = state.withLockedValue { state in
                    switch state {
                    case .settled(let result): return result
                    case .pending:
                        state = .pending(continuation)
                        return nil
                    }
                }
                if let settled { continuation.resume(with: settled) }
            }
        }
    }
}

extension Result where Failure == any Error {
    fileprivate init(_ body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
