import CustodyCore

/// The bodies of the pages, each from the document the API serves for the same question.
enum WebPages {
    typealias Piece = WebPiece

    /// How the overview's exposure table may be sorted; `urgency` is the design note's order (the API's).
    enum Sort: String, CaseIterable {
        case urgency, deployment, incident, severity, since

        func sorted(_ rows: [Exposure]) -> [Exposure] {
            switch self {
            case .urgency: return rows
            case .deployment: return rows.sorted { ($0.deployment, $0.incident) < ($1.deployment, $1.incident) }
            case .incident: return rows.sorted { ($0.incident, $0.deployment) < ($1.incident, $1.deployment) }
            case .severity: return rows.sorted { $0.severity != $1.severity ? $0.severity > $1.severity : $0 < $1 }
            case .since: return rows.sorted { $0.since != $1.since ? $0.since < $1.since : $0 < $1 }
            }
        }
    }

    static func organization(_ document: OrganizationExposure, question: Question, status: ExposureStatus?, sort: Sort)
        -> String
    {
        let e = Markup.escape
        let summary = document.summary
        let path = "/web/organizations/\(document.organization.id.rawValue)"
        var html = "<h1>\(e(document.organization.name)) <small>(\(e(document.sector)))</small></h1>\n"
        html += "<section aria-labelledby=\"summary-title\"><h2 id=\"summary-title\">Summary</h2><dl class=\"summary\">"
        html += "<dt>Active deployments</dt><dd>\(summary.activeDeployments)</dd>"
        html += "<dt>Exposed deployments</dt><dd>\(summary.exposedDeployments)</dd>"
        let counts = ExposureStatus.allCases.compactMap { status in
            summary.statusCounts[status.rawValue].map { "<li>\(Piece.status(status)) \($0)</li>" }
        }
        html +=
            "<dt>Current exposures by status</dt><dd>"
            + (counts.isEmpty ? "none" : "<ul class=\"counts\">\(counts.joined())</ul>") + "</dd>"
        html += "<dt>Highest severity</dt><dd>\(e(summary.highestSeverity?.rawValue ?? "none"))</dd>"
        html +=
            "<dt>Needing a response</dt><dd>\(summary.needsResponse)"
            + (summary.oldestUnanswered.map { ", the oldest unanswered since \(e($0.readable))" } ?? "") + "</dd>"
        html +=
            "<dt>On a single provider</dt><dd>\(summary.singleProvider ? "yes: every active deployment rests on one provider" : "no")</dd>"
        html +=
            "<dt>Open-weight share</dt><dd>\(Int((summary.openWeightShare * 100).rounded())) %</dd></dl></section>\n"

        let rows = sort.sorted(document.exposures.filter { status == nil || $0.status == status })
        html += "<section aria-labelledby=\"exposures-title\"><h2 id=\"exposures-title\">Exposures</h2>\n"
        let clocks = question.fields
        func link(status: ExposureStatus?, sort: Sort) -> String {
            var fields = clocks
            if let status { fields.append(("status", status.rawValue)) }
            if sort != .urgency { fields.append(("sort", sort.rawValue)) }
            return e(WebPage.link(path, fields))
        }
        html += "<nav class=\"filter\" aria-label=\"Filter by status\"><ul>"
        for option in [nil] + ExposureStatus.allCases.map(Optional.some) {
            let current = option == status ? " aria-current=\"page\"" : ""
            html +=
                "<li><a href=\"\(link(status: option, sort: sort))\"\(current)>\(e(option?.rawValue ?? "all"))</a></li>"
        }
        html += "</ul></nav>\n"
        func header(_ label: String, _ by: Sort?) -> String {
            guard let by else { return "<th scope=\"col\">\(label)</th>" }
            let sorted = by == sort ? " aria-sort=\"\(by == .severity ? "descending" : "ascending")\"" : ""
            return "<th scope=\"col\"\(sorted)><a href=\"\(link(status: status, sort: by))\">\(label)</a></th>"
        }
        html += """
            <table class="exposures" id="exposures"><caption>\(rows.count) exposure(s)\(status.map { " with status \($0.rawValue)" } ?? ""), \
            sorted by \(sort.rawValue)</caption><thead><tr>\(header("Deployment", .deployment))\(header("Model", nil))\
            \(header("Provider", nil))\(header("Vendor", nil))\(header("Incident", .incident))\(header("Status", .urgency))\
            \(header("Severity", .severity))\(header("Paused", nil))\(header("Since", .since))\(header("Response", nil))</tr></thead><tbody>

            """
        for row in rows {
            html += """
                <tr data-deployment="\(Piece.id(row.deployment))" data-incident="\(Piece.id(row.incident))" data-status="\(row.status.rawValue)">\
                <td>\(Piece.link("/web/deployments/\(row.deployment)", row.deployment.rawValue, question))<br><small>\(e(row.workload)), \
                \(row.criticality.rawValue)</small></td><td>\(Piece.link("/web/models/\(row.model)", row.model.rawValue, question))</td>\
                <td>\(Piece.id(row.provider))</td><td>\(Piece.id(row.vendor))</td>\
                <td>\(Piece.link("/web/incidents/\(row.incident)", row.incident.rawValue, question))</td><td>\(Piece.status(row.status))</td>\
                <td>\(row.severity.rawValue)</td><td>\(row.paused ? "paused" : "no")</td><td>\(e(row.since.readable))</td>\
                <td>\(Piece.response(row.response))</td></tr>

                """
        }
        if rows.isEmpty { html += "<tr><td colspan=\"10\">No current exposure.</td></tr>\n" }
        return html + "</tbody></table></section>"
    }

