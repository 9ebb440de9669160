import CustodyCore
import Foundation
import Yams

/// Reads an inventory file: YAML (`organization:` and a `deployments:` list) or CSV (a header line
/// `organization,id,model,workload,criticality`). Every mistake names the file and line.
enum InventoryFile {
    static func read(_ path: String) throws(CustodyError) -> Inventory {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidValue(what: "inventory file", value: path, accepted: "a readable file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidValue(what: "inventory file", value: path, accepted: "UTF-8 text")
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        return path.lowercased().hasSuffix(".csv") ? try csv(text, name: name) : try yaml(text, name: name)
    }

    static func yaml(_ text: String, name: String) throws(CustodyError) -> Inventory {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw .conflict("\(name): not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        func fail(_ node: Node?, _ message: String) -> CustodyError {
            .conflict("\(name):\(node?.mark?.line ?? 1): \(message)")
        }
        guard let root, let mapping = root.mapping else { throw fail(root, "expected a mapping with organization and deployments") }
        for key in mapping.keys where !["organization", "deployments"].contains(key.string ?? "") {
            throw fail(key, "unknown key '\(key.string ?? "")' (accepted: organization, deployments)")
        }
        guard let organizationNode = mapping["organization"], let organizationText = organizationNode.string else {
            throw fail(root, "missing organization")
        }
        let organization: Slug
        do { organization = try Slug(organizationText, what: "organization id") } catch { throw fail(organizationNode, error.message) }
        guard let list = mapping["deployments"] else { throw fail(root, "missing deployments (an empty list retires every deployment)") }
        guard let items = list.sequence else { throw fail(list, "deployments must be a list") }
        var deployments: [Inventory.Deployment] = []
        var problems = Problems()
        for item in items {
            do throws(CustodyError) {
                guard let fields = item.mapping else { throw fail(item, "each deployment is a mapping of id, model, workload, criticality") }
                for key in fields.keys where !["id", "model", "workload", "criticality"].contains(key.string ?? "") {
                    throw fail(key, "unknown key '\(key.string ?? "")' (accepted: id, model, workload, criticality)")
                }
                func field(_ key: String) throws(CustodyError) -> String {
                    guard let value = fields[key]?.string, !value.isEmpty else { throw fail(item, "missing \(key)") }
                    return value
                }
                let line = item.mark?.line ?? 1
                do {
                    deployments.append(Inventory.Deployment(
                        id: try Slug(try field("id"), what: "deployment id"), model: try Slug(try field("model"), what: "model id"),
                        workload: try field("workload"), criticality: try Criticality.parse(try field("criticality")), line: line))
                } catch {
                    throw error.message.hasPrefix(name) ? error : .conflict("\(name):\(line): \(error.message)")
                }
            } catch {
                problems.add(error)
            }
        }
        try problems.check()
        return Inventory(organization: organization, deployments: deployments)
    }

    static func csv(_ text: String, name: String) throws(CustodyError) -> Inventory {
        let header = ["organization", "id", "model", "workload", "criticality"]
        var organization: Slug?
        var deployments: [Inventory.Deployment] = []
        var problems = Problems()
        var sawHeader = false
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let record = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if record.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let cells = try fields(record, at: "\(name):\(line)")
            if !sawHeader {
                guard cells.map({ $0.lowercased() }) == header else {
                    throw .conflict("\(name):\(line): the header must be \(header.joined(separator: ","))")
                }
                sawHeader = true
                continue
            }
            guard cells.count == header.count else {
                problems.add(.conflict("\(name):\(line): expected \(header.count) fields, found \(cells.count)"))
                continue
            }
            do throws(CustodyError) {
                let owner = try Slug(cells[0], what: "organization id")
                if let organization, organization != owner {
                    throw CustodyError.conflict("one organization per file: '\(organization)', then '\(owner)'")
                }
                organization = owner
                deployments.append(Inventory.Deployment(
                    id: try Slug(cells[1], what: "deployment id"), model: try Slug(cells[2], what: "model id"),
                    workload: cells[3], criticality: try Criticality.parse(cells[4]), line: line))
            } catch {
                problems.add(.conflict("\(name):\(line): \(error.message)"))
            }
        }
        try problems.check()
        guard let organization else { throw .conflict("\(name): no deployments (a CSV inventory needs at least one row)") }
        return Inventory(organization: organization, deployments: deployments)
    }

    /// One CSV record's fields: commas separate, double quotes enclose (a doubled quote is a quote).
    static func fields(_ record: String, at place: String) throws(CustodyError) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = Array(record).makeIterator()
        while let character = iterator.next() {
            switch (character, quoted) {
            case ("\"", false) where current.isEmpty: quoted = true
            case ("\"", true):
                if let next = iterator.next() {
                    if next == "\"" { current.append("\"") } else if next == "," { quoted = false; fields.append(current); current = "" } else {
                        throw .conflict("\(place): text after a closing quote")
                    }
                } else {
                    quoted = false
                }
            case (",", false):
                fields.append(current)
                current = ""
            default: current.append(character)
            }
        }
        if quoted { throw .conflict("\(place): unterminated quote") }
        fields.append(current)
        return fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// Every mistake of a file, not only the first: a user fixes them in one pass. Each names its file and line.
struct Problems {
    private var messages: [String] = []
    /// As many as fit the 400 characters an error message is cut to.
    static let shown = 4

    mutating func add(_ error: CustodyError) { messages.append(error.message) }

    func check() throws(CustodyError) {
        guard !messages.isEmpty else { return }
        let more = messages.count > Self.shown ? ["… and \(messages.count - Self.shown) more"] : []
        throw .conflict((messages.prefix(Self.shown) + more).joined(separator: "\n"))
    }
}
