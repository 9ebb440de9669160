import CustodyCore
import CustodyStore
import Foundation
import Hummingbird

/// The incident resource: the list, one incident, and its postmortem.
extension Endpoints {
    func addIncidentRoutes(to v1: RouterGroup<APIContext>) {
        v1.get("incidents", use: incidents)
        v1.get("incidents/:id", use: incident)
        v1.get("incidents/:id/postmortem", use: postmortem)
    }

    func incidents(_ request: Request, _ context: APIContext) async throws -> Response {
        let question = try Question(request)
        let scope = context.scope
        return try await answer(request, context) { [self] snapshot in
            try Self.encode(
                try await chain(for: question, snapshot).incidents(at: question.asOf) { scope.permits($0.organization) }
            )
        }
    }

    func incident(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "incident")
        let question = try Question(request)
        let scope = context.scope
        return try await answer(request, context) { [self] snapshot in
            let chain = try await chain(for: question, snapshot)
            guard
                let report = chain.report(
                    ofIncident: id, at: question.asOf, visible: { scope.permits($0.organization) })
            else {
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
        return try await answer(
            request, context, contentType: markdown ? "text/markdown; charset=utf-8" : "application/json"
        ) { [self] _ in
            try await gate.reachable(database)
            var facts = try await replays.run { try await store.postmortemFacts(of: id) }
            facts.events = Self.visible(facts.events, to: scope)
            guard let postmortem = Postmortem.of(id, facts: facts, now: .now) else {
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
            if case .modelDeployed(let e) = recorded.event, e.organization != organization {
                foreign.insert(e.deployment)
            }
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
