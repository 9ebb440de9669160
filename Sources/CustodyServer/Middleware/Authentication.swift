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
            throw Self.unauthorized(
                "this route needs a bearer token (Authorization: Bearer custody_…); create one with `custody token create`"
            )
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
            throw Problem(.forbidden, "this route needs an admin token (custody token create --admin)")
        }
    }

    private static func unauthorized(_ detail: String) -> Problem {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer realm=\"custody\""
        return Problem(.unauthorized, detail, headers: headers)
    }
}

/// Who may call a route: decided by where it is mounted (`APIServer.router`), and by nothing else.
public enum RouteAccess: String, Sendable {
    /// No token: liveness, readiness, metrics, the API document (outside `/v1`).
    case open
    /// Any valid token (`/v1`); answers are limited to the token's organization when it has one.
    case token
    /// An admin token only (`/v1/events`): the global event feed.
    case admin

    /// The groups the router mounts routes in, outermost first; `of(path:)` reads the same table.
    static let groups: [(prefix: String, access: RouteAccess)] = [("/v1/events", .admin), ("/v1", .token)]

    /// The access of a route at `path` (as OpenAPI writes it).
    public static func of(path: String) -> RouteAccess {
        groups.first { path == $0.prefix || path.hasPrefix($0.prefix + "/") }?.access ?? .open
    }
}

/// Authenticates every route of the group it is added to (`/v1`): the caller comes from the bearer token.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response)
        async throws -> Response
    {
        context.caller = try await authenticator.authenticate(request, .token)
        return try await next(request, context)
    }
}

/// Lets only admin tokens through (the event feed), after `AuthenticationMiddleware` found the caller.
struct AdminOnlyMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response)
        async throws -> Response
    {
        try authenticator.permit(context.caller, .admin)
        return try await next(request, context)
    }
}
