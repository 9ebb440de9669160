import CustodyCore
import CustodyStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// Checks bearer tokens against `custody_tokens`. A valid token is remembered for a short while so a busy
/// dashboard does not cost a query per request; a revocation therefore takes effect within `remember`.
struct Authenticator: Sendable {
    let tokens: TokenStore
    let enabled: Bool
    let remember: Duration
    let database: DatabaseGate
    private let known = NIOLockedValueBox<[String: (Caller, until: ContinuousClock.Instant)]>([:])

    init(tokens: TokenStore, enabled: Bool, remember: Duration = .seconds(2), database: DatabaseGate) {
        (self.tokens, self.enabled, self.remember, self.database) = (tokens, enabled, remember, database)
    }

    /// The caller of a route with `access`, from its bearer token; nil for open routes and when authentication
    /// is off.
    func authenticate(_ request: Request, _ access: RouteAccess) async throws -> Caller? {
        guard access != .open, enabled else { return nil }
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized("this route needs a bearer token (Authorization: Bearer custody_…); create one with `custody token create`")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            let token = AccessToken(parsing: parts[1].trimmingCharacters(in: .whitespaces))
        else { throw Self.unauthorized("the Authorization header is not a Custody bearer token") }
        let key = ChainHash.hex(token.hash)
        let now = ContinuousClock.now
        var caller = known.withLockedValue { known in known[key].flatMap { $0.until > now ? $0.0 : nil } }
        if caller == nil {
            guard let (stored, scope) = try await database.run({ try await tokens.authenticate(token) }) else {
                throw Self.unauthorized("the token is unknown, revoked or expired")
            }
            let found = Caller(tokenId: stored.id, scope: scope)
            known.withLockedValue { known in
                if known.count > 10_000 { known.removeAll() }
                known[key] = (found, now + remember)
            }
            caller = found
        }
        guard let caller else { throw Self.unauthorized("the token is unknown, revoked or expired") }
        return caller
    }

    /// Refuses a caller whose token does not reach the route (the feed and stream are for admins).
    func permit(_ caller: Caller?, _ access: RouteAccess) throws {
        if access == .admin, let caller, caller.scope != .admin {
            throw Problem(.forbidden, "Forbidden", "this route needs an admin token (custody token create --admin)")
        }
    }

    private static func unauthorized(_ detail: String) -> Problem {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer realm=\"custody\""
        return Problem(.unauthorized, "Unauthorized", detail, headers: headers)
    }
}

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

/// Refuses what a read-only API never needs: other methods, request bodies, very long URLs.
///
/// A `/v1` request refused here, or by the router (no such route), is recorded in the access log like the ones a
/// route refuses (which the route records itself), with its path only.
struct LimitsMiddleware: RouterMiddleware {
    typealias Context = APIContext
    static let maximumURILength = 2048
    let recorder: AccessRecorder

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await limit(request, context: context, next: next)
        } catch let error as Problem where request.uri.path.hasPrefix("/v1") && error.recordedHere {
            record(request, context, status: error.status)
            throw error
        } catch let error as HTTPError where request.uri.path.hasPrefix("/v1") && error.status == .notFound {
            record(request, context, status: error.status)
            throw error
        }
    }

    private func record(_ request: Request, _ context: APIContext, status: HTTPResponse.Status) {
        recorder.record(AccessRecord(
            at: .now, tokenId: nil, scope: "none", subject: nil, route: "(refused before routing)", path: request.uri.path,
            status: Int(status.code), requestId: context.id))
    }

    private func limit(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.string.utf8.count <= Self.maximumURILength else {
            throw Problem(.uriTooLong, "URI too long", "the request URI exceeds \(Self.maximumURILength) bytes").refusedBeforeRouting
        }
        guard request.method == .get || request.method == .head else {
            var headers = HTTPFields()
            headers[.allow] = "GET, HEAD"
            throw Problem(.methodNotAllowed, "Method not allowed", "the API is read-only: only GET and HEAD are served", headers: headers)
                .refusedBeforeRouting
        }
        if request.headers[.transferEncoding] != nil || (request.headers[.contentLength].map { $0 != "0" } ?? false) {
            throw Problem(.contentTooLarge, "Content too large", "request bodies are refused: the API is read-only").refusedBeforeRouting
        }
        return try await next(request, context)
    }
}
