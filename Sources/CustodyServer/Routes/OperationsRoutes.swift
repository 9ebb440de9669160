import CustodyCore
import CustodyStore
import Foundation
import HTTPTypes
import Hummingbird

/// The open routes, outside `/v1`: liveness, readiness, metrics and the API document.
extension Endpoints {
    func addOperationsRoutes(to router: Router<APIContext>) {
        router.get("/", use: index)
        router.get("health", use: health)
        router.get("ready", use: ready)
        router.get("metrics", use: metrics)
        router.get("openapi.yaml", use: openAPI)
    }

    /// What a person or a client finds at the root: where everything else is.
    func index(_ request: Request, _ context: APIContext) async throws -> Response {
        try json(
            JSONValue.object([
                "service": .string("custody"),
                "description": .string(
                    "Read-only API over the exposure read models; every /v1 route needs a bearer token."),
                "links": .object([
                    "api": .string("/v1"), "openapi": .string("/openapi.yaml"), "health": .string("/health"),
                    "ready": .string("/ready"), "metrics": .string("/metrics"),
                ]),
            ]).jsonbText)
    }

    func health(_ request: Request, _ context: APIContext) async throws -> Response {
        try json(JSONValue.object(["status": .string("ok")]).jsonbText)
    }

    /// Ready when the database answers, the schema is current, and the read models are caught up within a bound.
    func ready(_ request: Request, _ context: APIContext) async throws -> Response {
        var reasons: [String] = []
        var database: JSONValue = .string("ok")
        var behind: Int64?
        var stall: Horizon.Holder?
        var heldBack: Int64 = 0
        var unreadable: String?
        do {
            (behind, heldBack, stall, unreadable) = try await gate.run { [self] in
                try await Migrator(self.database).requireCurrent()
                let horizon = try await EventStore(self.database).horizon()
                let lag = try await ExposureProjection.lag(self.database)
                let unreadable = lag > 0 ? try await ExposureProjection.unreadable(self.database) : nil
                return (lag, horizon.heldBack, horizon.isStalled() ? horizon.holder : nil, unreadable)
            }
        } catch {
            let problem = ProblemMiddleware.problem(for: error)
            database = .string(problem.detail)
            reasons.append(problem.detail)
        }
        let snapshot = live.snapshot
        if snapshot == nil {
            reasons.append("the log has not been folded yet" + (live.failure.map { ": \($0)" } ?? ""))
        }
        if let behind, behind > readyLag {
            reasons.append("the read models are \(behind) events behind (bound \(readyLag))")
        }
        // An event no reader can decode stops the projector for good, however few events it is behind.
        if let unreadable { reasons.append("the projector cannot go on: \(unreadable)") }
        // Who holds the horizon back (a pid, another database, an application) is for admins: /ready is open.
        let caller = try? await authenticator.authenticate(request, .admin)
        let admin = !authenticator.enabled || caller?.scope == .admin
        if let stall {
            reasons.append(
                "\(heldBack) committed event(s) are held back by the "
                    + (admin
                        ? "\(stall)"
                        : "transaction open longest in the cluster (an admin token, or `custody projections status`, names it)")
            )
        }
        if let behind { telemetry.projectionBehind.set(behind) }
        var replica: JSONValue = .null
        if let replication {
            do {
                let state = try await gate.run { [self] in
                    try await ReplicaState.measure(reads: self.database, primary: replication.primary)
                }
                replica = try EventCoding.value(of: state)
                if state.inRecovery, state.behindEvents > 0, let lag = state.replayLagSeconds,
                    lag > Double(replication.maximumLag.components.seconds)
                {
                    reasons.append(
                        "the standby is \(state.behindEvents) event(s), \(Int(lag)) s behind the primary (bound \(replication.maximumLag))"
                    )
                }
            } catch {
                let problem = ProblemMiddleware.problem(for: error)
                replica = .object(["error": .string(problem.detail)])
                reasons.append("the standby's lag cannot be measured: \(problem.detail)")
            }
        }
        let document = JSONValue.object([
            "ready": .bool(reasons.isEmpty),
            "database": database,
            "projection": .object([
                "checkpoint": snapshot?.checkpoint.map { .string($0.cursor.description) } ?? .null,
                "events": snapshot?.checkpoint.map { .integer($0.events) } ?? .null,
                "behind": behind.map(JSONValue.integer) ?? .null,
                "bound": .integer(readyLag),
                "heldBack": .integer(heldBack),
                "stalledBy": admin ? (try? stall.map { try EventCoding.value(of: $0) }) ?? .null : .null,
            ]),
            "replica": replica,
            "reasons": .array(reasons.map(JSONValue.string)),
        ])
        guard !reasons.isEmpty else { return try json(document.jsonbText) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.retryAfter] = "5"
        return Response(
            status: .serviceUnavailable, headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: document.jsonbText + "\n")))
    }

    func metrics(_ request: Request, _ context: APIContext) async throws -> Response {
        if let checkpoint = live.snapshot?.checkpoint { telemetry.projectionEvents.set(checkpoint.events) }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: telemetry.text)))
    }

    func openAPI(_ request: Request, _ context: APIContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
    }
}
