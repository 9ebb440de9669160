import CustodyCore
import CustodyStore
import Foundation
import HTTPTypes
import Hummingbird

/// The handlers of the routes in `APIRoutes`, and what they share.
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

    // MARK: - Open routes

    func health(_ request: Request, _ context: APIContext) async throws -> Response {
        try json(JSONValue.object(["status": .string("ok")]).jsonbText)
    }

    /// Ready when the database answers, the schema is current, and the read models are caught up within a bound.
    func ready(_ request: Request, _ context: APIContext) async throws -> Response {
        var reasons: [String] = []
        var database: JSONValue = .string("ok")
        var behind: Int64?
        var stall: Horizon.Holder?
        var heldBack: Int64 = 0
        var unreadable: String?
        do {
            (behind, heldBack, stall, unreadable) = try await gate.run { [self] in
                try await Migrator(self.database).requireCurrent()
                let horizon = try await EventStore(self.database).horizon()
                let lag = try await ExposureProjection.lag(self.database)
                let unreadable = lag > 0 ? try await ExposureProjection.unreadable(self.database) : nil
                return (lag, horizon.heldBack, horizon.isStalled() ? horizon.holder : nil, unreadable)
            }
        } catch {
            let problem = ProblemMiddleware.problem(for: error)
            database = .string(problem.detail)
            reasons.append(problem.detail)
        }
        let snapshot = live.snapshot
        if snapshot == nil { reasons.append("the log has not been folded yet" + (live.failure.map { ": \($0)" } ?? "")) }
        if let behind, behind > readyLag { reasons.append("the read models are \(behind) events behind (bound \(readyLag))") }
        // An event no reader can decode stops the projector for good, however few events it is behind.
        if let unreadable { reasons.append("the projector cannot go on: \(unreadable)") }
        // Who holds the horizon back (a pid, another database, an application) is for admins: /ready is open.
        let caller = try? await authenticator.authenticate(request, .admin)
        let admin = !authenticator.enabled || caller?.scope == .admin
        if let stall {
            reasons.append("\(heldBack) committed event(s) are held back by the "
                + (admin ? "\(stall)" : "transaction open longest in the cluster (an admin token, or `custody projections status`, names it)"))
        }
        if let behind { telemetry.projectionBehind.set(behind) }
        let document = JSONValue.object([
            "ready": .bool(reasons.isEmpty),
            "database": database,
            "projection": .object([
                "checkpoint": snapshot?.checkpoint.map { .string($0.cursor.description) } ?? .null,
                "events": snapshot?.checkpoint.map { .integer($0.events) } ?? .null,
                "behind": behind.map(JSONValue.integer) ?? .null,
                "bound": .integer(readyLag),
                "heldBack": .integer(heldBack),
                "stalledBy": admin ? (try? stall.map { try EventCoding.value(of: $0) }) ?? .null : .null,
            ]),
            "reasons": .array(reasons.map(JSONValue.string)),
        ])
        guard !reasons.isEmpty else { return try json(document.jsonbText) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.retryAfter] = "5"
        return Response(status: .serviceUnavailable, headers: headers, body: .init(byteBuffer: ByteBuffer(string: document.jsonbText + "\n")))
    }

    func metrics(_ request: Request, _ context: APIContext) async throws -> Response {
        if let checkpoint = live.snapshot?.checkpoint { telemetry.projectionEvents.set(checkpoint.events) }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: telemetry.text)))
    }

    func openAPI(_ request: Request, _ context: APIContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
    }

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
        return answer.response(to: request)
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try EventCoding.encoder.encode(value), as: UTF8.self)
    }
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
