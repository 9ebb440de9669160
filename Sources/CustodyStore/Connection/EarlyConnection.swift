import Logging
import PostgresNIO
import Synchronization

/// A connection opened while the command line is still being parsed.
///
/// A one-shot command spends a third of its time before it first needs the database (the process's start and
/// ArgumentParser's first parse), and opening a connection (the server forks a backend, which reads the catalog)
/// takes a few milliseconds more: the two overlap when the connection is asked for first. Measured, alternating:
/// `exposure --deployment` 17–21 ms against 20–23, `breach report` 21 against 24–27. Taken by the first
/// `Database.withConnection`, or a pool's probe (`Database.with`), to the same URL; one nobody takes ends with
/// the process (the server notes a client gone without saying goodbye only at DEBUG1).
public enum EarlyConnection {
    private static let pending = Mutex<(url: String, task: Task<(DatabaseURL, PostgresConnection), any Error>)?>(nil)

    /// Starts connecting to `url` in the background. The task starts at once, on the caller's thread, until the
    /// connection is on its way (its first wait): an ordinary task waited ~1 ms for a second thread while the
    /// caller went on to parse the command line.
    public static func open(_ url: DatabaseURL, logger: Logger) {
        let task = Task.immediate { try await Database.select(url, logger: logger) }
        pending.withLock { $0 = (url.text, task) }
    }

    /// The connection opened early to `url` when there is one (it is taken: the next caller connects anew), or
    /// a new one; with the host chosen among the URL's (`Database.select`). One opened to another URL (the
    /// command line named two, and the command took the other) is closed.
    static func connect(_ url: DatabaseURL, logger: Logger) async throws -> (DatabaseURL, PostgresConnection) {
        let early = pending.withLock { pending in
            defer { pending = nil }
            return pending.map { (taken: $0.url == url.text, $0.task) }
        }
        if let (taken, task) = early {
            if taken { return try await task.value }
            Task { try? await task.value.1.close() }
        }
        return try await Database.select(url, logger: logger)
    }
}
