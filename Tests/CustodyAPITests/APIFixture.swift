import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

/// The example scenario in a fresh database, `custody serve` running on it, and an admin token.
struct APIFixture {
    let cli: CLI
    let server: ServerProcess
    let admin: String

    static func start(breach: Bool = true, serve arguments: [String] = [], waitForReady: Bool = true) async throws
        -> APIFixture
    {
        let cli = try await ExampleScenario.registry()
        if breach { try await ExampleScenario.breach(cli) }
        let admin = try await token(cli, ["--admin"])
        let server = try await ServerProcess(cli, arguments: arguments)
        let fixture = APIFixture(cli: cli, server: server, admin: admin)
        if waitForReady { try await fixture.waitUntilCaughtUp() }
        return fixture
    }

    /// Waits until `/ready` passes with the read models at the head of the log: `/ready` alone tolerates
    /// `--ready-lag` events, and an answer served during catch-up changes (and its ETag with it) moments later.
    func waitUntilCaughtUp() async throws {
        let response = try await waitUntil("/ready") { response in
            guard response.status == 200, let ready = try? decode(Readiness.self, response) else { return false }
            return ready.projection.behind == 0 && ready.projection.heldBack == 0
        }
        guard response.status == 200 else {
            throw ExampleScenario.Failed(
                description: "the server never became ready: \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    static func token(_ cli: CLI, _ arguments: [String]) async throws -> String {
        let result = try await cli.run(["token", "create"] + arguments)
        guard result.status == 0, let token = result.lines.first else {
            throw ExampleScenario.Failed(description: "token create failed: \(result.stderr)")
        }
        return token
    }

    func token(org: String) async throws -> String { try await Self.token(cli, ["--org", org]) }

    /// GET as admin by default; `token: ""` sends no token at all.
    func get(_ path: String, token: String? = nil, headers: [String: String] = [:]) async throws -> HTTP.Response {
        var headers = headers
        let token = token ?? admin
        if !token.isEmpty { headers["Authorization"] = "Bearer \(token)" }
        return try await server.http.get(path, headers: headers)
    }

    /// Polls `path` (as admin) until `done` holds for its response, for up to `patience`; returns that response.
    @discardableResult
    func waitUntil(
        _ path: String, token: String? = nil, patience: Duration = .seconds(20), _ done: (HTTP.Response) -> Bool
    ) async throws -> HTTP.Response {
        let deadline = ContinuousClock.now + patience
        var response = try await get(path, token: token)
        while !done(response) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            response = try await get(path, token: token)
        }
        return response
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: HTTP.Response) throws -> T {
        try EventCoding.decode(type, from: Data(response.body))
    }

    func stop() async throws -> Int32 { try await server.stop() }
}

/// The parts of `/ready` that say whether the read models are at the head of the log.
struct Readiness: Decodable {
    struct Projection: Decodable {
        var behind: Int64?
        var heldBack: Int64
    }
    var projection: Projection
}

/// A problem document as the API sends it.
struct ProblemDocument: Decodable {
    var title: String
    var status: Int
    var detail: String
}

extension HTTP.Response {
    var problem: ProblemDocument? {
        guard header("content-type") == "application/problem+json" else { return nil }
        return try? EventCoding.decode(ProblemDocument.self, from: body)
    }
}
