import CustodyCore
import CustodyStore
import Foundation
import Hummingbird

/// The two clocks of a question, from `?as_of=` and `?known_at=`, exactly as the CLI's `--as-of` and `--known-at`.
struct Question: Sendable {
    var asOf: Timestamp
    var knownAt: Timestamp?
    var present: Bool

    init(_ request: Request, allowing allowed: Set<String> = ["as_of", "known_at"]) throws {
        let query = request.uri.queryParameters
        for (name, _) in query where !allowed.contains(String(name)) {
            let accepted = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
            throw Problem.badRequest("unknown query parameter '\(name)' (accepted: \(accepted))")
        }
        let now = Timestamp.now
        do {
            knownAt = try query["known_at"].map { text throws(CustodyError) in try Timestamp(asking: String(text), what: "known_at", now: now) }
            asOf = try query["as_of"].map { text throws(CustodyError) in try Timestamp(asking: String(text), what: "as_of", now: now) } ?? knownAt ?? now
        } catch {
            throw Problem.badRequest(error.message)
        }
        present = query["as_of"] == nil && query["known_at"] == nil
    }
}

extension Endpoints {
    /// The id in the path, refused with a 400 when it cannot be an id at all.
    func id(_ context: APIContext, _ what: String) throws -> Slug {
        let text = context.parameters.get("id") ?? ""
        do { return try Slug(text, what: "\(what) id") } catch { throw Problem.badRequest(error.message) }
    }

    /// The fold that answers `question`: the live one, or a replay of what was recorded by `known_at`.
    func chain(for question: Question, _ snapshot: LiveState.Snapshot) async throws -> SupplyChain {
        guard let knownAt = question.knownAt else { return snapshot.chain }
        let store = EventStore(database)
        try await gate.reachable(database)
        return try await replays.run { try await store.supplyChain(knownAt: knownAt) }
    }

    // MARK: - Organizations

    func organizations(_ request: Request, _ context: APIContext) async throws -> Response {
        _ = try Question(request, allowing: [])
        let only = context.scope.organization?.rawValue
        return try await answer(request, context) { [self] _ in
            let rows = try await gate.run { [database] in
                var rows: [String] = []
                for try await text in try await database.query(
                    """
                    SELECT document::text FROM custody_organization_views
                    WHERE \(only)::text IS NULL OR organization = \(only) ORDER BY organization
                    """
                ).decode(String.self) { rows.append(text) }
                return rows
            }
            return "{\"organizations\":[" + rows.joined(separator: ",") + "]}"
        }
    }

