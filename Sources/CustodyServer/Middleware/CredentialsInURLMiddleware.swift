import CustodyCore
import CustodyStore
import HTTPTypes
import Hummingbird

/// Refuses a request that carries a credential in its URL (`?access_token=…`, or any query value shaped like a
/// Custody token) before anything logs the URL: a URL ends up in proxies' logs, browser histories and the
/// access log. The refusal is recorded with the path only, never the query.
struct CredentialsInURLMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let recorder: AccessRecorder

    static let names: Set<String> = ["access_token", "token", "bearer", "authorization"]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response)
        async throws -> Response
    {
        let carriesToken = request.uri.queryParameters.contains { name, value in
            Self.names.contains(String(name).lowercased()) || AccessToken(parsing: String(value)) != nil
        }
        guard carriesToken else { return try await next(request, context) }
        if request.uri.path.hasPrefix("/v1") {
            recorder.record(
                AccessRecord(
                    at: .now, tokenId: nil, scope: "none", subject: nil, route: request.uri.path,
                    path: request.uri.path,
                    status: 400, requestId: context.id))
        }
        throw Problem.badRequest(
            "a token goes in the Authorization header (Authorization: Bearer custody_…), never in the URL; "
                + "this request was refused and its query not stored; revoke the token if the URL was shared")
    }
}
