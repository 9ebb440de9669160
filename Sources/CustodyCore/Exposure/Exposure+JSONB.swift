/// An exposure row's document written straight to jsonb's text, without the tree `EventCoding.value(of:)` builds:
/// the projector renders every row an event changes (thousands for a pause or a breach), and the tree and its key
/// sort were most of that cost. The text must be exactly `EventCoding.value(of: row).jsonbText`; a property test
/// holds the two to the same bytes, so a new field fails that test until it is written here too.
extension Exposure {
    /// The row's document as PostgreSQL's jsonb prints it.
    public var jsonbText: String { jsonbText(composed: true) }

    func jsonbText(composed: Bool) -> String {
        var text = JSONBWriter(capacity: 320)
        // jsonb's key order: by byte length, then bytes.
        text.key("model", first: true)
        text.string(model.rawValue)
        text.key("since")
        text.string(since.description)
        if composed {
            text.key("paused")
            text.bool(paused)
            text.key("status")
            text.string(status.rawValue)
        }
        text.key("vendor")
        text.string(vendor.rawValue)
        text.key("incident")
        text.string(incident.rawValue)
        text.key("provider")
        text.string(provider.rawValue)
        text.key("resolved")
        text.bool(resolved)
        if let response {
            text.key("response")
            response.write(into: &text)
        }
        text.key("severity")
        text.string(severity.rawValue)
        text.key("workload")
        text.string(workload)
        text.key("dataKinds")
        text.strings(dataKinds.map(\.rawValue))
        text.key("deployment")
        text.string(deployment.rawValue)
        text.key("criticality")
        text.string(criticality.rawValue)
        text.key("organization")
        text.string(organization.rawValue)
        text.output += "}"
        return text.output
    }
}

extension ExposureResponse {
    fileprivate func write(into text: inout JSONBWriter) {
        var first = true
        func key(_ name: String) {
            text.key(name, first: first)
            first = false
        }
        if let note {
            key("note")
            text.string(note)
        }
        key("owner")
        text.string(owner)
        key("scope")
        text.string(scope)
        key("since")
        text.string(since.description)
        key("state")
        text.string(state.rawValue)
        if let reviewBy {
            key("reviewBy")
            text.string(reviewBy.description)
        }
        if let justification {
            key("justification")
            text.string(justification.rawValue)
        }
        text.output += "}"
    }
}
extension OrganizationSummary {
    /// The summary as PostgreSQL's jsonb prints it: it is counted when read (statuses are composed at read time),
    /// so every organization listed renders one. A property test holds it to the encoded tree's text.
    public var jsonbText: String {
        var text = JSONBWriter(capacity: 320)
        write(into: &text)
        return text.output
    }

    fileprivate func write(into text: inout JSONBWriter) {
        text.key("vendors", first: true)
        text.strings(vendors.map(\.rawValue))
        text.key("providers")
        text.strings(providers.map(\.rawValue))
        text.key("statusCounts")
        // jsonb's key order: by byte length, then bytes.
        for (index, status) in statusCounts.keys.sorted(by: { ($0.utf8.count, $0) < ($1.utf8.count, $1) }).enumerated()
        {
            text.key(status, first: index == 0)
            text.output += String(statusCounts[status] ?? 0)
        }
        text.output += statusCounts.isEmpty ? "{}" : "}"
        text.key("needsResponse")
        text.output += String(needsResponse)
        text.key("singleProvider")
        text.bool(singleProvider)
        if let highestSeverity {
            text.key("highestSeverity")
            text.string(highestSeverity.rawValue)
        }
        text.key("openWeightShare")
        text.number(openWeightShare)
        if let oldestUnanswered {
            text.key("oldestUnanswered")
            text.string(oldestUnanswered.description)
        }
        text.key("activeDeployments")
        text.output += String(activeDeployments)
        text.key("exposedDeployments")
        text.output += String(exposedDeployments)
        text.output += "}"
    }
}

/// Appends jsonb's separators and escapes (`JSONValue.writeString`) to one string.
private struct JSONBWriter {
    var output = ""

    init(capacity: Int) { output.reserveCapacity(capacity) }

    /// Opens the object before its first key.
    mutating func key(_ name: String, first: Bool = false) {
        output += first ? "{\"" : ", \""
        output += name
        output += "\": "
    }

    mutating func string(_ value: String) { JSONValue.writeString(value, into: &output) }

    mutating func bool(_ value: Bool) { output += value ? "true" : "false" }

    mutating func strings(_ values: [String]) {
        output += "["
        for (index, value) in values.enumerated() {
            if index > 0 { output += ", " }
            string(value)
        }
        output += "]"
    }

    /// As the tree encoder writes a Double: whole numbers as integers.
    mutating func number(_ value: Double) {
        if value == value.rounded(), let exact = Int64(exactly: value) {
            output += String(exact)
        } else {
            output += String(value)
        }
    }
}