    /// A deployment's or a model's exposures.
    static func list(_ document: ExposureList, title: String, question: Question) -> String {
        let e = Markup.escape
        var html =
            "<h1>\(e(title))</h1>\n<table class=\"exposures\" id=\"exposures\"><caption>\(document.exposures.count) current exposure(s)</caption>"
            + "<thead><tr><th scope=\"col\">Deployment</th><th scope=\"col\">Organization</th><th scope=\"col\">Model</th>"
            + "<th scope=\"col\">Path</th><th scope=\"col\">Incident</th><th scope=\"col\">Status</th><th scope=\"col\">Since</th>"
            + "<th scope=\"col\">Response</th></tr></thead><tbody>\n"
        for row in document.exposures {
            html += """
                <tr data-deployment="\(Piece.id(row.deployment))" data-incident="\(Piece.id(row.incident))" data-status="\(row.status.rawValue)">\
                <td>\(Piece.link("/web/deployments/\(row.deployment)", row.deployment.rawValue, question))<br><small>\(e(row.workload))</small></td>\
                <td>\(Piece.link("/web/organizations/\(row.organization)", row.organization.rawValue, question))</td>\
                <td>\(Piece.link("/web/models/\(row.model)", row.model.rawValue, question))</td>\
                <td>\(Piece.id(row.vendor)) → \(Piece.id(row.provider))\(row.paused ? " (paused)" : "")</td>\
                <td>\(Piece.link("/web/incidents/\(row.incident)", row.incident.rawValue, question))</td><td>\(Piece.status(row.status))</td>\
                <td>\(e(row.since.readable))</td><td>\(Piece.response(row.response))</td></tr>

                """
        }
        if document.exposures.isEmpty { html += "<tr><td colspan=\"8\">No current exposure.</td></tr>\n" }
        return html + "</tbody></table>"
    }

