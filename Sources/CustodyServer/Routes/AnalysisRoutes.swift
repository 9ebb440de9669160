import CustodyCore
import CustodyStore
import Foundation
import Hummingbird

/// Questions about the supply chain's shape: what a breach would cause, and who rests on whom.
extension Endpoints {
    func addAnalysisRoutes(to v1: RouterGroup<APIContext>) {
        v1.get("whatif", use: whatIf)
        v1.get("concentration", use: concentration)
    }

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
            providers = try Self.list(query["providers"]).map { text throws(CustodyError) in
                try Slug(text, what: "provider")
            }
            severity = try Severity.parse(String(query["severity"] ?? "high"))
        } catch {
            throw Problem.badRequest(error.message)
        }
        let scope = context.scope
        return try await answer(request, context) { snapshot in
            guard snapshot.chain.vendorIds.contains(vendor) else { throw Problem.notFound("vendor", vendor.rawValue) }
            let document = snapshot.chain.whatIf(
                vendor: vendor, dataKinds: kinds, providers: providers, severity: severity, at: .now)
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
