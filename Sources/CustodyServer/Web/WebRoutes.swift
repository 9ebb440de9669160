import CustodyCore
import CustodyStore
import Foundation
import HTTPTypes
import Hummingbird

/// The web pages under `/web`: server-rendered from the same documents and the same scoping as the API, cached
/// per log version like its answers. Signing in turns a token into a session (`WebSessions`).
extension Endpoints {
    func addWebRoutes(to web: RouterGroup<APIContext>, sessions: WebSessions) {
        web.get("static/custody.css") { _, _ in Self.asset(WebAssets.css, type: "text/css; charset=utf-8") }
        web.get("static/custody.js") { _, _ in Self.asset(WebAssets.javascript, type: "text/javascript; charset=utf-8")
        }
        web.get("sign-in") { [authenticator] request, _ in
            guard authenticator.enabled else { return WebMiddleware.redirect(to: "/web") }
            let query = request.uri.queryParameters
            let message =
                query["ended"] != nil
                ? "Your session has ended (signed out elsewhere, or the token was revoked or expired)." : nil
            return Self.signInPage(message: message, next: Self.localPath(query["next"].map(String.init)), status: .ok)
        }
        web.post("sign-in") { request, _ in try await Self.signIn(request, sessions) }
        web.post("sign-out") { request, _ in
            if let id = WebSessions.sessionId(request) { sessions.signOut(id) }
            return WebMiddleware.redirect(to: "/web/sign-in", cookie: WebSessions.setCookie(nil, for: request))
        }
        web.get("version") { [self] _, _ in
            try json(JSONValue.object(["version": .string(try snapshot().version)]).jsonbText)
        }
        web.get(use: webIndex)
        web.get("organizations/:id", use: organizationPage)
        web.get("deployments/:id", use: deploymentPage)
        web.get("models/:id", use: modelPage)
        web.get("incidents/:id", use: incidentPage)
        web.get("incidents/:id/postmortem", use: postmortemPage)
        web.get("incidents/:id/postmortem.md", use: postmortemMarkdown)
    }

