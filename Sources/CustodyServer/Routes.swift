import HTTPTypes
import Hummingbird

/// Who may call a route.
public enum RouteAccess: String, Sendable {
    /// No token: liveness, readiness, metrics, the API document.
    case open
    /// Any valid token; answers are limited to the token's organization when it has one.
    case token
    /// An admin token only: the global event feed.
    case admin
}

/// One route of the API. The table below both registers the routes and feeds the test that checks
/// `openapi.yaml` against them (Hummingbird's router cannot list what it holds).
public struct APIRoute: Sendable {
    public let method: HTTPRequest.Method
    /// The path as OpenAPI writes it: `/v1/organizations/{id}/exposure`.
    public let path: String
    public let access: RouteAccess
    let handle: @Sendable (Endpoints) -> @Sendable (Request, APIContext) async throws -> Response

    init(
        _ method: HTTPRequest.Method, _ path: String, _ access: RouteAccess,
        _ handle: @escaping @Sendable (Endpoints) -> @Sendable (Request, APIContext) async throws -> Response
    ) {
        (self.method, self.path, self.access, self.handle) = (method, path, access, handle)
    }

    /// The path as Hummingbird's router writes it: `/v1/organizations/:id/exposure`.
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : part
        }.joined(separator: "/")
    }
}

public enum APIRoutes {
    public static let all: [APIRoute] = [
        APIRoute(.get, "/health", .open) { e in e.health },
        APIRoute(.get, "/ready", .open) { e in e.ready },
        APIRoute(.get, "/metrics", .open) { e in e.metrics },
        APIRoute(.get, "/openapi.yaml", .open) { e in e.openAPI },
        APIRoute(.get, "/v1/organizations", .token) { e in e.organizations },
        APIRoute(.get, "/v1/organizations/{id}/exposure", .token) { e in e.organizationExposure },
        APIRoute(.get, "/v1/models/{id}/exposure", .token) { e in e.modelExposure },
        APIRoute(.get, "/v1/deployments/{id}/exposure", .token) { e in e.deploymentExposure },
        APIRoute(.get, "/v1/incidents", .token) { e in e.incidents },
        APIRoute(.get, "/v1/incidents/{id}", .token) { e in e.incident },
        APIRoute(.get, "/v1/incidents/{id}/postmortem", .token) { e in e.postmortem },
        APIRoute(.get, "/v1/whatif", .token) { e in e.whatIf },
        APIRoute(.get, "/v1/concentration", .token) { e in e.concentration },
        APIRoute(.get, "/v1/events", .admin) { e in e.events },
        APIRoute(.get, "/v1/events/stream", .admin) { e in e.eventStream },
    ]
}
