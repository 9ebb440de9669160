import CustodyCore
import CustodyStore
import Foundation
import HTTPTypes
import Hummingbird

/// What every route handler shares: the database and its deadline, the live fold, the answer cache. Each
/// resource's routes and handlers are in a file of their own in Routes/; the middleware in Middleware/.
struct Endpoints: Sendable {
    let database: Database
    let live: LiveState
    let cache: AnswerCache
    let gate: DatabaseGate
    let telemetry: Telemetry
    /// Known-at questions and postmortems replay the log; a few at a time, so they cannot starve the rest.
    let replays: ReplayLimit
    /// /ready fails when the read models are more than this many events behind.
    let readyLag: Int64
    /// /ready is open, but names another session's transaction (pid, database, application) to admins only.
    let authenticator: Authenticator
    /// Set when `database` is a standby's (`--replica-url`): the primary, to measure how far behind it is.
    var replication: Replication? = nil

    // MARK: - Shared

    func json(_ text: String, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    /// The fold of the log as of now; 503 until the first fold is done.
    func snapshot() throws -> LiveState.Snapshot {
        guard let snapshot = live.snapshot else {
            throw Problem.unavailable("the server is still reading the log" + (live.failure.map { " (\($0))" } ?? ""))
        }
        return snapshot
    }

    /// A cached answer for this request (path, query and caller), computed at most once per log version.
    func answer(
        _ request: Request, _ context: APIContext, contentType: String = "application/json",
        _ compute: @escaping @Sendable (LiveState.Snapshot) async throws -> String
    ) async throws -> Response {
        let snapshot = try snapshot()
        let key = "\(context.scope)|\(contentType)|\(request.uri.string)"
        let answer = try await cache.answer(key, version: snapshot.version) {
            Answer(try await compute(snapshot), contentType: contentType, version: snapshot.version, key: key)
        }
        return try answer.response(to: request)
    }

    static func encode(_ value: some Encodable) throws -> String {
        try EventCoding.document(value)
    }
}

/// Reads served from a hot standby: the primary they are compared with, and how far behind /ready tolerates.
struct Replication: Sendable {
    let primary: Database
    let maximumLag: Duration
}

/// At most `limit` replays of the whole log at once; the others wait their turn.
actor ReplayLimit {
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) { self.limit = limit }

    func run<R: Sendable>(_ body: @Sendable () async throws -> R) async throws -> R {
        if running >= limit {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            running += 1
        }
        defer {
            if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