    /// The clocks of a page's form (an empty field means now) and the other fields a page reads.
    func webQuestion(_ request: Request, also allowed: Set<String> = []) throws -> (Question, [String: String]) {
        var fields: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            guard ["as_of", "known_at"].contains(String(name)) || allowed.contains(String(name)) else {
                throw Problem.badRequest("unknown query parameter '\(name)'")
            }
            let text = String(value).trimmingCharacters(in: .whitespaces)
            if !text.isEmpty { fields[String(name)] = text }
        }
        return (try Question(asOf: fields["as_of"], knownAt: fields["known_at"]), fields)
    }

    /// A page through the answer cache (per scope, URL and log version), with the frame around `body`.
    func webPage(
        _ request: Request, _ context: APIContext, title: String, question: Question?, keep: [(String, String)] = [],
        _ body: @escaping @Sendable (LiveState.Snapshot) async throws -> String
    ) async throws -> Response {
        let scope = authenticator.enabled ? context.scope : nil
        let path = request.uri.path
        return try await answer(request, context, contentType: "text/html; charset=utf-8") { snapshot in
            WebPage(
                title: title, path: path, scope: scope, version: snapshot.version, question: question, keep: keep,
                body: try await body(snapshot)
            ).render()
        }
    }

    func webIndex(_ request: Request, _ context: APIContext) async throws -> Response {
        if let organization = context.scope.organization {
            return WebMiddleware.redirect(to: "/web/organizations/\(organization)")
        }
        let (question, _) = try webQuestion(request)
        return try await webPage(request, context, title: "Organizations", question: question) { [self] snapshot in
            let chain = try await chain(for: question, snapshot)
            let organizations = chain.organizationIds.map { ($0, chain.organization($0)?.name ?? $0.rawValue) }
            return WebPages.index(
                organizations: organizations, incidents: chain.incidents(at: question.asOf), question: question)
        }
    }

    func organizationPage(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "organization")
        let (question, fields) = try webQuestion(request, also: ["status", "sort"])
        guard context.scope.permits(id) else { throw Problem.notFound("organization", id.rawValue) }
        var status: ExposureStatus?
        if let text = fields["status"] {
            do { status = try ExposureStatus.parse(text) } catch { throw Problem.badRequest(error.message) }
        }
        guard let sort = WebPages.Sort(rawValue: fields["sort"] ?? "urgency") else {
            throw Problem.badRequest(
                "invalid sort '\(fields["sort"] ?? "")': expected "
                    + WebPages.Sort.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let keep = [("status", fields["status"]), ("sort", fields["sort"])].compactMap { name, value in
            value.map { (name, $0) }
        }
        return try await webPage(request, context, title: id.rawValue, question: question, keep: keep) {
            [self, status] snapshot in
            guard let document = try await organizationDocument(id, question, snapshot) else {
                throw Problem.notFound("organization", id.rawValue)
            }
            return WebPages.organization(document, question: question, status: status, sort: sort)
        }
    }

    /// The organization's document: the read model's for the present (as the API serves it), else the fold's.
    func organizationDocument(_ id: Slug, _ question: Question, _ snapshot: LiveState.Snapshot) async throws
        -> OrganizationExposure?
    {
        if question.present, snapshot.checkpoint != nil {
            return try await gate.run { [database] in
                try await ExposureProjection.organizationView(database, id, asOf: .now)
            }
        }
        return try await chain(for: question, snapshot).exposure(ofOrganization: id, at: question.asOf)
    }

    /// A page about one subject, answered from the fold at the page's clocks.
    func foldedPage(
        _ request: Request, _ context: APIContext, _ what: String,
        _ body: @escaping @Sendable (SupplyChain, Slug, AccessScope, Question) throws -> String
    ) async throws -> Response {
        let id = try id(context, what)
        let (question, _) = try webQuestion(request)
        let scope = context.scope
        return try await webPage(request, context, title: id.rawValue, question: question) { [self] snapshot in
            try body(try await chain(for: question, snapshot), id, scope, question)
        }
    }

    func deploymentPage(_ request: Request, _ context: APIContext) async throws -> Response {
        try await foldedPage(request, context, "deployment") { chain, id, scope, question in
            guard let owner = chain.organization(ofDeployment: id), scope.permits(owner),
                let document = chain.exposure(ofDeployment: id, at: question.asOf)
            else { throw Problem.notFound("deployment", id.rawValue) }
            return WebPages.list(document, title: "Deployment \(id) (\(owner))", question: question)
        }
    }

    func modelPage(_ request: Request, _ context: APIContext) async throws -> Response {
        try await foldedPage(request, context, "model") { chain, id, scope, question in
            guard let document = chain.exposure(ofModel: id, at: question.asOf) else {
                throw Problem.notFound("model", id.rawValue)
            }
            let name =
                chain.model(id).map { "\($0.name), by \($0.provider)\($0.openWeights ? ", open weights" : "")" } ?? ""
            return WebPages.list(
                document.filtered { scope.permits($0.organization) }, title: "Model \(id) (\(name))", question: question
            )
        }
    }

    func incidentPage(_ request: Request, _ context: APIContext) async throws -> Response {
        try await foldedPage(request, context, "incident") { chain, id, scope, question in
            guard
                let report = chain.report(
                    ofIncident: id, at: question.asOf, visible: { scope.permits($0.organization) })
            else {
                throw Problem.notFound("incident", id.rawValue)
            }
            return WebPages.incident(report, question: question)
        }
    }

    func postmortemPage(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "incident")
        let (question, _) = try webQuestion(request)
        let scope = context.scope
        return try await webPage(request, context, title: "Postmortem of \(id)", question: question) { [self] _ in
            let (postmortem, now) = try await replayedPostmortem(id, question, scope)
            return WebPages.postmortem(postmortem, now: now, question: question)
        }
    }

    func postmortemMarkdown(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "incident")
        let (question, _) = try webQuestion(request)
        let scope = context.scope
        var response = try await answer(request, context, contentType: "text/markdown; charset=utf-8") { [self] _ in
            try await replayedPostmortem(id, question, scope).0.markdown
        }
        response.headers[.contentDisposition] = "attachment; filename=\"postmortem-\(id).md\""
        return response
    }

    /// The postmortem as the two clocks see it: the facts recorded by `known_at` that happened by `as_of`, with
    /// windows still open at `as_of`. Without clocks, the API's postmortem.
    func replayedPostmortem(_ id: Slug, _ question: Question, _ scope: AccessScope) async throws -> (
        Postmortem, Timestamp
    ) {
        try await gate.reachable(database)
        let store = EventStore(database)
        var facts = try await replays.run { try await store.postmortemFacts(of: id) }.filter { occurred, recorded in
            occurred <= question.asOf && question.knownAt.map { recorded <= $0 } ?? true
        }
        facts.events = Self.visible(facts.events, to: scope)
        guard let postmortem = Postmortem.of(id, facts: facts, now: question.asOf) else {
            throw Problem.notFound("incident", id.rawValue)
        }
        return (postmortem, question.asOf)
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "public, max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func signInPage(message: String?, next: String, status: HTTPResponse.Status) -> Response {
        let page = WebPage(
            title: "Sign in", path: "/web/sign-in", scope: nil, version: nil, question: nil,
            body: WebPages.signIn(message: message, next: next))
        return WebMiddleware.html(page.render(), status: status)
    }

    /// Only a path of these pages may follow a sign-in: never another site.
    static func localPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/web"), !text.hasPrefix("//"), !text.contains("\\") else { return "/web" }
        return text
    }

    static func signIn(_ request: Request, _ sessions: WebSessions) async throws -> Response {
        let body = try await request.body.collect(upTo: 4096)
        let form = Self.formFields(String(buffer: body))
        guard let (id, _) = try await sessions.signIn(form["token"] ?? "") else {
            return signInPage(
                message: "That token is unknown, revoked or expired.", next: localPath(form["next"]),
                status: .unauthorized)
        }
        return WebMiddleware.redirect(to: localPath(form["next"]), cookie: WebSessions.setCookie(id, for: request))
    }

    /// `application/x-www-form-urlencoded` fields.
    static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ")
            }
            guard let name = parts.first?.removingPercentEncoding else { continue }
            fields[name] = (parts.count > 1 ? parts[1] : "").removingPercentEncoding ?? ""
        }
        return fields
    }
}
