import CustodyServer
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing
import Yams

/// `openapi.yaml` describes exactly the routes the server's router holds, with the access each one has.
@Suite struct OpenAPITests {
    /// The router's own routes (`Router.routes`), as `GET /v1/organizations/{id}/exposure`; nothing is queried.
    func registered() async throws -> [(route: String, access: RouteAccess)] {
        try await Database.with(try TestDatabase.clusterURL(.endToEnd), maximumConnections: 1) { database in
            APIServer.routes(database)
        }
    }

    func document() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/CustodyServer/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    func operations() throws -> [String: [String: Any]] {
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        var operations: [String: [String: Any]] = [:]
        for (path, methods) in paths {
            for (method, operation) in methods {
                operations["\(method.uppercased()) \(path)"] = operation as? [String: Any]
            }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndNothingElse() async throws {
        let documented = Set(try operations().keys)
        let routes = try await registered()
        let registered = Set(routes.map(\.route))
        #expect(routes.count == 17, "\(routes.map(\.route))")
        #expect(registered.count == routes.count, "a route is registered twice")
        #expect(
            documented.subtracting(registered).isEmpty,
            "documented but not served: \(documented.subtracting(registered))")
        #expect(
            registered.subtracting(documented).isEmpty,
            "served but not documented: \(registered.subtracting(documented))")
    }

    @Test func accessMatchesTheDocumentsSecurity() async throws {
        let operations = try operations()
        for (name, access) in try await registered() {
            let route = (path: String(name.split(separator: " ")[1]), access: access)
            let operation = try #require(operations[name])
            let responses = try #require(operation["responses"] as? [String: Any])
            let security = operation["security"] as? [Any]
            switch route.access {
            case .open:
                #expect(security?.isEmpty == true, "\(route.path) is open but the document asks for a token")
                #expect(!route.path.hasPrefix("/v1"))
            case .token, .admin:
                #expect(security == nil, "\(route.path) needs a token but the document overrides security")
                #expect(responses["401"] != nil, "\(route.path) does not document 401")
                #expect(route.path.hasPrefix("/v1"))
            }
            #expect(
                (responses["403"] != nil) == (route.access == .admin), "\(route.path): 403 documented iff admin-only")
        }
    }

    @Test func everyPathParameterIsDeclared() async throws {
        let operations = try operations()
        let components = try #require(try document()["components"] as? [String: Any])
        let shared = try #require(components["parameters"] as? [String: [String: Any]])
        for name in try await registered().map(\.route) where name.contains("{") {
            let route = (path: String(name.split(separator: " ")[1]), ())
            let operation = try #require(operations[name])
            let parameters = (operation["parameters"] as? [[String: Any]] ?? []).compactMap { parameter -> String? in
                if let reference = parameter["$ref"] as? String {
                    return shared[String(reference.split(separator: "/").last ?? "")]?["name"] as? String
                }
                return parameter["name"] as? String
            }
            #expect(parameters.contains("id"), "\(route.path) does not declare {id}")
        }
    }
}
