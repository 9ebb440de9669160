import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

/// Every endpoint against the real server and database: the same documents as the CLI's `--json`.
@Suite(.serialized) struct APIDocumentTests {
    @Test func exposureEndpointsAnswerWhatTheCLIAnswers() async throws {
        let api = try await APIFixture.start()
        let viaCLI = try EventCoding.decode(
            OrganizationExposure.self,
            from: Data(try await api.cli.run(["exposure", "--org", "state-university", "--json"]).stdout.utf8))
        let organization = try await api.get("/v1/organizations/state-university/exposure")
        #expect(organization.status == 200)
        #expect(organization.header("content-type") == "application/json")
        let viaAPI = try api.decode(OrganizationExposure.self, organization)
        #expect(viaAPI.exposures == viaCLI.exposures)
        #expect(viaAPI.summary == viaCLI.summary)
        #expect(viaAPI.exposures.map(\.deployment.rawValue) == ["su-advising", "su-research"])

        let list = try await api.get("/v1/organizations")
        #expect(list.text.contains("\"mercy-hospital\"") && list.text.contains("\"civic-agency\""))

        let model = try api.decode(ExposureList.self, try await api.get("/v1/models/gpt-5/exposure"))
        #expect(Set(model.exposures.map(\.deployment.rawValue)) == ["su-advising", "mh-triage"])
        let deployment = try api.decode(ExposureList.self, try await api.get("/v1/deployments/ca-records/exposure"))
        #expect(deployment.exposures.map { "\($0.vendor)/\($0.paused)" } == ["mercor/true"])

        let incidents = try api.decode(IncidentList.self, try await api.get("/v1/incidents"))
        #expect(incidents.incidents.map(\.id.rawValue) == ["mercor-2026-03"])
        #expect(incidents.incidents.first?.exposedDeployments == 4)
        #expect(incidents.incidents.first?.organizations == 3)
        let incident = try api.decode(IncidentReport.self, try await api.get("/v1/incidents/mercor-2026-03"))
        let radius = try EventCoding.decode(
            ExposureList.self,
            from: Data(try await api.cli.run(["exposure", "--incident", "mercor-2026-03", "--json"]).stdout.utf8))
        #expect(incident.exposures == radius.exposures)

        // Both clocks, as in the CLI: before the breach nothing; known before it was recorded, nothing either.
        let before = try api.decode(
            OrganizationExposure.self, try await api.get("/v1/organizations/mercy-hospital/exposure?as_of=2026-03-20"))
        #expect(before.exposures.isEmpty)
        let asOf = try api.decode(ExposureList.self, try await api.get("/v1/models/gpt-5/exposure?as_of=2026-04-02"))
        #expect(asOf.exposures.map(\.status) == [.investigating, .investigating])
        let known = try await api.get("/v1/incidents/mercor-2026-03?known_at=2026-01-01")
        #expect(known.status == 404)

        let postmortem = try api.decode(Postmortem.self, try await api.get("/v1/incidents/mercor-2026-03/postmortem"))
        #expect(postmortem.timeline.count == 3)
        let markdown = try await api.get(
            "/v1/incidents/mercor-2026-03/postmortem", headers: ["Accept": "text/markdown"])
        #expect(markdown.header("content-type")?.hasPrefix("text/markdown") == true)
        #expect(markdown.text == (try await api.cli.run(["postmortem", "mercor-2026-03"])).stdout)
        #expect(try await api.stop() == 0)
    }

