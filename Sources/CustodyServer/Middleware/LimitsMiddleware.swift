import CustodyCore
import CustodyStore
import HTTPTypes
import Hummingbird

/// Refuses what a read-only API never needs: other methods, request bodies, very long URLs. The one exception is
/// the web pages' sign-in and sign-out forms: a POST with a small form body.
///
/// A `/v1` request refused here, or by the router (no such route), is recorded in the access log like the ones a
/// route refuses (which the route records itself), with its path only.
struct LimitsMiddleware: RouterMiddleware {
    typealias Context = APIContext
    static let maximumURILength = 2048
    static let maximumFormLength = 4096
    static let forms: Set<String> = ["/web/sign-in", "/web/sign-out"]
    let recorder: AccessRecorder

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response)
        async throws -> Response
    {
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
        recorder.record(
            AccessRecord(
                at: .now, tokenId: nil, scope: "none", subject: nil, route: "(refused before routing)",
                path: request.uri.path,
                status: Int(status.code), requestId: context.id))
    }

    private func limit(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.string.utf8.count <= Self.maximumURILength else {
            throw Problem(.uriTooLong, "the request URI exceeds \(Self.maximumURILength) bytes").refusedBeforeRouting
        }
        if request.method == .post, Self.forms.contains(request.uri.path) {
            guard (request.headers[.contentLength].flatMap { Int($0) } ?? Int.max) <= Self.maximumFormLength else {
                throw Problem(
                    .contentTooLarge,
                    "a sign-in form is at most \(Self.maximumFormLength) bytes (with a Content-Length)")
            }
            return try await next(request, context)
        }
        guard request.method == .get || request.method == .head else {
            var headers = HTTPFields()
            headers[.allow] = "GET, HEAD"
            throw Problem(.methodNotAllowed, "the API is read-only: only GET and HEAD are served", headers: headers)
                .refusedBeforeRouting
        }
        if request.headers[.transferEncoding] != nil || (request.headers[.contentLength].map { $0 != "0" } ?? false) {
            throw Problem(.contentTooLarge, "request bodies are refused: the API is read-only").refusedBeforeRouting
        }
        return try await next(request, context)
    }
}
