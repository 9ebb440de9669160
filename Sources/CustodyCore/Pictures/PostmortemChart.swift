/// The postmortem as a picture: one bar per exposure window on a time axis from the breach, the timeline's steps
/// as ticks, and the moments that measure the response (detected, disclosed, each pause, each investigation's
/// close) as marked lines. The same SVG in the web page and from `custody postmortem I --svg`; the windows table
/// and the Markdown report say the same in words.
extension Postmortem {
    /// The exposure windows as an SVG timeline chart (open windows drawn up to `now`).
    public func chart(now: Timestamp) -> String {
        let width = 960.0
        let left = 250.0
        let right = 30.0
        let top = 64.0
        let row = 26.0
        let plot = width - left - right
        let start = occurredAt.microseconds
        let ends = windows.compactMap(\.to) + timeline.map(\.occurredAt) + [now]
        let end = max(ends.map(\.microseconds).max() ?? start, start + 86_400_000_000)
        func x(_ time: Timestamp) -> Double {
            left + Double(min(max(time.microseconds, start), end) - start) / Double(end - start) * plot
        }
        func f(_ value: Double) -> String { String(Int(value.rounded())) }
        let moments = self.moments
        let height = top + Double(max(windows.count, 1)) * row + 40 + Double(moments.count) * 18
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="postmortem-chart" viewBox="0 0 \(f(width)) \(f(height))" \
            width="\(f(width))" height="\(f(height))" role="img" aria-labelledby="chart-title chart-desc" \
            font-family="system-ui, sans-serif" font-size="12">
            <title id="chart-title">Exposure windows of \(Markup.escape(incident.rawValue))</title>
            <desc id="chart-desc">\(Markup.escape(description(now: now)))</desc>
            <rect x="0" y="0" width="\(f(width))" height="\(f(height))" fill="#ffffff"/>

            """
        // The axis: five dates from the breach to the end.
        for index in 0...4 {
            let time = Timestamp(microseconds: start + (end - start) * Int64(index) / 4)
            let at = x(time)
            svg +=
                "<line x1=\"\(f(at))\" y1=\"\(f(top - 14))\" x2=\"\(f(at))\" y2=\"\(f(top + Double(windows.count) * row))\" stroke=\"#d0d0d0\"/>"
            let anchor = index == 0 ? "start" : index == 4 ? "end" : "middle"
            svg +=
                "<text x=\"\(f(at))\" y=\"\(f(top - 18))\" text-anchor=\"\(anchor)\" fill=\"#333333\">\(time.description.prefix(10))</text>\n"
        }
        // The steps as ticks, one per pixel at most: a timeline may hold a hundred thousand findings.
        var ticked = Set<Int>()
        for step in timeline where ticked.insert(Int(x(step.occurredAt))).inserted {
            svg +=
                "<line class=\"step\" x1=\"\(f(x(step.occurredAt)))\" y1=\"\(f(top - 10))\" x2=\"\(f(x(step.occurredAt)))\" y2=\"\(f(top - 4))\" stroke=\"#555555\"/>"
        }
        svg += "\n"
        for (index, window) in windows.enumerated() {
            let y = top + Double(index) * row
            let from = x(window.from)
            let to = x(window.to ?? now)
            let label = "\(window.deployment) (\(window.organization))"
            let until = window.to.map(\.description) ?? "still exposed"
            svg += """
                <g class="window" data-deployment="\(Markup.escape(window.deployment.rawValue))" \
                data-organization="\(Markup.escape(window.organization.rawValue))" data-from="\(window.from)" \
                data-to="\(window.to.map(\.description) ?? "open")">\
                <title>\(Markup.escape("\(label): \(window.model) via \(window.provider), \(window.from) to \(until)"))</title>\
                <text x="\(f(left - 8))" y="\(f(y + 13))" text-anchor="end" fill="#1a1a1a">\(Markup.escape(label))</text>\
                <rect x="\(f(from))" y="\(f(y + 2))" width="\(f(max(to - from, 2)))" height="16" rx="3" fill="#f9d3d3" \
                stroke="#9b1c1c"\(window.to == nil ? " stroke-dasharray=\"4 3\"" : "")/>\
                \(window.to == nil ? "<text x=\"\(f(min(to + 4, width - 4)))\" y=\"\(f(y + 14))\" text-anchor=\"end\" fill=\"#1a1a1a\" font-size=\"10\">open</text>" : "")\
                </g>

                """
        }
        if windows.isEmpty {
            svg += "<text x=\"\(f(left))\" y=\"\(f(top + 14))\" fill=\"#1a1a1a\">no deployment was exposed</text>\n"
        }
        // The measured moments: a marked line each, named in the key below the bars.
        let key = top + Double(max(windows.count, 1)) * row + 24
        for (index, moment) in moments.enumerated() {
            let at = x(moment.time)
            svg += """
                <g class="moment" data-kind="\(moment.kind)" data-at="\(moment.time)"><title>\(Markup.escape(moment.text))</title>\
                <line x1="\(f(at))" y1="\(f(top - 14))" x2="\(f(at))" y2="\(f(top + Double(windows.count) * row))" stroke="#1f3f8f" \
                stroke-width="1.5" stroke-dasharray="2 2"/>\
                <text x="\(f(at + 2))" y="\(f(top - 30))" fill="#1f3f8f" font-size="10">\(index + 1)</text>\
                <text x="\(f(left))" y="\(f(key + Double(index) * 18))" fill="#1a1a1a">\(index + 1). \(Markup.escape(moment.text))</text></g>

                """
        }
        return svg + "</svg>\n"
    }

    /// A moment that measures the response: when it happened, and what it measures in words.
    struct Moment {
        var kind: String
        var time: Timestamp
        var text: String
    }

    var moments: [Moment] {
        var moments = [
            Moment(
                kind: "detected",
                time: Timestamp(microseconds: occurredAt.microseconds + timeToDetectSeconds * 1_000_000),
                text: "detected (first recorded) after \(Self.duration(timeToDetectSeconds))")
        ]
        if let disclosedAt, let seconds = timeToDiscloseSeconds {
            moments.append(
                Moment(kind: "disclosed", time: disclosedAt, text: "disclosed after \(Self.duration(seconds))"))
        }
        for pause in pauses {
            moments.append(
                Moment(
                    kind: "paused", time: pause.pausedAt,
                    text: "\(pause.provider) paused the vendor after \(Self.duration(pause.afterBreachSeconds))"))
        }
        for item in investigations {
            if let closed = item.closedAt, let seconds = item.toCloseSeconds {
                moments.append(
                    Moment(
                        kind: "closed", time: closed,
                        text:
                            "\(item.provider)'s investigation closed \(item.outcome?.rawValue ?? "") after \(Self.duration(seconds))"
                    ))
            }
        }
        return moments.sorted { $0.time < $1.time }
    }

    /// The picture in words, for readers that cannot see it.
    func description(now: Timestamp) -> String {
        let open = windows.filter { $0.to == nil }.count
        return
            "Breach of \(vendor) at \(occurredAt); \(windows.count) exposure window(s), \(open) still open at \(now). "
            + moments.map(\.text).joined(separator: "; ") + "."
    }
}