    func organizationExposure(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "organization")
        let question = try Question(request)
        guard context.scope.permits(id) else { throw Problem.notFound("organization", id.rawValue) }
        return try await answer(request, context) { [self] snapshot in
            let document: OrganizationExposure?
            if question.present {
                // The read models hold the present view, precomputed by the projector.
                guard snapshot.checkpoint != nil else {
                    throw Problem.unavailable("the exposure read models have not been built yet (is a projector running?)")
                }
                document = try await gate.run { [database] in try await ExposureProjection.organizationView(database, id) }
            } else {
                document = try await chain(for: question, snapshot).exposure(ofOrganization: id, at: question.asOf)
            }
            guard let document else { throw Problem.notFound("organization", id.rawValue) }
            return try Self.encode(document)
        }
    }

    // MARK: - Models and deployments

    func modelExposure(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "model")
        let question = try Question(request)
        let scope = context.scope
        return try await answer(request, context) { [self] snapshot in
            guard let document = try await chain(for: question, snapshot).exposure(ofModel: id, at: question.asOf) else {
                throw Problem.notFound("model", id.rawValue)
            }
            return try Self.encode(document.filtered { scope.permits($0.organization) })
        }
    }

    func deploymentExposure(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "deployment")
        let question = try Question(request)
        let scope = context.scope
        return try await answer(request, context) { [self] snapshot in
            let chain = try await chain(for: question, snapshot)
            guard let owner = chain.organization(ofDeployment: id), scope.permits(owner),
                let document = chain.exposure(ofDeployment: id, at: question.asOf)
            else { throw Problem.notFound("deployment", id.rawValue) }
            return try Self.encode(document)
        }
    }

    // MARK: - Incidents

    func incidents(_ request: Request, _ context: APIContext) async throws -> Response {
        let question = try Question(request)
        let scope = context.scope
        return try await answer(request, context) { [self] snapshot in
            try Self.encode(try await chain(for: question, snapshot).incidents(at: question.asOf) { scope.permits($0.organization) })
        }
    }

    func incident(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "incident")
        let question = try Question(request)
        let scope = context.scope
        return try await answer(request, context) { [self] snapshot in
            let chain = try await chain(for: question, snapshot)
            guard let report = chain.report(ofIncident: id, at: question.asOf, visible: { scope.permits($0.organization) }) else {
                throw Problem.notFound("incident", id.rawValue)
            }
            return try Self.encode(report)
        }
    }

    /// JSON by default; `Accept: text/markdown` gives the report as the CLI prints it.
    func postmortem(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "incident")
        _ = try Question(request, allowing: [])
        let markdown = request.headers[.accept]?.contains("text/markdown") ?? false
        let scope = context.scope
        let store = EventStore(database)
        return try await answer(request, context, contentType: markdown ? "text/markdown; charset=utf-8" : "application/json") { [self] _ in
            try await gate.reachable(database)
            let events = try await replays.run { try await store.postmortemEvents(of: id) }
            guard let postmortem = Postmortem.of(id, events: Self.visible(events, to: scope)) else {
                throw Problem.notFound("incident", id.rawValue)
            }
            return markdown ? postmortem.markdown : try Self.encode(postmortem)
        }
    }

    /// The log as a scoped token may see it: other organizations, and their deployments, left out.
    static func visible(_ events: [RecordedEvent], to scope: AccessScope) -> [RecordedEvent] {
        guard let organization = scope.organization else { return events }
        var foreign = Set<Slug>()
        for recorded in events {
            if case .modelDeployed(let e) = recorded.event, e.organization != organization { foreign.insert(e.deployment) }
        }
        return events.filter { recorded in
            switch recorded.event {
            case .organizationRegistered(let e): return e.organization == organization
            case .modelDeployed(let e): return !foreign.contains(e.deployment)
            case .deploymentRetired(let e): return !foreign.contains(e.deployment)
            case .deploymentSwitched(let e): return !foreign.contains(e.deployment)
            case .deploymentUpdated(let e): return !foreign.contains(e.deployment)
            case .exposureResponseRecorded(let e): return e.organization == organization
            default: return true
            }
        }
    }
}

extension Endpoints {
    /// `GET /v1/whatif?vendor=V&data=K,K&providers=P,P`: the exposure a breach at V would cause now, within the
    /// token's scope. Nothing is written.
    func whatIf(_ request: Request, _ context: APIContext) async throws -> Response {
        _ = try Question(request, allowing: ["vendor", "data", "providers", "severity"])
        let query = request.uri.queryParameters
        let vendor: Slug
        let kinds: [DataKind]
        let providers: [Slug]
        let severity: Severity
        do {
            vendor = try Slug(String(query["vendor"] ?? ""), what: "vendor")
            kinds = try Self.list(query["data"]).map { text throws(CustodyError) in try DataKind.parse(text) }
            providers = try Self.list(query["providers"]).map { text throws(CustodyError) in try Slug(text, what: "provider") }
            severity = try Severity.parse(String(query["severity"] ?? "high"))
        } catch {
            throw Problem.badRequest(error.message)
        }
        let scope = context.scope
        return try await answer(request, context) { snapshot in
            guard snapshot.chain.vendorIds.contains(vendor) else { throw Problem.notFound("vendor", vendor.rawValue) }
            let document = snapshot.chain.whatIf(vendor: vendor, dataKinds: kinds, providers: providers, severity: severity, at: .now)
            return try Self.encode(document.filtered { scope.permits($0.organization) })
        }
    }

    /// `GET /v1/concentration`: vendors and providers ranked by how many organizations rest on them, counted over
    /// the deployments within the token's scope.
    func concentration(_ request: Request, _ context: APIContext) async throws -> Response {
        _ = try Question(request, allowing: [])
        let scope = context.scope
        return try await answer(request, context) { snapshot in
            try Self.encode(snapshot.chain.concentration(at: .now) { scope.permits($0) })
        }
    }

    static func list(_ text: Substring?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
