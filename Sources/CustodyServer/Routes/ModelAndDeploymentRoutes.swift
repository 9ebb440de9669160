import CustodyCore
import CustodyStore
import Foundation
import Hummingbird

/// The model and deployment resources: each one's current exposure.
extension Endpoints {
    func addModelAndDeploymentRoutes(to v1: RouterGroup<APIContext>) {
        v1.get("models/:id/exposure", use: modelExposure)
        v1.get("deployments/:id/exposure", use: deploymentExposure)
    }

    func modelExposure(_ request: Request, _ context: APIContext) async throws -> Response {
        let id = try id(context, "model")
        let question = try Question(request)
        let scope = context.scope
        return try await answer(request, context) { [self] snapshot in
            guard let document = try await chain(for: question, snapshot).exposure(ofModel: id, at: question.asOf)
            else {
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
}
