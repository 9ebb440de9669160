import CustodyCore
import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// Follows the log: every committed event once, in commit-consistent order, waking on notifications and
/// polling as a fallback (a LISTEN ends with its connection; polling covers the gap until it is re-established).
/// On a hot standby, which cannot LISTEN, it only polls (`listening: false`).
public struct Follower: Sendable {
    let store: EventStore
    let pollInterval: Duration
    let listening: Bool

    /// A follower of `store`'s log, polling every `pollInterval` (and woken by notifications when `listening`).
    public init(_ store: EventStore, pollInterval: Duration = .milliseconds(500), listening: Bool = true) {
        self.store = store
        self.pollInterval = pollInterval
        self.listening = listening
    }

    /// Calls `handle` with each page of events after `cursor`, forever (until the task is cancelled).
    public func follow(
        after cursor: LogCursor, stream: StreamName? = nil, pageSize: Int = 1000,
        _ handle: @escaping @Sendable (LogPage) async throws -> Void
    ) async throws {
        let position = NIOLockedValueBox(cursor)
        try await onEveryWake {
            while true {
                let page = try await store.readLog(
                    after: position.withLockedValue { $0 }, stream: stream, limit: pageSize)
                position.withLockedValue { $0 = page.next }
                if !page.entries.isEmpty { try await handle(page) }
                if page.entries.count < pageSize { return }
            }
        }
    }

    /// Calls `body` at once, then after every notification and poll tick, forever (until the task is cancelled):
    /// for a reader that keeps its own place in the log (`follow`, the projector catching up from its checkpoint)
    /// and reads until nothing is left each time.
    public func onEveryWake(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await listen(wake) }
            group.addTask {
                var iterator = wakeups.makeAsyncIterator()
                while !Task.isCancelled {
                    try await body()
                    _ = await iterator.next()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Yields on every notification and on every poll tick, re-listening after a dropped connection.
    private func listen(_ wake: AsyncStream<Void>.Continuation) async {
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: pollInterval)
                wake.yield()
            }
        }
        defer { ticker.cancel() }
        guard listening else {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        while !Task.isCancelled {
            do {
                try await store.database.withConnection { connection in
                    try await connection.listen(on: EventStore.channel) { notifications in
                        wake.yield()
                        for try await _ in notifications { wake.yield() }
                    }
                }
            } catch {
                store.database.logger.debug("listen ended; polling until it is back", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: pollInterval)
            }
        }
    }
}
