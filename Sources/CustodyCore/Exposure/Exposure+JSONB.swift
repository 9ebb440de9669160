/// An exposure row's document written straight to jsonb's text, without the tree `EventCoding.value(of:)` builds:
/// the projector renders every row an event changes (thousands for a pause or a breach), and the tree and its key
/// sort were most of that cost. The text must be exactly `EventCoding.value(of: row).jsonbText`; a property test
/// holds the two to the same bytes, so a new field fails that test until it is written here too.
extension Exposure {
    public var jsonbText: String { jsonbText(withPause: true) }

    func jsonbText(withPause: Bool) -> String {
        var text = JSONBWriter(capacity: 320)
        // jsonb's key order: by byte length, then bytes.
        text.key("model", first: true); text.string(model.rawValue)
        text.key("since"); text.string(since.description)
        if withPause { text.key("paused"); text.bool(paused) }
        text.key("status"); text.string(status.rawValue)
        text.key("vendor"); text.string(vendor.rawValue)
        text.key("incident"); text.string(incident.rawValue)
        text.key("provider"); text.string(provider.rawValue)
        text.key("resolved"); text.bool(resolved)
        if let response {
            text.key("response")
            response.write(into: &text)
        }
        text.key("severity"); text.string(severity.rawValue)
        text.key("workload"); text.string(workload)
        text.key("dataKinds")
        text.output += "["
        for (index, kind) in dataKinds.enumerated() {
            if index > 0 { text.output += ", " }
            text.string(kind.rawValue)
        }
        text.output += "]"
        text.key("deployment"); text.string(deployment.rawValue)
        text.key("criticality"); text.string(criticality.rawValue)
        text.key("organization"); text.string(organization.rawValue)
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
        if let note { key("note"); text.string(note) }
        key("owner"); text.string(owner)
        key("scope"); text.string(scope)
        key("since"); text.string(since.description)
        key("state"); text.string(state.rawValue)
        if let reviewBy { key("reviewBy"); text.string(reviewBy.description) }
        if let justification { key("justification"); text.string(justification.rawValue) }
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
}
