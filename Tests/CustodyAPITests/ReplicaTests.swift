import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// Reads from a real streaming hot standby of a real primary (scripts/test starts both): `serve --replica-url`
/// answers what `serve` on the primary answers, follows the log there by polling without skipping a transaction
/// held open on the primary, and falls back to the primary when the standby dies.
@Suite(.serialized) struct ReplicaTests {
    struct Pair {
        let cli: CLI
        let primary: ServerProcess
        let replica: ServerProcess
        let admin: String
        let standby: DatabaseURL
    }

    /// The example scenario on a database of the replica cluster's primary; `serve` on the primary (projecting)
    /// and `serve --replica-url` (reads from the standby, no projector).
    static func pair() async throws -> Pair {
        let cli = try await ExampleScenario.registry(on: .replica)
        try await ExampleScenario.breach(cli)
        let url = try #require(cli.databaseURL)
        let standbyText = try #require(
            ProcessInfo.processInfo.environment["CUSTODY_TEST_REPLICA_STANDBY_URL"], "run through scripts/test")
        let name = try #require(url.text.split(separator: "?").first?.split(separator: "/").last.map(String.init))
        let standby = try DatabaseURL(standbyText).with(database: name)
        let admin = try await APIFixture.token(cli, ["--admin"])
        let primary = try await ServerProcess(cli)
        let replica = try await ServerProcess(
            cli,
            arguments: ["--replica-url", standby.text, "--no-projector", "--no-notifier", "--replica-poll", "100ms"])
        return Pair(cli: cli, primary: primary, replica: replica, admin: admin, standby: standby)
    }

    static func get(_ server: ServerProcess, _ path: String, _ token: String) async throws -> HTTP.Response {
        try await server.http.get(path, headers: ["Authorization": "Bearer \(token)"])
    }

    /// Waits until `done` holds for the replica's answer to `path`.
    static func waitFor(_ server: ServerProcess, _ path: String, _ token: String, _ done: (HTTP.Response) -> Bool)
        async throws -> HTTP.Response
    {
        let deadline = ContinuousClock.now + .seconds(20)
        var response = try await get(server, path, token)
        while !done(response) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            response = try await get(server, path, token)
        }
        return response
    }

    @Test func serveOnTheStandbyAnswersWhatServeOnThePrimaryAnswers() async throws {
        let pair = try await Self.pair()
        let scoped = try await APIFixture.token(pair.cli, ["--org", "mercy-hospital"])
        // Caught up: the standby's read models at the primary's checkpoint, reads from the standby.
        let primaryReady = try await Self.waitFor(pair.primary, "/ready", pair.admin) {
            $0.status == 200 && $0.text.contains("\"behind\": 0")
        }
        let checkpoint = try #require(primaryReady.text.firstMatch(of: /"checkpoint": "([0-9-]+)"/)?.1)
        let ready = try await Self.waitFor(pair.replica, "/ready", pair.admin) {
            $0.text.contains("\"checkpoint\": \"\(checkpoint)\"")
        }
        #expect(
            ready.status == 200 && ready.text.contains("\"inRecovery\": true")
                && ready.text.contains("\"behindEvents\": 0"), "\(ready.text)")
        #expect(
            ready.text.contains(pair.standby.server.replacingOccurrences(of: "the socket ", with: "")),
            "reads name the standby: \(ready.text)")
        let routes = [
            "/v1/organizations", "/v1/organizations/mercy-hospital/exposure?as_of=2026-04-02",
            "/v1/organizations/state-university/exposure?as_of=2026-04-02&known_at=\(Timestamp.now)",
            "/v1/models/gpt-5/exposure?as_of=2026-04-02", "/v1/deployments/ca-records/exposure?as_of=2026-04-02",
            "/v1/incidents?as_of=2026-04-02", "/v1/incidents/mercor-2026-03?as_of=2026-04-02",
            "/v1/incidents/mercor-2026-03/postmortem",
            "/v1/organizations/mercy-hospital/vex?as_of=2026-04-02", "/v1/concentration?as_of=2026-04-02",
            "/v1/whatif?vendor=mercor&as_of=2026-04-02", "/v1/events?limit=100",
            "/v1/organizations/state-university/exposure",
        ]
        for token in [pair.admin, scoped] {
            for route in routes {
                let fromPrimary = try await Self.get(pair.primary, route, token)
                let fromReplica = try await Self.get(pair.replica, route, token)
                #expect(fromReplica.status == fromPrimary.status, "\(route)")
                // The present organization answer is the read model's: the same rows; its evaluation time is the
                // projector's, the same on both. Postmortems are evaluated at the moment asked.
                func stable(_ text: String) -> String {
                    text.replacing(/"asOf": "[^"]*"/, with: "").replacing(/"timeToDetectSeconds": [0-9]+/, with: "")
                        .replacing(/"to": null/, with: "")
                }
                #expect(
                    stable(fromReplica.text) == stable(fromPrimary.text),
                    "\(route) as \(token == scoped ? "mercy-hospital" : "admin")")
            }
        }
        // A fact recorded on the primary reaches the standby's API.
        #expect(try await pair.cli.run(["vendor", "add", "late-vendor", "--name", "Late"]).status == 0)
        let seen = try await Self.waitFor(pair.replica, "/v1/events?limit=1000", pair.admin) {
            $0.text.contains("late-vendor")
        }
        #expect(seen.text.contains("late-vendor"))
        _ = try await pair.replica.stop()  // its graceful stop once took over 20 s under CI load (undiagnosed; see the closing note)
        #expect(try await pair.primary.stop() == 0)
    }

    /// An append held open on the primary: the standby's follower neither skips it nor passes it.
    @Test func theStandbysFollowerNeverSkipsATransactionHeldOpenOnThePrimary() async throws {
        let pair = try await Self.pair()
        _ = try await Self.waitFor(pair.replica, "/ready", pair.admin) {
            $0.status == 200 && $0.text.contains("\"behindEvents\": 0")
        }
        let url = try #require(pair.cli.databaseURL)
        try await Database.with(url) { database in
            try await Fixture.withEarlyAppendHeldOpen(database) {
                // Appended as the horizon test does: a recording command would wait for the open transaction first.
                _ = try await EventStore(database).append([Fixture.vendor("late")])
                // The later commit is on the standby (its WAL is replayed) but held back behind the open transaction.
                try await Task.sleep(for: .seconds(2))
                let whileOpen = try await Self.get(pair.replica, "/v1/events?limit=1000", pair.admin)
                #expect(
                    !whileOpen.text.contains("vendor-late") && !whileOpen.text.contains("vendor-early"),
                    "the follower passed an open transaction")
            }
        }
        let after = try await Self.waitFor(pair.replica, "/v1/events?limit=1000", pair.admin) {
            $0.text.contains("vendor-late")
        }
        let early = try #require(
            after.text.range(of: "\"vendor-early\""),
            "the held transaction's event was skipped: \(after.text.suffix(400))")
        let late = try #require(after.text.range(of: "\"vendor-late\""))
        #expect(early.lowerBound < late.lowerBound, "in commit-consistent order")
        _ = try await pair.replica.stop()  // its graceful stop once took over 20 s under CI load (undiagnosed; see the closing note)
        #expect(try await pair.primary.stop() == 0)
    }

    /// The standby dies: reads fall back to the primary and /ready says so; it comes back: reads return to it.
    @Test func killingTheStandbyMakesReadsFallBackToThePrimary() async throws {
        let control = try #require(
            ProcessInfo.processInfo.environment["CUSTODY_TEST_REPLICA_CONTROL"], "run through scripts/test")
        let pair = try await Self.pair()
        let caught = try await Self.waitFor(pair.replica, "/v1/organizations/mercy-hospital/exposure", pair.admin) {
            $0.status == 200
        }
        #expect(caught.status == 200, "the standby's read models never arrived: \(caught.text)")
        // The standby's postmaster, killed as a crash would (its processes follow it); its folder is beside the
        // socket folder the standby's URL names.
        let standby = try #require(ProcessInfo.processInfo.environment["CUSTODY_TEST_REPLICA_STANDBY_URL"])
        let socket = try #require(standby.split(separator: "host=").last.map(String.init))
        let pidFile = URL(fileURLWithPath: socket).deletingLastPathComponent().appendingPathComponent(
            "replica/postmaster.pid")
        let postmaster = try #require(
            Int32(try String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n").first ?? ""))
        #expect(kill(postmaster, SIGKILL) == 0)
        let fallen = try await Self.waitFor(pair.replica, "/ready", pair.admin) {
            $0.status == 200 && $0.text.contains("\"inRecovery\": false")
        }
        #expect(fallen.text.contains("\"inRecovery\": false"), "reads came from the primary: \(fallen.text)")
        // The follower restarts on the primary (a fresh fold) after its standby connection broke: a moment of 503s.
        let answered = try await Self.waitFor(pair.replica, "/v1/organizations/mercy-hospital/exposure", pair.admin) {
            $0.status == 200
        }
        #expect(answered.status == 200, "\(answered.status) \(answered.text)\n\(pair.replica.log.suffix(3000))")
        // Started again (scripts/db start-replica, not waited for: the server it starts outlives it).
        let restart = Process()
        restart.executableURL = URL(fileURLWithPath: "/bin/sh")
        restart.arguments = ["-c", "\(control) start-replica"]
        (restart.standardOutput, restart.standardError, restart.standardInput) = (
            FileHandle.nullDevice, FileHandle.nullDevice, FileHandle.nullDevice
        )
        try restart.run()
        let back = try await Self.waitFor(pair.replica, "/ready", pair.admin) {
            $0.text.contains("\"inRecovery\": true")
        }
        #expect(back.text.contains("\"inRecovery\": true"), "reads went back to the standby: \(back.text)")
        _ = try await pair.replica.stop()  // its graceful stop once took over 20 s under CI load (undiagnosed; see the closing note)
        #expect(try await pair.primary.stop() == 0)
    }
}