    /// The VEX endpoint serves `custody vex`'s bytes, with CycloneDX's media type, within the token's scope.
    @Test func theVEXEndpointServesTheCLIsDocumentWithinScope() async throws {
        let api = try await APIFixture.start()
        let known = Timestamp.now.description
        for (organization, query, flags) in [
            ("mercy-hospital", "", [String]()), ("state-university", "?as_of=2026-04-02", ["--as-of", "2026-04-02"]),
            ("civic-agency", "?as_of=2026-05-01&known_at=\(known)", ["--as-of", "2026-05-01", "--known-at", known]),
        ] {
            let response = try await api.get("/v1/organizations/\(organization)/vex\(query)")
            #expect(response.status == 200, "\(response.text)")
            #expect(response.header("content-type") == "application/vnd.cyclonedx+json; version=1.6")
            let cli = try await api.cli.run(["vex", "--org", organization] + flags)
            #expect(cli.status == 0, "\(cli.stderr)")
            if query.isEmpty {
                // Present answers are stamped with the moment they were computed: compare all but that.
                func stripped(_ text: String) -> String {
                    text.replacing(/"timestamp": "[^"]*"/, with: "").replacing(
                        /"custody:as-of", "value": "[^"]*"/, with: ""
                    )
                    .replacing(/urn:uuid:[0-9a-f-]*/, with: "")
                }
                #expect(stripped(response.text) == stripped(cli.stdout.trimmingCharacters(in: .newlines)))
            } else {
                #expect(response.text == cli.stdout.trimmingCharacters(in: .newlines), "the same bytes")
            }
            #expect(
                response.text.contains(#""bomFormat": "CycloneDX""#)
                    && response.text.contains(#""id": "mercor-2026-03""#))
        }
        let scoped = try await api.token(org: "mercy-hospital")
        #expect(try await api.get("/v1/organizations/mercy-hospital/vex", token: scoped).status == 200)
        #expect(
            try await api.get("/v1/organizations/state-university/vex", token: scoped).status == 404,
            "another organization's")
        #expect(try await api.get("/v1/organizations/nobody/vex").status == 404)
        #expect(try await api.get("/v1/organizations/mercy-hospital/vex", token: "").status == 401)
        #expect(try await api.get("/v1/organizations/mercy-hospital/vex?as_of=someday").status == 400)
        #expect(try await api.stop() == 0)
    }

    @Test func theEventFeedPagesThroughTheWholeLog() async throws {
        let api = try await APIFixture.start()
        let all = try await api.cli.run(["events", "--json"]).lines
        var cursor = ""
        var seen: [String] = []
        for _ in 0..<20 {
            let page = try await api.get("/v1/events?limit=7" + (cursor.isEmpty ? "" : "&after=\(cursor)"))
            #expect(page.status == 200)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(page.body)) as? [String: Any])
            let events = try #require(document["events"] as? [[String: Any]])
            cursor = try #require(document["next"] as? String)
            seen += events.compactMap { $0["id"] as? String }
            if events.isEmpty { break }
        }
        let expected = try all.map { line in
            try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String)
        }
        #expect(seen == expected)
        #expect(try await api.stop() == 0)
    }

    @Test func serverSentEventsDeliverAFreshAppend() async throws {
        let api = try await APIFixture.start()
        let headers = ["Authorization": "Bearer \(api.admin)"]
        let last = try #require(try await api.cli.run(["events", "--json"]).lines.last)
        let cursor = try #require(
            (try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])?["cursor"] as? String)
        let http = api.server.http
        // No wait for the subscription: the stream starts after a cursor, so an event appended first is sent too.
        async let received = http.stream("/v1/events/stream?after=\(cursor)", headers: headers) {
            $0.contains("acme-labels")
        }
        let appended = try await api.cli.run(["vendor", "add", "acme-labels", "--name", "Acme Labels"])
        #expect(appended.status == 0)
        let text = try await received
        #expect(text.contains("content-type: text/event-stream") || text.contains("Content-Type: text/event-stream"))
        #expect(text.contains("event: VendorRegistered"))
        #expect(!text.contains("InvestigationOpened"), "events before the cursor were sent again")
        // A reconnecting client resumes after its Last-Event-ID and sees nothing twice.
        let resumed = try await http.stream(
            "/v1/events/stream", headers: headers.merging(["Last-Event-ID": cursor]) { a, _ in a }
        ) {
            $0.contains("acme-labels")
        }
        #expect(resumed.components(separatedBy: "event: ").count == 2)
        #expect(try await api.stop() == 0)
    }

    @Test func etagsAnswerNotModifiedUntilTheLogMoves() async throws {
        let api = try await APIFixture.start()
        let path = "/v1/organizations/state-university/exposure"
        let first = try await api.get(path)
        let etag = try #require(first.header("etag"))
        #expect(try await api.get(path, headers: ["If-None-Match": etag]).status == 304)
        // Another caller's view of the same URL is another representation.
        let scoped = try await api.get(path, token: try api.token(org: "state-university"))
        #expect(scoped.header("etag") != etag)
        try await ExampleScenario.record(
            api.cli, [["investigation", "close", "openai-inv", "--outcome", "confirmed", "--at", "2026-04-20"]])
        let changed = try await api.waitUntil(path) { $0.header("etag") != etag }
        #expect(changed.header("etag") != etag)
        #expect(try await api.get(path, headers: ["If-None-Match": etag]).status == 200)
        #expect(try api.decode(OrganizationExposure.self, changed).exposures.first?.status == .confirmed)

        // gzip when asked, for documents worth compressing; the same bytes once inflated.
        let plain = try await api.get("/v1/incidents/mercor-2026-03")
        #expect(plain.body.count >= 1024)
        let zipped = try await api.get("/v1/incidents/mercor-2026-03", headers: ["Accept-Encoding": "gzip"])
        #expect(zipped.header("content-encoding") == "gzip")
        #expect(zipped.body.count < plain.body.count)
        #expect(try await gunzip(zipped.body) == plain.body)
        // A weight of zero refuses the coding, however it is written.
        for refusal in ["gzip;q=0", "gzip; q=0.0", "GZIP;Q=0.000", "identity, gzip;q=0"] {
            let answer = try await api.get("/v1/incidents/mercor-2026-03", headers: ["Accept-Encoding": refusal])
            #expect(answer.header("content-encoding") == nil, "\(refusal)")
        }
        #expect(
            try await api.get("/v1/incidents/mercor-2026-03", headers: ["Accept-Encoding": "gzip;q=0.5"]).header(
                "content-encoding") == "gzip")
        #expect(try await api.stop() == 0)
    }

    func gunzip(_ bytes: [UInt8]) async throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        #expect(try await process.exited(), "gzip -dc was still running 20 s after its input ended")
        return Array(data)
    }

    @Test func whatIfAndConcentrationAreServedWithinScope() async throws {
        let api = try await APIFixture.start(breach: false)
        let all = try api.decode(ExposureList.self, try await api.get("/v1/whatif?vendor=mercor&data=rlhf"))
        #expect(
            Set(all.exposures.map(\.organization.rawValue)) == ["state-university", "mercy-hospital", "civic-agency"])
        let agency = try await api.token(org: "civic-agency")
        let scoped = try api.decode(ExposureList.self, try await api.get("/v1/whatif?vendor=mercor", token: agency))
        #expect(scoped.exposures.map(\.deployment.rawValue) == ["ca-records"])
        #expect(try await api.get("/v1/whatif?vendor=nobody").status == 404)
        #expect(try await api.get("/v1/whatif").status == 400)
        let badKind = try await api.get("/v1/whatif?vendor=mercor&data=gossip")
        #expect(badKind.problem?.detail.contains("invalid data kind 'gossip'") == true, "\(badKind.text)")
        let concentration = try api.decode(Concentration.self, try await api.get("/v1/concentration"))
        #expect(concentration.vendors.first?.id.rawValue == "mercor")
        let mine = try api.decode(Concentration.self, try await api.get("/v1/concentration", token: agency))
        #expect(mine.organizations.map(\.id.rawValue) == ["civic-agency"])
        #expect(try await api.stop() == 0)
    }
}