    static func incident(_ report: IncidentReport, question: Question) -> String {
        let e = Markup.escape
        let incident = report.incident
        var html = "<h1>Incident \(e(incident.id.rawValue))</h1>\n<p>\(e(incident.summary))</p>\n<dl class=\"summary\">"
        html +=
            "<dt>Vendor</dt><dd>\(Piece.id(incident.vendor))</dd><dt>Severity</dt><dd>\(incident.severity.rawValue)</dd>"
        html += "<dt>Breach occurred</dt><dd>\(e(incident.occurredAt.readable))</dd>"
        html += "<dt>Disclosed</dt><dd>\(e(incident.disclosedAt?.readable ?? "not recorded"))</dd>"
        html +=
            "<dt>Data kinds</dt><dd>\(e(incident.dataKinds.isEmpty ? "unknown (every kind counts)" : incident.dataKinds.map(\.rawValue).joined(separator: ", ")))</dd>"
        html +=
            "<dt>Providers named</dt><dd>\(e(incident.providers.isEmpty ? "every client of the vendor" : incident.providers.map(\.rawValue).joined(separator: ", ")))</dd>"
        html +=
            "<dt>State</dt><dd>\(incident.retracted ? "retracted" : incident.resolved ? "resolved" : "open")</dd></dl>\n"
        html +=
            "<p>\(Piece.link("/web/incidents/\(incident.id)/postmortem", "The postmortem: timeline and exposure windows", question))</p>\n"
        html += "<section aria-labelledby=\"path-heading\"><h2 id=\"path-heading\">Its path to your deployments</h2>\n"
        html +=
            "<figure>\(report.picture)<figcaption>Vendor → providers → models → deployments, each deployment labelled with its "
            + "status; a dashed link is a provider that paused the vendor. The table below says the same.</figcaption></figure>\n"
        html +=
            "<table class=\"exposures\" id=\"paths\"><caption>Each path</caption><thead><tr><th scope=\"col\">Vendor</th>"
            + "<th scope=\"col\">Provider</th><th scope=\"col\">Model</th><th scope=\"col\">Deployment</th><th scope=\"col\">Organization</th>"
            + "<th scope=\"col\">Status</th><th scope=\"col\">Response</th></tr></thead><tbody>\n"
        for row in report.exposures {
            html += """
                <tr data-path="\(e("\(row.vendor)/\(row.provider)/\(row.model)/\(row.deployment)"))"><td>\(Piece.id(row.vendor))</td>\
                <td>\(Piece.id(row.provider))\(row.paused ? " (paused the vendor)" : "")</td>\
                <td>\(Piece.link("/web/models/\(row.model)", row.model.rawValue, question))</td>\
                <td>\(Piece.link("/web/deployments/\(row.deployment)", row.deployment.rawValue, question))</td>\
                <td>\(Piece.link("/web/organizations/\(row.organization)", row.organization.rawValue, question))</td>\
                <td>\(Piece.status(row.status))</td><td>\(Piece.response(row.response))</td></tr>

                """
        }
        if report.exposures.isEmpty {
            html += "<tr><td colspan=\"7\">No deployment you may see is reached.</td></tr>\n"
        }
        return html + "</tbody></table></section>"
    }

    /// The timeline is long for an incident with many findings: the page shows its first rows, the Markdown all.
    static let timelineRows = 500

