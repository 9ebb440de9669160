import CustodyCore
import CustodyStore
import Foundation
import Hummingbird

/// The organization resource: the organizations a token may see, and one organization's exposure.
extension Endpoints {
    func addOrganizationRoutes(to v1: RouterGroup<APIContext>) {
        v1.get("organizations", use: organizations)
        v1.get("organizations/:id/exposure", use: organizationExposure)
        v1.get("organizations/:id/vex", use: organizationVEX)
    }

    func organizations(_ request: Request, _ context: APIContext) async throws -> Response {
        _ = try Question(request, allowing: [])
        let only = context.scope.organization
        return try await answer(request, context) { [self] _ in
            let rows = try await gate.run { [database] in
                try await ExposureProjection.organizationViews(database, only: only)
            }
            // The rows are PostgreSQL's jsonb text already: wrapped in the same form, not parsed and rendered again.
            return "{\"organizations\": [" + rows.joined(separator: ", ") + "]}"
        }
    }

    func organizationExposure(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "organization")
        let question = try Question(request)
        guard context.scope.permits(id) else { throw Problem.notFound("organization", id.rawValue) }
        return try await answer(request, context) { [self] snapshot in
            if question.present {
                // The read models hold the present view, precomputed by the projector, as the documents served.
                guard snapshot.checkpoint != nil else {
                    throw Problem.unavailable(
                        "the exposure read models have not been built yet (is a projector running?)")
                }
                let text = try await gate.run { [database] in
                    try await ExposureProjection.organizationDocument(database, id, asOf: .now)
                }
                guard let text else { throw Problem.notFound("organization", id.rawValue) }
                return text
            }
            let document = try await chain(for: question, snapshot).exposure(ofOrganization: id, at: question.asOf)
            guard let document else { throw Problem.notFound("organization", id.rawValue) }
            return try Self.encode(document)
        }
    }

    /// The organization's exposure as a CycloneDX 1.6 VEX document: the same bytes as `custody vex`.
    func organizationVEX(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "organization")
        let question = try Question(request)
        guard context.scope.permits(id) else { throw Problem.notFound("organization", id.rawValue) }
        return try await answer(request, context, contentType: VEX.mediaType) { [self] snapshot in
            let chain = try await chain(for: question, snapshot)
            guard
                let document = VEX.document(organization: id, in: chain, asOf: question.asOf, knownAt: question.knownAt)
            else {
                throw Problem.notFound("organization", id.rawValue)
            }
            return document.jsonbText
        }
    }
}
