import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

/// The web pages: sessions, headers and scoping over plain HTTP, then everything a person does, in headless
/// Chromium driven by Selenium (Tests/browser/web_check.py; scripts/test installs both).
@Suite(.serialized) struct WebTests {
    static func signIn(_ api: APIFixture, _ token: String, next: String = "/web") async throws -> HTTP.Response {
        let body = "token=\(token)&next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return try await api.server.http.get(
            "/web/sign-in", headers: ["Content-Type": "application/x-www-form-urlencoded"], method: "POST", body: body)
    }

    static func session(_ response: HTTP.Response) -> String? {
        guard let cookie = response.header("set-cookie"), let value = cookie.split(separator: ";").first else {
            return nil
        }
        return String(value)
    }

    @Test func sessionsHeadersAndScopeOverHTTP() async throws {
        let api = try await APIFixture.start()
        // A name that would be markup: every value is escaped.
        try await ExampleScenario.record(
            api.cli, [["org", "add", "tricky", "--name", "<script>alert(1)</script> & Co", "--sector", "x"]])
        let token = try await api.token(org: "mercy-hospital")
        let http = api.server.http

        let anonymous = try await http.get("/web/organizations/mercy-hospital")
        #expect(anonymous.status == 303 && anonymous.header("location")?.hasPrefix("/web/sign-in?next=") == true)
        #expect(anonymous.header("content-security-policy")?.contains("script-src 'self'") == true)
        #expect(try await http.get("/web/version").status == 401)

        let refused = try await Self.signIn(api, "custody_0123456789abcdef_" + String(repeating: "a", count: 43))
        #expect(refused.status == 401 && refused.text.contains("unknown, revoked or expired"))

        let signedIn = try await Self.signIn(api, token, next: "//elsewhere.example/web")
        #expect(signedIn.status == 303 && signedIn.header("location") == "/web", "only a local path follows a sign-in")
        let cookie = try #require(signedIn.header("set-cookie"))
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/web"] { #expect(cookie.contains(flag), "\(cookie)") }
        #expect(!cookie.contains("Secure"), "not over TLS")
        #expect(
            !cookie.contains(token) && !cookie.contains(token.split(separator: "_")[1]),
            "the cookie holds a session id, never the token")
        let session = try #require(Self.session(signedIn))

        let page = try await http.get("/web/organizations/mercy-hospital", headers: ["Cookie": session])
        #expect(page.status == 200 && page.header("content-type") == "text/html; charset=utf-8")
        for header in ["content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"] {
            #expect(page.header(header) != nil, "\(header)")
        }
        #expect(page.text.contains("data-deployment=\"mh-triage\"") && !page.text.contains("<script>alert"))
        #expect(!page.text.contains("style=") && !page.text.contains("<script>"), "no inline style or script")
        #expect(try await http.get("/web/organizations/state-university", headers: ["Cookie": session]).status == 404)
        #expect(try await http.get("/web/deployments/su-advising", headers: ["Cookie": session]).status == 404)
        #expect(
            try await http.get("/web/organizations/mercy-hospital?status=bogus", headers: ["Cookie": session]).status
                == 400)
        #expect(
            try await http.get("/web", headers: ["Cookie": session]).header("location")
                == "/web/organizations/mercy-hospital")

        let admin = try #require(Self.session(try await Self.signIn(api, api.admin)))
        let tricky = try await http.get("/web/organizations/tricky", headers: ["Cookie": admin])
        #expect(
            tricky.status == 200 && tricky.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"),
            "\(tricky.text.prefix(600))")
        #expect(!tricky.text.contains("<script>alert"))

        let chart = try await http.get("/web/incidents/mercor-2026-03/postmortem.md", headers: ["Cookie": session])
        #expect(chart.status == 200 && chart.header("content-disposition")?.contains("attachment") == true)
        #expect(chart.text.hasPrefix("# Postmortem: mercor-2026-03") && chart.text.contains("mh-triage"))
        #expect(!chart.text.contains("su-advising"), "the report is scoped like the API's")

        let big = try await http.get(
            "/web/sign-in", headers: ["Content-Type": "application/x-www-form-urlencoded"], method: "POST",
            body: "token=" + String(repeating: "x", count: 5000))
        #expect(big.status == 413)
        #expect(try await http.get("/web/organizations/mercy-hospital", method: "POST", body: "").status == 405)

        // Signing out ends the session; so does revoking its token.
        let out = try await http.get("/web/sign-out", headers: ["Cookie": session], method: "POST", body: "")
        #expect(out.status == 303 && out.header("set-cookie")?.contains("Max-Age=0") == true)
        #expect(try await http.get("/web/organizations/mercy-hospital", headers: ["Cookie": session]).status == 303)
        let again = try #require(Self.session(try await Self.signIn(api, token)))
        #expect(try await http.get("/web/organizations/mercy-hospital", headers: ["Cookie": again]).status == 200)
        #expect(try await api.cli.run(["token", "revoke", String(token.split(separator: "_")[1])]).status == 0)
        try await Task.sleep(for: .milliseconds(2500))
        let ended = try await http.get("/web/organizations/mercy-hospital", headers: ["Cookie": again])
        #expect(ended.status == 303 && ended.header("location")?.contains("ended=1") == true, "\(ended.status)")
        #expect(try await api.stop() == 0)
    }

    /// Everything a person does, in a real browser; screenshots under .build/test-output/web.
    @Test func thePagesWorkInARealBrowser() async throws {
        let python = try #require(
            ProcessInfo.processInfo.environment["CUSTODY_TEST_PYTHON"], "run through scripts/test")
        let api = try await APIFixture.start()
        try await ExampleScenario.record(
            api.cli,
            [
                [
                    "investigation", "close", "openai-inv", "--outcome", "confirmed", "--summary", "found", "--at",
                    "2026-04-20",
                ],
                [
                    "respond", "--deployment", "mh-triage", "--incident", "mercor-2026-03", "--state", "mitigating",
                    "--owner", "CISO", "--at", "2026-04-22",
                ],
                [
                    "deploy", "mh-coding", "--org", "mercy-hospital", "--model", "claude-opus-4-5", "--workload",
                    "coding", "--criticality", "low", "--at", "2026-01-10",
                ],
            ])
        try await api.waitUntilCaughtUp()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = root.appendingPathComponent("Tests/browser/web_check.py").path
        let shots = root.appendingPathComponent(".build/test-output/web").path
        var cli = CLI(databaseURL: nil)
        cli.environment = ["CUSTODY_BINARY": CLI.binary, "CUSTODY_DATABASE_URL": api.cli.databaseURL?.text ?? ""]
        let result = try await cli.run(
            [
                script, "http://127.0.0.1:\(api.server.port)", "mercy-hospital", "state-university", "mercor-2026-03",
                shots,
            ], binary: python)
        let failed = result.lines.filter { !$0.hasPrefix("ok ") }
        #expect(
            result.status == 0 && failed.isEmpty, "\(failed.joined(separator: "\n"))\n\(result.stderr.suffix(2000))")
        #expect(result.lines.filter { $0.hasPrefix("ok ") }.count >= 18, "\(result.stdout)")
        for name in ["overview", "incident", "postmortem", "sign-in"] {
            #expect(FileManager.default.fileExists(atPath: "\(shots)/\(name).png"), "\(name).png")
        }
        #expect(try await api.stop() == 0)
    }
}