    static func postmortem(_ postmortem: Postmortem, now: Timestamp, question: Question) -> String {
        let e = Markup.escape
        let id = postmortem.incident.rawValue
        var html =
            "<h1>Postmortem of \(e(id))</h1>\n<p>Breach at \(Piece.id(postmortem.vendor)), severity \(postmortem.severity.rawValue)"
            + (postmortem.retracted ? " (retracted: as known now it never happened)" : "")
            + ": \(e(postmortem.summary))</p>\n"
        html +=
            "<p><a href=\"\(e(WebPage.link("/web/incidents/\(id)/postmortem.md", question.fields)))\" download>Download the report (Markdown)</a> · "
            + Piece.link("/web/incidents/\(id)", "the incident", question) + "</p>\n"
        html +=
            "<dl class=\"summary\"><dt>Time to detect</dt><dd>\(Postmortem.duration(postmortem.timeToDetectSeconds))</dd>"
        if let disclose = postmortem.timeToDiscloseSeconds {
            html += "<dt>Time to disclose</dt><dd>\(Postmortem.duration(disclose))</dd>"
        }
        for pause in postmortem.pauses {
            html +=
                "<dt>Time to pause: \(Piece.id(pause.provider))</dt><dd>\(Postmortem.duration(pause.afterBreachSeconds))</dd>"
        }
        for item in postmortem.investigations {
            html +=
                "<dt>Investigation \(Piece.id(item.investigation)) (\(Piece.id(item.provider)))</dt><dd>opened after "
                + Postmortem.duration(item.toOpenSeconds)
                + (item.toCloseSeconds.map {
                    ", closed \(item.outcome?.rawValue ?? "") after \(Postmortem.duration($0))"
                } ?? ", open") + "</dd>"
        }
        html += "</dl>\n<section aria-labelledby=\"windows-heading\"><h2 id=\"windows-heading\">Exposure windows</h2>\n"
        html +=
            "<figure class=\"chart\">\(postmortem.chart(now: now))<figcaption>One bar per exposure window; a dashed bar is still "
            + "open. Numbered lines are the moments listed under the bars. The table below says the same.</figcaption></figure>\n"
        html +=
            "<table class=\"exposures\" id=\"windows\"><caption>\(postmortem.windows.count) window(s)</caption><thead><tr>"
            + "<th scope=\"col\">Deployment</th><th scope=\"col\">Organization</th><th scope=\"col\">Model</th><th scope=\"col\">Provider</th>"
            + "<th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\">Acknowledged after</th><th scope=\"col\">Mitigated after</th></tr></thead><tbody>\n"
        for window in postmortem.windows {
            html += """
                <tr data-deployment="\(Piece.id(window.deployment))" data-from="\(window.from)" data-to="\(window.to.map(\.description) ?? "open")">\
                <td>\(Piece.id(window.deployment))</td><td>\(Piece.id(window.organization))</td><td>\(Piece.id(window.model))</td>\
                <td>\(Piece.id(window.provider))</td><td>\(e(window.from.readable))</td><td>\(e(window.to?.readable ?? "still exposed"))</td>\
                <td>\(window.acknowledgedAfterSeconds.map(Postmortem.duration) ?? "–")</td><td>\(window.mitigatedAfterSeconds.map(Postmortem.duration) ?? "–")</td></tr>

                """
        }
        html +=
            "</tbody></table></section>\n<section aria-labelledby=\"timeline-heading\"><h2 id=\"timeline-heading\">Timeline</h2>\n"
        let shown = postmortem.timeline.prefix(timelineRows)
        html +=
            "<table class=\"timeline\"><caption>\(postmortem.timeline.count) step(s)"
            + (shown.count < postmortem.timeline.count
                ? ", the first \(shown.count) shown (the Markdown report has every one)" : "")
            + "</caption><thead><tr><th scope=\"col\">Occurred</th><th scope=\"col\">Recorded</th><th scope=\"col\">By</th>"
            + "<th scope=\"col\">Event</th><th scope=\"col\">Exposure</th></tr></thead><tbody>\n"
        for step in shown {
            let effects =
                (step.entered.isEmpty ? [] : ["entered: " + step.entered.map(\.rawValue).joined(separator: ", ")])
                + (step.left.isEmpty ? [] : ["left: " + step.left.map(\.rawValue).joined(separator: ", ")])
                + step.changed
            html +=
                "<tr><td>\(e(step.occurredAt.readable))</td><td>\(e(step.recordedAt.readable))</td><td>\(e(step.actor))</td>"
                + "<td>\(e(step.description))</td><td>\(e(effects.isEmpty ? "–" : effects.joined(separator: "; ")))</td></tr>\n"
        }
        return html + "</tbody></table></section>"
    }

    static func index(organizations: [(Slug, String)], incidents: IncidentList, question: Question) -> String {
        let e = Markup.escape
        var html = "<h1>Organizations</h1>\n<ul class=\"list\">"
        for (id, name) in organizations {
            html +=
                "<li>\(Piece.link("/web/organizations/\(id)", name, question)) <small>(\(Piece.id(id)))</small></li>"
        }
        html += "</ul>\n<h2>Incidents</h2>\n<ul class=\"list\">"
        for incident in incidents.incidents {
            html +=
                "<li>\(Piece.link("/web/incidents/\(incident.id)", incident.id.rawValue, question)): \(e(incident.summary)) "
                + "<small>(\(incident.severity.rawValue), \(incident.exposedDeployments) exposed deployment(s))</small></li>"
        }
        return html + "</ul>"
    }

    static func signIn(message: String?, next: String) -> String {
        let e = Markup.escape
        return """
            <h1>Sign in</h1>
            \(message.map { "<p class=\"notice\" role=\"alert\">\(e($0))</p>" } ?? "")
            <form method="post" action="/web/sign-in" class="sign-in">
            <label for="token">Access token</label>
            <input id="token" name="token" type="password" autocomplete="off" required spellcheck="false" size="60">
            <input type="hidden" name="next" value="\(e(next))">
            <button type="submit">Sign in</button>
            <p class="help">A token from <code>custody token create --org ORGANIZATION</code> (or <code>--admin</code>). The page \
            keeps a session cookie that names a session, never the token; revoking the token ends the session.</p>
            </form>
            """
    }

    static func problem(_ status: Int, _ detail: String) -> String {
        "<h1>\(status == 404 ? "Not found" : "Cannot show this page")</h1>\n<p>\(Markup.escape(detail))</p>\n<p><a href=\"/web\">Start again</a></p>"
    }
}
