// The postmortem as a Markdown report (`custody postmortem`, the web page's download).

extension Postmortem {
    /// How the timeline and the windows read corrections, stated in the report itself.
    static let rule = """
        Each step shows what the log, as known now, says was true at that moment, with one exception: a correction \
        (a scope revision, a retraction, a supply link recorded by mistake) shows at the step that made it, because \
        that is when it was believed. A window opens at the step where its deployment entered and closes at the step \
        where it left, so both tables give the same dates (`custody exposure` dates a corrected row from the breach).
        """

    /// The report as Markdown: the intervals, the timeline with who entered or left exposure at each step, the
    /// windows, and the rule by which corrections are read.
    public var markdown: String {
        String(decoding: Array(markdown(timelineRows: [Self.rows(of: timeline[...])]).joined()), as: UTF8.self)
    }

    /// The postmortem of `incident` and its Markdown as UTF-8 pieces, in order, for a caller that writes them out
    /// as they are. The timeline's rows are written on the other cores while the timeline is still being walked
    /// (the walk is one core's work): 127,000 steps written after it took a tenth of a postmortem's time, and
    /// joining a 20 MB report's pieces into one string 6 % of its CPU. Nil for an unknown incident.
    public static func markdown(of incident: Slug, facts: Facts, now: Timestamp) async -> (Postmortem, [[UInt8]])? {
        await markdown(of: incident, facts: facts, now: now, part: 8192)
    }

    /// The same, the rows written `part` steps at a time.
    static func markdown(of incident: Slug, facts: Facts, now: Timestamp, part: Int) async -> (Postmortem, [[UInt8]])? {
        var writing: [Task<[UInt8], Never>] = []
        let walked = (
            part: max(1, part), handOver: { (steps: [Step]) in writing.append(Task { Self.rows(of: steps[...]) }) }
        )
        guard let postmortem = of(incident, facts: facts, now: now, everyStep: false, walked: walked) else {
            return nil
        }
        var rows: [[UInt8]] = []
        for part in writing { rows.append(await part.value) }
        return (postmortem, postmortem.markdown(timelineRows: rows))
    }

    /// The report around its timeline's rows, given in parts (UTF-8, each line ending in a newline): the heading
    /// and intervals, the rows, the windows.
    private func markdown(timelineRows parts: [[UInt8]]) -> [[UInt8]] {
        var lines = [
            "# Postmortem: \(incident)", "",
            "Breach at **\(vendor)**, severity **\(severity.rawValue)**\(retracted ? " (RETRACTED: as known now it never happened)" : ""): \(summary)",
            "",
            "| interval | value |", "|---|---|",
            "| breach occurred | \(occurredAt) |",
            "| time to detect (first recorded − occurred) | \(Self.duration(timeToDetectSeconds)) |",
        ]
        if let disclosedAt, let timeToDiscloseSeconds {
            lines.append("| time to disclose (\(disclosedAt)) | \(Self.duration(timeToDiscloseSeconds)) |")
        }
        for pause in pauses {
            lines.append("| time to pause: \(pause.provider) | \(Self.duration(pause.afterBreachSeconds)) |")
        }
        for item in investigations {
            lines.append(
                "| investigation \(item.investigation) (\(item.provider)): opened after | \(Self.duration(item.toOpenSeconds)) |"
            )
            if let toClose = item.toCloseSeconds, let outcome = item.outcome {
                lines.append(
                    "| investigation \(item.investigation): closed \(outcome.rawValue) after | \(Self.duration(toClose)) |"
                )
            }
        }
        lines += [
            "", "## Timeline", "", Self.rule, "", "| occurred | recorded | by | event | exposure |",
            "|---|---|---|---|---|",
        ]
        let head = Array((lines.joined(separator: "\n") + "\n").utf8)
        lines = [
            "", "## Exposure windows", "",
            "| deployment | organization | model | provider | from | to | acknowledged after | mitigated after |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for window in windows {
            let acknowledged = window.acknowledgedAfterSeconds.map(Self.duration) ?? "–"
            let mitigated = window.mitigatedAfterSeconds.map(Self.duration) ?? "–"
            lines.append(
                "| \(window.deployment) | \(window.organization) | \(window.model) | \(window.provider) | \(window.from) | "
                    + "\(window.to.map(\.description) ?? "still exposed") | \(acknowledged) | \(mitigated) |")
        }
        if windows.isEmpty { lines.append("| – | | | | | | | |") }
        return [head] + parts + [Array((lines.joined(separator: "\n") + "\n").utf8)]
    }

    /// The timeline's rows, each line ending in a newline, as UTF-8. Written into one buffer as they go, times
    /// digit by digit: a timeline can run to 100,000 steps, and a string per line and per time, joined, took twice
    /// as long.
    static func rows(of steps: ArraySlice<Step>) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(steps.count * 160)
        func add(_ part: String) { text.append(contentsOf: part.utf8) }
        for step in steps {
            add("| ")
            step.occurredAt.appendDescription(to: &text)
            add(" | ")
            step.recordedAt.appendDescription(to: &text)
            add(" | ")
            add(step.actor)
            add(" | ")
            add(cell(step.description))
            add(" | ")
            var separator = ""
            func list(_ label: String, _ ids: [Slug]) {
                guard !ids.isEmpty else { return }
                add(separator)
                add(label)
                for (index, id) in ids.enumerated() {
                    if index > 0 { add(", ") }
                    add(id.rawValue)
                }
                separator = "; "
            }
            list("entered: ", step.entered)
            list("left: ", step.left)
            for note in step.changed {
                add(separator)
                add(note)
                separator = "; "
            }
            if separator.isEmpty { add("–") }
            add(" |\n")
        }
        return text
    }

    static func cell(_ text: String) -> String {
        // Most cells need no escape: skip Foundation's search for them (a timeline can run to 100,000 rows).
        let plain =
            text.utf8.withContiguousStorageIfAvailable { bytes in
                !bytes.contains { $0 == UInt8(ascii: "|") || $0 == UInt8(ascii: "\n") }
            } ?? false
        guard !plain else { return text }
        return text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// "3d 4h", "2h 5m", "45s".
    public static func duration(_ seconds: Int64) -> String {
        let sign = seconds < 0 ? "-" : ""
        let s = abs(seconds)
        if s >= 86_400 { return "\(sign)\(s / 86_400)d \(s % 86_400 / 3600)h" }
        if s >= 3600 { return "\(sign)\(s / 3600)h \(s % 3600 / 60)m" }
        if s >= 60 { return "\(sign)\(s / 60)m \(s % 60)s" }
        return "\(sign)\(s)s"
    }
}
