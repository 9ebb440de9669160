import CustodyCore

/// The frame every page shares: the stylesheet and script from `/web/static` (no inline script or style, no
/// external fonts), a skip link, the navigation and sign-out, the two clocks as a form, the "newer facts" notice
/// the script reveals, and the log version the page shows. Every value is escaped with `Markup.escape`.
struct WebPage {
    var title: String
    /// The path of this page, which the clock form submits to.
    var path: String
    var scope: AccessScope?
    var version: String?
    var question: Question?
    /// Query fields kept across a clock change (a filter, a sort).
    var keep: [(String, String)] = []
    var body: String

    func render() -> String {
        let e = Markup.escape
        var html = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title)) · Custody</title>
            <link rel="stylesheet" href="/web/static/custody.css"><script src="/web/static/custody.js" defer></script></head>
            <body\(version.map { " data-version=\"\(e($0))\" data-version-url=\"/web/version\"" } ?? "")>
            <a class="skip" href="#main">Skip to the content</a>
            <header><nav aria-label="Custody"><a class="brand" href="/web">Custody</a>
            """
        if let scope {
            if let organization = scope.organization {
                html += "<a href=\"/web/organizations/\(e(organization.rawValue))\">\(e(organization.rawValue))</a>"
            }
            html += """
                <span class="who">signed in: \(e(scope.organization.map { "organization \($0)" } ?? "admin"))</span>
                <form method="post" action="/web/sign-out"><button type="submit">Sign out</button></form>
                """
        }
        html += "</nav></header>\n"
        if version != nil {
            html +=
                "<div id=\"fresh\" class=\"notice\" role=\"status\" hidden>Newer facts exist. <a href=\"\(e(here))\">Reload</a></div>\n"
        }
        html += "<main id=\"main\">\n"
        if let question { html += clocks(question) }
        html += body + "\n</main>\n<footer>"
        if let version { html += "log version <code>\(e(version))</code>" }
        if let question {
            html +=
                " · as of \(e(question.asOf.readable))"
                + (question.knownAt.map { " · as known at \(e($0.readable))" } ?? "")
        }
        return html + "</footer>\n</body>\n</html>\n"
    }

    /// This page with its clocks and kept fields: where "Reload" goes.
    var here: String {
        Self.link(path, keep + (question?.fields ?? []))
    }

    private func clocks(_ question: Question) -> String {
        let e = Markup.escape
        let asOf = question.present ? "" : question.asOf.description
        let knownAt = question.knownAt?.description ?? ""
        var form = """
            <form class="clocks" method="get" action="\(e(path))" aria-label="The two clocks">
            <label>As of <input name="as_of" value="\(e(asOf))" placeholder="now" size="22" aria-describedby="clock-help"></label>
            <label>Known at <input name="known_at" value="\(e(knownAt))" placeholder="now" size="22" aria-describedby="clock-help"></label>
            """
        for (name, value) in keep { form += "<input type=\"hidden\" name=\"\(e(name))\" value=\"\(e(value))\">" }
        form += """
            <button type="submit">Show</button> <a href="\(e(Self.link(path, keep)))">Now</a>
            <p id="clock-help" class="help">As of: the world at that time, as known now. Known at: only what the log had \
            recorded by then. A date (2026-04-01) or a time (2026-04-01T12:00:00Z); empty means now.</p>
            </form>

            """
        return form
    }

    /// A path with query fields, each percent-encoded.
    static func link(_ path: String, _ fields: [(String, String)]) -> String {
        guard !fields.isEmpty else { return path }
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:".utf8)
        func encode(_ text: String) -> String {
            text.utf8.map { allowed.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        }
        return path + "?" + fields.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}

/// Small pieces the pages share.
enum WebPiece {
    static func status(_ status: ExposureStatus) -> String {
        "<span class=\"status status-\(status.rawValue)\">\(status.rawValue)</span>"
    }

    static func response(_ response: ExposureResponse?) -> String {
        guard let response else { return "<span class=\"none\">none yet</span>" }
        let e = Markup.escape
        var text = "\(e(response.state.rawValue))"
        if let justification = response.justification { text += " (\(e(justification.rawValue)))" }
        text += " · \(e(response.owner)) · since \(e(response.since.readable))"
        if response.scope == "provider" { text += " · for every deployment on the provider" }
        return text
    }

    /// The link to another page, keeping the clocks of this one.
    static func link(_ path: String, _ label: String, _ question: Question) -> String {
        "<a href=\"\(Markup.escape(WebPage.link(path, question.fields)))\">\(Markup.escape(label))</a>"
    }

    static func id(_ slug: Slug) -> String { Markup.escape(slug.rawValue) }
}
