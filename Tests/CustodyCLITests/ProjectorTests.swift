import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

@Suite(.serialized) struct ProjectorTests {
    func startProjector(_ url: DatabaseURL, stderr: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["projections", "run"]
        var environment = ProcessInfo.processInfo.environment
        environment["CUSTODY_DATABASE_URL"] = url.text
        process.environment = environment
        if let stderr {
            _ = FileManager.default.createFile(atPath: stderr, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: stderr)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    func waitFor(_ deadline: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// Two projectors: one leads, the other stands by; killed with -9, the leader's lock goes with its session and
    /// the other takes over within seconds, continuing from the checkpoint (tables equal to a rebuild).
    @Test func aStandbyTakesOverWhenTheLeaderIsKilled() async throws {
        let url = try await TestDatabase.create(on: .endToEnd)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "custody-lead-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (firstLog, secondLog) = (
            directory.appendingPathComponent("a").path, directory.appendingPathComponent("b").path
        )
        func said(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        try await Database.with(url) { database in
            let store = EventStore(database)
            let events = Workload.mixed(organizations: 8)
            let first = try startProjector(url, stderr: firstLog)
            defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
            #expect(try await waitFor(.seconds(20)) { said(firstLog).contains("leading") })
            let second = try startProjector(url, stderr: secondLog)
            defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
            #expect(try await waitFor(.seconds(20)) { said(secondLog).contains("standing by") })

            let half = events.count / 2
            for event in events.prefix(half) { _ = try await store.append([event]) }
            #expect(
                try await waitFor(.seconds(20)) {
                    try await ExposureProjection.checkpoint(database)?.events == Int64(half)
                })
            #expect(!said(secondLog).contains("leading"), "two processes led at once")
            let status = try await CLI(databaseURL: url).run(["projections", "status", "--json"])
            #expect(status.stdout.contains("\"leader\": {\"pid\": "), "status names no leader: \(status.stdout)")

            kill(first.processIdentifier, SIGKILL)
            #expect(try await first.exited(), "a projector outlived SIGKILL")
            // Liveness, not speed (the standby retries every second; timings belong to scripts/bench): it takes over
            // while the leader's replacement would still be starting, on a loaded machine too. Measured to its
            // "leading", not to the end of the appends below, which a loaded machine slows on its own.
            #expect(
                try await waitFor(.seconds(15)) { said(secondLog).contains("leading") },
                "the standby took over too slowly")
            for event in events.dropFirst(half) { _ = try await store.append([event]) }
            #expect(
                try await waitFor(.seconds(30)) {
                    try await ExposureProjection.checkpoint(database)?.events == Int64(events.count)
                })
            #expect(
                said(secondLog).components(separatedBy: "standing by").count == 2, "the standby restarted its stand-by")
            let survived = try await ReadModels.rows(database)
            _ = try await ExposureProjection.rebuild(store)
            #expect(try await ReadModels.rows(database) == survived)
        }
    }

    @Test func aProjectorKilledMidBatchLosesAndRepeatsNothing() async throws {
        let url = try await TestDatabase.create(on: .endToEnd)
        try await Database.with(url) { database in
            let store = EventStore(database)
            let events = Workload.mixed(organizations: 12)
            let rounds = 4
            let perRound = events.count / rounds + 1
            var generator = SeededGenerator(seed: 7)
            for round in 0..<rounds {
                let projector = try startProjector(url)
                for event in events.dropFirst(round * perRound).prefix(perRound) { _ = try await store.append([event]) }
                try await Task.sleep(for: .milliseconds(Int(generator.next() % 300)))
                kill(projector.processIdentifier, SIGKILL)
                #expect(try await projector.exited(), "a projector outlived SIGKILL")
            }
            let projector = try startProjector(url)
            defer { if projector.isRunning { kill(projector.processIdentifier, SIGKILL) } }
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if try await ExposureProjection.checkpoint(database)?.events == Int64(events.count) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await ExposureProjection.checkpoint(database)?.events == Int64(events.count))
            let survived = try await ReadModels.rows(database)
            _ = try await ExposureProjection.rebuild(store)
            #expect(try await ReadModels.rows(database) == survived)
        }
    }

    @Test func exposureSaysWhenTheReadModelsAreBehindAndUsesThemWhenCurrent() async throws {
        let url = try await TestDatabase.create(on: .endToEnd)
        let cli = CLI(databaseURL: url)
        try await Database.with(url) { database in
            for event in Workload.mixed(organizations: 2) { _ = try await EventStore(database).append([event]) }
        }
        // No projector runs: the log's answer is exact, and there is nothing to say.
        let behind = try await cli.run(["exposure", "--org", "org-1", "--json"])
        #expect(behind.stderr.isEmpty, "\(behind.stderr)")
        // A projector leads (its lock is held) but has not caught up: one line says so.
        let lagging = try await Database.withConnection(url) { session in
            try await session.query("SELECT pg_advisory_lock(7350123900003)")
            return try await cli.run(["exposure", "--org", "org-1", "--json"])
        }
        #expect(lagging.stderr.contains("event(s) behind the projector (server process"), "\(lagging.stderr)")
        let fromLag = try EventCoding.decode(OrganizationExposure.self, from: Data(lagging.stdout.utf8))
        #expect(
            fromLag.exposures
                == (try EventCoding.decode(OrganizationExposure.self, from: Data(behind.stdout.utf8))).exposures)
        #expect(try await cli.run(["projections", "rebuild"]).status == 0)
        let status = try await cli.run(["projections", "status", "--json"])
        #expect(status.stdout.contains("\"behind\": 0"))
        let current = try await cli.run(["exposure", "--org", "org-1", "--json"])
        #expect(current.stderr.isEmpty)
        let fromTables = try EventCoding.decode(OrganizationExposure.self, from: Data(current.stdout.utf8))
        let fromLog = try EventCoding.decode(OrganizationExposure.self, from: Data(behind.stdout.utf8))
        #expect(fromTables.exposures == fromLog.exposures)
        #expect(fromTables.summary == fromLog.summary)
    }

    /// Models, deployments and incidents are answered from the read models when they are current, with the same
    /// documents a fold of the log gives (the two clocks still fold the log).
    @Test func everyPresentSubjectIsAnsweredFromTheReadModels() async throws {
        let url = try await TestDatabase.create(on: .endToEnd)
        let cli = CLI(databaseURL: url)
        try await Database.with(url) { database in
            for event in Workload.mixed(organizations: 3) { _ = try await EventStore(database).append([event]) }
        }
        let questions = [
            ["--model", "llama-4"], ["--deployment", "d-1-2"], ["--incident", "b1"], ["--incident", "b2"],
        ]
        var fromLog: [ExposureList] = []
        for question in questions {
            let answer = try await cli.run(["exposure"] + question + ["--json"])
            #expect(answer.stderr.isEmpty, "\(answer.stderr)")
            fromLog.append(try EventCoding.decode(ExposureList.self, from: Data(answer.stdout.utf8)))
        }
        #expect(fromLog.map(\.exposures.count).reduce(0, +) > 5)
        #expect(try await cli.run(["projections", "rebuild"]).status == 0)
        for (question, folded) in zip(questions, fromLog) {
            let answer = try await cli.run(["exposure"] + question + ["--json"])
            #expect(answer.stderr.isEmpty, "\(question) was not answered from the read models")
            let stored = try EventCoding.decode(ExposureList.self, from: Data(answer.stdout.utf8))
            #expect(stored.exposures == folded.exposures, "\(question)")
            #expect(stored.subject == folded.subject)
        }
        let unknown = try await cli.run(["exposure", "--model", "no-such-model"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no-such-model"))
    }

    /// `deployments` answers from the read model when it is current, with the entries the fold gives.
    @Test func deploymentsAreListedFromTheReadModel() async throws {
        let url = try await TestDatabase.create(on: .endToEnd)
        let cli = CLI(databaseURL: url)
        try await Database.with(url) { database in
            for event in Workload.mixed(organizations: 3) { _ = try await EventStore(database).append([event]) }
        }
        let questions = [["deployments", "--org", "org-1", "--json"], ["deployments", "--json"]]
        var folded: [String] = []
        for question in questions { folded.append(try await cli.run(question).stdout) }
        #expect(folded[0].contains("d-1-2"))
        #expect(try await cli.run(["projections", "rebuild"]).status == 0)
        var again: [String] = []
        for question in questions { again.append(try await cli.run(question).stdout) }
        #expect(again == folded)
        // A mark only the read model carries shows that the answer came from it.
        try await Database.with(url) { database in
            try await database.query(
                "UPDATE custody_deployments SET document = jsonb_set(document, '{workload}', '\"marked\"') WHERE deployment = 'd-1-2'"
            )
        }
        #expect(try await cli.run(questions[0]).stdout.contains("marked"))
        let unknown = try await cli.run(["deployments", "--org", "no-such-org"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown organization 'no-such-org'"))
    }
}
