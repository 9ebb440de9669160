import CustodyCore
import Foundation

/// Everything the store refuses or cannot do, with a message a person can act on.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The stream moved on since the writer looked: retry after re-reading.
    case wrongExpectedVersion(stream: String, expected: ExpectedVersion, actual: Int64)
    /// A stream the decision was made on moved on before the append (another writer changed it): check again.
    case readStreamMoved(stream: String, expected: Int64, actual: Int64)
    /// The caller's transaction already appended: a transaction appends once, all its events in one call.
    case appendedTwiceInOneTransaction
    /// An event id is already stored with other content (ids are idempotency keys, not reusable).
    case conflictingEventId(UUID)
    /// The database has not been migrated to what this binary needs.
    case schemaBehind(current: Int, required: Int)
    /// The database was migrated by a newer custody.
    case schemaAhead(current: Int, supported: Int)
    /// The log was copied into a cluster whose transaction ids are older than the stored ones.
    case restoredIntoNewCluster
    /// The database cannot be reached (down, wrong URL, connection dropped).
    case unavailable(String)
    /// A configuration mistake (a malformed database URL, no database configured).
    case configuration(String)
    /// A refused import, naming the line.
    case importRefused(line: Int, reason: String)
    /// Another process is doing the same exclusive work (a rebuild).
    case busy(String)
    /// Anything else the server said.
    case database(String)

    /// The error in one line, as the CLI prints it.
    public var description: String {
        switch self {
        case .wrongExpectedVersion(let stream, let expected, let actual):
            return "stream \(stream) is at version \(actual), not the expected \(expected): re-read it and retry"
        case .readStreamMoved(let stream, let expected, let actual):
            return
                "stream \(stream) moved on to version \(actual) while this fact was being checked against version \(expected): "
                + "run the command again to check it against the new state"
        case .appendedTwiceInOneTransaction:
            return "this transaction has already appended to the log: append every event of a transaction in one call"
        case .conflictingEventId(let id):
            return
                "event id \(id.uuidString.lowercased()) is already stored with different content (a retry must repeat the same fact)"
        case .schemaBehind(let current, let required):
            return
                "the database schema is at version \(current) but this custody needs \(required): run `custody migrate`"
        case .schemaAhead(let current, let supported):
            return
                "the database schema is at version \(current), newer than this custody supports (\(supported)): upgrade custody"
        case .restoredIntoNewCluster:
            return "the log holds transaction ids newer than this cluster's (it was copied into a new cluster); "
                + "refusing to append: export with `custody events --json` and import into an empty database"
        case .unavailable(let reason):
            return "cannot reach the database: \(reason)"
        case .configuration(let reason):
            return reason
        case .importRefused(let line, let reason):
            return "line \(line): \(reason); nothing was imported"
        case .busy(let reason):
            return reason
        case .database(let reason):
            return "database error: \(reason)"
        }
    }
}
