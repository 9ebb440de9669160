import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// Readiness, a projector in another process, metrics, and stopping.
@Suite(.serialized) struct APILifecycleTests {
    @Test func withoutItsProjectorTheServerServesAnotherProcesssReadModels() async throws {
        let cli = try await ExampleScenario.registry()
        try await ExampleScenario.breach(cli)
        #expect(try await cli.run(["projections", "rebuild"]).status == 0)
        let admin = try await APIFixture.token(cli, ["--admin"])
        let server = try await ServerProcess(cli, arguments: ["--no-projector", "--ready-lag", "0"])
        let api = APIFixture(cli: cli, server: server, admin: admin)
        // A server starting while the whole suite runs on two cores may take a while to fold and poll.
        let ready = try await api.waitUntil("/ready", patience: .seconds(60)) { $0.status == 200 }
        #expect(ready.status == 200, "\(ready.text)")
        #expect(try await api.get("/v1/organizations/civic-agency/exposure").status == 200)
        // Nobody projects the new event: the read models fall behind and /ready says so.
        try await ExampleScenario.record(
            cli, [["investigation", "close", "openai-inv", "--outcome", "confirmed", "--at", "2026-04-20"]])
        let behind = try await api.waitUntil("/ready") { $0.status == 503 }
        #expect(behind.status == 503)
        #expect(behind.text.contains("events behind (bound 0)"))
        // The live fold still follows the log, so views answered from it are current.
        let model = try api.decode(
            ExposureList.self,
            try await api.waitUntil("/v1/models/gpt-5/exposure") {
                $0.text.contains("confirmed")
            })
        #expect(model.exposures.contains { $0.status == .confirmed })
        #expect(try await api.stop() == 0)
    }

    @Test func metricsCountRequestsPerRoute() async throws {
        let api = try await APIFixture.start()
        for _ in 0..<3 { _ = try await api.get("/v1/organizations/state-university/exposure") }
        _ = try await api.get("/v1/organizations/nobody/exposure")
        let metrics = try await api.get("/metrics", token: "")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("http_route=\"/v1/organizations/{id}/exposure\""))
        #expect(metrics.text.contains("http_response_status_code=\"404\""))
        #expect(metrics.text.contains("custody_projection_applied_events"))
        #expect(metrics.text.contains("http_server_request_duration_bucket"))
        let document = try await api.get("/openapi.yaml", token: "")
        #expect(document.text.hasPrefix("openapi: 3.1.0"))
        #expect(try await api.stop() == 0)
    }

    @Test func sigtermEndsOpenStreamsCleanlyAndExitsZero() async throws {
        let api = try await APIFixture.start()
        let headers = ["Authorization": "Bearer \(api.admin)"]
        let http = api.server.http
        // An open event stream is an in-flight request that never ends by itself.
        async let streamed = http.stream("/v1/events/stream", headers: headers, timeout: .seconds(30)) { _ in false }
        try await Task.sleep(for: .seconds(1))
        let status = try await api.stop()
        #expect(status == 0)
        let text = try await streamed
        #expect(text.contains("event: BreachReported"))
        // The response was finished properly (the last chunk), not cut off.
        #expect(text.hasSuffix("0\r\n\r\n"))
    }

    /// A projector stopped by an event it cannot decode is not "ready", however few events it is behind, and
    /// `projections status` names the event (an event of a known type whose data lacks a field passes schema/012).
    @Test func anUnreadableEventMakesTheServerUnreadyAndIsNamed() async throws {
        let api = try await APIFixture.start()
        guard let url = api.cli.databaseURL else { throw ExampleScenario.Failed(description: "no database") }
        try await Database.with(url) { database in
            try await database.query(
                """
                SELECT * FROM custody_append(ARRAY['vendor-odd'], ARRAY[-1::bigint], ARRAY[gen_random_uuid()],
                    ARRAY['vendor-odd'], ARRAY['VendorRegistered'], ARRAY[1], ARRAY['{"vendor": "odd"}'],
                    ARRAY['{"actor": "t", "source": "t"}'], ARRAY[custody_micros(now())])
                """)
        }
        let ready = try await api.waitUntil("/ready", token: "") { $0.status == 503 }
        #expect(ready.status == 503)
        #expect(ready.text.contains("the projector cannot go on: the event at position"), "\(ready.text)")
        #expect(ready.text.contains("stream vendor-odd, version 1, type VendorRegistered"), "\(ready.text)")
        let status = try await api.cli.run(["projections", "status"])
        #expect(
            status.stdout.contains("stuck: the event at position") && status.stdout.contains("vendor-odd"),
            "\(status.stdout)")
        let json = try await api.cli.run(["projections", "status", "--json"])
        #expect(json.stdout.contains(#""unreadable": "the event at position"#), "\(json.stdout)")
        #expect(try await api.stop() == 0)
    }
}
