import Crypto
import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

/// Tokens, scoping and every documented error, through the real server.
@Suite(.serialized) struct APIAccessTests {
    @Test func aScopedTokenSeesOnlyItsOrganization() async throws {
        let api = try await APIFixture.start()
        let university = try await api.token(org: "state-university")
        let list = try await api.get("/v1/organizations", token: university)
        #expect(list.text.contains("state-university") && !list.text.contains("mercy-hospital"))
        #expect(try await api.get("/v1/organizations/state-university/exposure", token: university).status == 200)
        for path in [
            "/v1/organizations/mercy-hospital/exposure", "/v1/deployments/mh-triage/exposure",
            "/v1/organizations/mercy-hospital/exposure?as_of=2026-04-02",
        ] {
            let response = try await api.get(path, token: university)
            #expect(response.status == 404, "\(path)")
            #expect(response.problem?.detail.contains("outside this token's organization") == true)
        }
        let model = try api.decode(ExposureList.self, try await api.get("/v1/models/gpt-5/exposure", token: university))
        #expect(model.exposures.map(\.organization.rawValue) == ["state-university"])
        let incident = try api.decode(
            IncidentReport.self, try await api.get("/v1/incidents/mercor-2026-03", token: university))
        #expect(Set(incident.exposures.map(\.organization.rawValue)) == ["state-university"])
        #expect(incident.incident.organizations == 1)
        let postmortem = try api.decode(
            Postmortem.self, try await api.get("/v1/incidents/mercor-2026-03/postmortem", token: university))
        #expect(Set(postmortem.windows.map(\.organization.rawValue)) == ["state-university"])
        let markdown = try await api.get(
            "/v1/incidents/mercor-2026-03/postmortem", token: university, headers: ["Accept": "text/markdown"])
        #expect(!markdown.text.contains("mh-triage") && !markdown.text.contains("ca-records"))
        // The global feed and stream are for admins only.
        #expect(try await api.get("/v1/events", token: university).status == 403)
        #expect(try await api.get("/v1/events/stream", token: university).problem?.status == 403)
        _ = try await api.get("/v1/organizations/state-university/exposure")
        #expect(try await api.stop() == 0)
        // Nothing secret reached the server's log.
        #expect(!api.server.log.contains(university) && !api.server.log.contains(api.admin))

        // The access log (written at the latest when the server stops) tells the university who read it: its own
        // token, and the admin, refused reads included.
        let universityId = String(university.split(separator: "_")[1])
        let adminId = String(api.admin.split(separator: "_")[1])
        let result = try await api.cli.run(["access-log", "--org", "state-university", "--json", "--limit", "1000"])
        #expect(result.status == 0, "\(result.stderr)")
        let records = try EventCoding.decode([AccessRecord].self, from: Data(result.stdout.utf8))
        #expect(records.contains { $0.tokenId == universityId && $0.status == 403 && $0.route == "/v1/events" })
        #expect(records.contains { $0.tokenId == adminId && $0.subject == "state-university" && $0.status == 200 })
        #expect(records.allSatisfy { $0.scope == "state-university" || $0.subject == "state-university" })
        #expect(!result.stdout.contains(university) && !result.stdout.contains(api.admin))
        let hospital = try EventCoding.decode(
            [AccessRecord].self,
            from: Data(try await api.cli.run(["access-log", "--org", "mercy-hospital", "--json"]).stdout.utf8))
        #expect(
            hospital.contains { $0.tokenId == universityId && $0.status == 404 },
            "the refused look at the hospital is the hospital's to know")
    }

    @Test func tokensAreStoredAsHashesAndCanBeRevoked() async throws {
        // At debug level the server logs the most it ever does; neither the token nor its stored hash may be in it.
        let api = try await APIFixture.start(breach: false, serve: ["--log-level", "debug"])
        let created = try await api.cli.run(["token", "create", "--org", "mercy-hospital", "--label", "soc", "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        let token = try #require(document["token"] as? String)
        let id = try #require(document["id"] as? String)
        #expect(token.hasPrefix("custody_\(id)_"))
        let url = try #require(api.cli.databaseURL)
        let stored = try await Database.with(url) { database in
            var rows: [String] = []
            for try await (text, hash) in try await database.query(
                "SELECT row_to_json(t)::text, encode(secret_hash, 'hex') FROM custody_tokens t WHERE id = \(id)"
            ).decode((String, String).self) { rows.append(text + "|" + hash) }
            return rows
        }
        let expectedHash = SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(stored.count == 1)
        #expect(stored.first?.hasSuffix("|" + expectedHash) == true)
        // The secret is everything after the id; base64url may itself hold '_', so it is not the last '_' part.
        let secret = String(token.dropFirst("custody_\(id)_".count))
        #expect(secret.count == 43)
        #expect(stored.first?.contains(secret) == false)
        let listed = try await api.cli.run(["token", "list"])
        #expect(listed.stdout.contains(id) && !listed.stdout.contains(token))

        #expect(try await api.get("/v1/organizations/mercy-hospital/exposure", token: token).status == 200)
        // A token in the URL is refused before anything logs the URL, and recorded without its query.
        let inURL = try await api.get("/v1/organizations/mercy-hospital/exposure?access_token=\(token)")
        #expect(inURL.status == 400)
        #expect(inURL.problem?.detail.contains("Authorization header") == true, "\(inURL.text)")
        #expect(try await api.get("/v1/organizations?x=\(token)").status == 400)
        #expect(try await api.cli.run(["token", "revoke", id]).status == 0)
        let refused = try await api.waitUntil("/v1/organizations/mercy-hospital/exposure", token: token) {
            $0.status == 401
        }
        #expect(refused.status == 401)
        #expect(refused.problem?.detail.contains("revoked") == true)
        #expect(try await api.cli.run(["token", "revoke", id]).status == 1)
        #expect(
            try await api.cli.run(["token", "create", "--org", "nobody"]).stderr.contains(
                "unknown organization 'nobody'"))
        #expect(try await api.cli.run(["token", "create", "--admin", "--expires", "2020-01-01"]).status == 1)
        // An expiring token works until its time, then is refused like a revoked one.
        let soon = Timestamp.now.adding(seconds: 3)
        let expiring = try await APIFixture.token(api.cli, ["--org", "mercy-hospital", "--expires", soon.description])
        #expect(try await api.get("/v1/organizations/mercy-hospital/exposure", token: expiring).status == 200)
        let expired = try await api.waitUntil("/v1/organizations/mercy-hospital/exposure", token: expiring) {
            $0.status == 401
        }
        #expect(expired.status == 401)
        #expect(Timestamp.now >= soon)
        #expect(try await api.stop() == 0)
        #expect(api.server.log.contains("hb.request.id"), "the debug log was not captured")
        for leak in [token, secret, expectedHash, expiring] {
            #expect(!api.server.log.contains(leak))
        }
        #expect(!created.stderr.contains(token) && !created.stderr.contains(expectedHash))
        let accessLog = try await api.cli.run(["access-log", "--json", "--limit", "1000"]).stdout
        let records = try EventCoding.decode([AccessRecord].self, from: Data(accessLog.utf8))
        #expect(
            records.contains { $0.status == 400 && $0.path == "/v1/organizations/mercy-hospital/exposure" },
            "\(accessLog)")
        #expect(!accessLog.contains(secret))
    }

    @Test func everyErrorIsAProblemDocument() async throws {
        let api = try await APIFixture.start()
        let cases: [(String, [String: String], String?, Int, String)] = [
            ("/v1/organizations/nobody/exposure", [:], nil, 404, "no organization 'nobody'"),
            ("/v1/models/nothing/exposure", [:], nil, 404, "no model 'nothing'"),
            ("/v1/incidents/nothing", [:], nil, 404, "no incident 'nothing'"),
            ("/v1/incidents/nothing/postmortem", [:], nil, 404, "no incident 'nothing'"),
            ("/v1/organizations/Not_An_Id/exposure", [:], nil, 400, "invalid organization id"),
            (
                "/v1/organizations/state-university/exposure?as_of=2026-02-30", [:], nil, 400,
                "invalid as_of '2026-02-30'"
            ),
            ("/v1/organizations/state-university/exposure?known_at=2999-01-01", [:], nil, 400, "not in the future"),
            ("/v1/incidents?color=blue", [:], nil, 400, "unknown query parameter 'color'"),
            ("/v1/events?limit=5000", [:], nil, 400, "invalid limit '5000'"),
            ("/v1/events?after=yesterday", [:], nil, 400, "invalid cursor 'yesterday'"),
            // A resuming client's Last-Event-ID does not excuse a malformed `after` (found by schemathesis).
            ("/v1/events/stream?after=yesterday", ["Last-Event-ID": ""], nil, 400, "invalid cursor 'yesterday'"),
            ("/v1/events/stream", ["Last-Event-ID": "tomorrow"], nil, 400, "invalid cursor 'tomorrow'"),
            ("/v1/organizations", [:], "", 401, "needs a bearer token"),
            (
                "/v1/organizations", [:], "custody_0123456789abcdef_" + String(repeating: "A", count: 43), 401,
                "unknown, revoked or expired"
            ),
            ("/v1/organizations", [:], "hunter2", 401, "not a Custody bearer token"),
            ("/v1/nowhere", [:], nil, 404, "no such route"),
            ("/v1/incidents?x=" + String(repeating: "a", count: 3000), [:], nil, 414, "exceeds"),
        ]
        for (path, headers, token, status, detail) in cases {
            let response = try await api.get(path, token: token, headers: headers)
            #expect(response.status == status, "\(path.prefix(80))")
            #expect(response.problem?.status == status, "\(path.prefix(80)): \(response.text.prefix(200))")
            #expect(
                response.problem?.detail.contains(detail) == true,
                "\(path.prefix(80)): \(response.problem?.detail ?? response.text)")
        }
        let unauthorized = try await api.get("/v1/incidents", token: "")
        #expect(unauthorized.header("www-authenticate")?.hasPrefix("Bearer") == true)
        let posted = try await api.server.http.get("/v1/incidents", method: "POST")
        #expect(posted.status == 405 && posted.header("allow") == "GET, HEAD")
        let body = try await api.server.http.get(
            "/v1/incidents", headers: ["Authorization": "Bearer \(api.admin)"], body: "{}")
        #expect(body.status == 413)
        #expect(try await api.get("/health", token: "").status == 200)
        // The root says where everything is, without a token.
        let root = try await api.get("/", token: "")
        #expect(root.status == 200 && root.text.contains(#""openapi": "/openapi.yaml""#), "\(root.text)")
        // One title per status, the standard phrase.
        #expect(try await api.get("/v1/nowhere").problem?.title == "Not Found")
        #expect(try await api.get("/v1/incidents/nothing").problem?.title == "Not Found")
        // HTTP/1.0 closes after the response unless it asks for keep-alive; HTTP/1.1 stays open unless it asks to close.
        let http = api.server.http
        let plain = try await http.raw("GET /health HTTP/1.0\r\n\r\n", timeout: .seconds(5))
        #expect(plain.closed && plain.text.contains("200 OK"), "\(plain.text)")
        let kept = try await http.raw("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", timeout: .seconds(1))
        #expect(!kept.closed && kept.text.contains("200 OK"), "\(kept.text)")
        let persistent = try await http.raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", timeout: .seconds(1))
        #expect(!persistent.closed && persistent.text.contains("200 OK"), "\(persistent.text)")
        #expect(try await api.stop() == 0)
        // Refused before any route ran (405, 413, 414, no such route): in the access log all the same.
        let records = try EventCoding.decode(
            [AccessRecord].self,
            from: Data(try await api.cli.run(["access-log", "--json", "--limit", "1000"]).stdout.utf8))
        for (status, path) in [
            (405, "/v1/incidents"), (413, "/v1/incidents"), (414, "/v1/incidents"), (404, "/v1/nowhere"),
        ] {
            #expect(records.contains { $0.status == status && $0.path == path }, "\(status) \(path)")
        }
    }

    @Test func aDatabaseThatIsDownGives503AndReadyFails() async throws {
        let cli = CLI(databaseURL: try DatabaseURL("postgres://custody@127.0.0.1:1/custody"))
        let server = try await ServerProcess(cli)
        let http = server.http
        #expect(try await http.get("/health").status == 200)
        let ready = try await http.get("/ready")
        #expect(ready.status == 503)
        #expect(ready.header("retry-after") == "5")
        #expect(ready.text.contains("\"ready\": false"))
        let token = "custody_0123456789abcdef_" + String(repeating: "A", count: 43)
        let answer = try await http.get("/v1/organizations", headers: ["Authorization": "Bearer \(token)"])
        #expect(answer.status == 503)
        #expect(answer.problem?.detail.contains("database") == true, "\(answer.text)")
        // The driver's error, with its internal type names, stays in the server log.
        for leak in ["Error", "connect(", "errno", "circuitBreaker"] {
            #expect(answer.problem?.detail.contains(leak) == false, "\(answer.text)")
            #expect(!ready.text.contains(leak), "\(ready.text)")
        }
        #expect(answer.header("retry-after") != nil)
        #expect(try await server.stop() == 0)
    }
}
