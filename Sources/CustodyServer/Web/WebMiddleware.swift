import CustodyCore
import Foundation
import HTTPTypes
import Hummingbird

/// In front of every `/web` page: the caller from the session cookie (or a redirect to sign in), failures as HTML
/// pages rather than problem documents, and the security headers on every answer.
struct WebMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let sessions: WebSessions
    let authenticating: Bool
    /// Reachable without a session.
    static let open: Set<String> = ["/web/sign-in", "/web/static/custody.css", "/web/static/custody.js"]
    /// No inline script or style, nothing from elsewhere, no framing, forms only to this server.
    static let policy =
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response)
        async throws -> Response
    {
        var response: Response
        do {
            if authenticating, !Self.open.contains(request.uri.path) {
                if let session = try await sessions.session(of: request) {
                    context.caller = Caller(tokenId: session.tokenId, scope: session.scope)
                } else if request.uri.path == "/web/version" {
                    throw Problem(.unauthorized, "the session has ended; sign in again")
                } else {
                    let ended = WebSessions.sessionId(request) != nil
                    let next = WebPage.link(
                        "/web/sign-in", [("next", request.uri.string)] + (ended ? [("ended", "1")] : []))
                    return Self.secured(
                        Self.redirect(to: next, cookie: ended ? WebSessions.setCookie(nil, for: request) : nil))
                }
            }
            response = try await next(request, context)
        } catch let problem as Problem {
            response = Self.page(
                Int(problem.status.code), problem.detail, status: problem.status, headers: problem.headers)
        } catch let error as HTTPError {
            response = Self.page(Int(error.status.code), error.body ?? "no such page", status: error.status)
        } catch is DatabaseDeadline {
            response = Self.page(
                503, "the database did not answer in time; try again in a moment", status: .serviceUnavailable)
        }
        return Self.secured(response)
    }

    static func secured(_ response: Response) -> Response {
        var response = response
        response.headers[.contentSecurityPolicy] = policy
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        return response
    }

    static func redirect(to location: String, cookie: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "private, no-cache"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func page(_ code: Int, _ detail: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response
    {
        let page = WebPage(
            title: status.reasonPhrase, path: "/web", scope: nil, version: nil, question: nil,
            body: WebPages.problem(code, detail))
        var fields = headers
        fields[.contentType] = nil
        return html(page.render(), status: status, headers: fields)
    }
}
