import CustodyCore
import Foundation
import Yams

/// Reads an inventory file: YAML (`organization:` and a `deployments:` list), CSV (a header line
/// `organization,id,model,workload,criticality`) or a CycloneDX JSON BOM (one application; docs/cyclonedx.md).
/// Every mistake names the file and line, or the JSON pointer.
enum InventoryFile {
    /// What one file declares: an organization's deployments, or an application whose models are matched to
    /// registered ones once the supply chain is at hand.
    enum Declaration {
        case deployments(Inventory)
        case application(ApplicationBOM)
    }

    /// Reads every file (all mistakes of all files together) and settles the organization: `--org`, else the one
    /// the YAML and CSV files name; they may not disagree, and a BOM names none, so it needs `--org`.
    static func read(_ paths: [String], organization given: String?) throws(CustodyError) -> ([Declaration], Slug) {
        var organization = try given.map { text throws(CustodyError) in try Slug(text, what: "organization id") }
        var declarations: [Declaration] = []
        var problems = Problems()
        for path in paths {
            do throws(CustodyError) {
                let declaration = try read(path)
                if case .deployments(let inventory) = declaration {
                    let name = URL(fileURLWithPath: path).lastPathComponent
                    if let organization, organization != inventory.organization {
                        throw .conflict(
                            "\(name): organization '\(inventory.organization)', not '\(organization)'"
                                + (given == nil ? " (one organization for all files)" : " (--org)"))
                    }
                    organization = inventory.organization
                }
                declarations.append(declaration)
            } catch {
                problems.add(error)
            }
        }
        try problems.check()
        guard let organization else {
            throw .conflict("give --org: a CycloneDX BOM describes an application, not whose it is")
        }
        return (declarations, organization)
    }

    /// The organization's desired deployments: the files' union, a BOM's models matched to registered ones.
    static func inventory(of organization: Slug, _ declarations: [Declaration], in chain: SupplyChain)
        throws(CustodyError) -> Inventory
    {
        var deployments: [Inventory.Deployment] = []
        var problems = Problems()
        for declaration in declarations {
            switch declaration {
            case .deployments(let inventory): deployments += inventory.deployments
            case .application(let bom):
                do throws(CustodyError) { deployments += try bom.deployments(in: chain) } catch { problems.add(error) }
            }
        }
        try problems.check()
        return Inventory(organization: organization, deployments: deployments)
    }

    static func read(_ path: String) throws(CustodyError) -> Declaration {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .invalidValue(
                what: "inventory file", value: path, accepted: "a file, not a directory (give its files: DIR/*.json)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidValue(what: "inventory file", value: path, accepted: "a readable file")
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        if path.lowercased().hasSuffix(".json")
            || data.first(where: { !" \t\r\n".utf8.contains($0) }) == UInt8(ascii: "{")
        {
            let json: JSONValue
            do { json = try JSONParser.parse(data) } catch {
                throw .conflict("\(name): not valid JSON: \(error.message)")
            }
            guard ApplicationBOM.isBOM(json) else {
                throw .conflict("\(name): /bomFormat: missing; a JSON inventory is a CycloneDX BOM (docs/cyclonedx.md)")
            }
            return .application(try ApplicationBOM(json, file: name))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidValue(what: "inventory file", value: path, accepted: "UTF-8 text")
        }
        return .deployments(
            path.lowercased().hasSuffix(".csv") ? try csv(text, name: name) : try yaml(text, name: name))
    }

    static func yaml(_ text: String, name: String) throws(CustodyError) -> Inventory {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw .conflict("\(name): not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        func fail(_ node: Node?, _ message: String) -> CustodyError {
            .conflict("\(name):\(node?.mark?.line ?? 1): \(message)")
        }
        guard let root, let mapping = root.mapping else {
            throw fail(root, "expected a mapping with organization and deployments")
        }
        for key in mapping.keys where !["organization", "deployments"].contains(key.string ?? "") {
            throw fail(key, "unknown key '\(key.string ?? "")' (accepted: organization, deployments)")
        }
        guard let organizationNode = mapping["organization"], let organizationText = organizationNode.string else {
            throw fail(root, "missing organization")
        }
        let organization: Slug
        do { organization = try Slug(organizationText, what: "organization id") } catch {
            throw fail(organizationNode, error.message)
        }
        guard let list = mapping["deployments"] else {
            throw fail(root, "missing deployments (an empty list retires every deployment)")
        }
        guard let items = list.sequence else { throw fail(list, "deployments must be a list") }
        var deployments: [Inventory.Deployment] = []
        var problems = Problems()
        for item in items {
            do throws(CustodyError) {
                guard let fields = item.mapping else {
                    throw fail(item, "each deployment is a mapping of id, model, workload, criticality")
                }
                for key in fields.keys where !["id", "model", "workload", "criticality"].contains(key.string ?? "") {
                    throw fail(key, "unknown key '\(key.string ?? "")' (accepted: id, model, workload, criticality)")
                }
                func field(_ key: String) throws(CustodyError) -> String {
                    guard let value = fields[key]?.string, !value.isEmpty else { throw fail(item, "missing \(key)") }
                    return value
                }
                let line = item.mark?.line ?? 1
                do {
                    deployments.append(
                        Inventory.Deployment(
                            id: try Slug(try field("id"), what: "deployment id"),
                            model: try Slug(try field("model"), what: "model id"),
                            workload: try field("workload"),
                            criticality: try Criticality.parse(try field("criticality")),
                            source: .init(file: name, line: line)))
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
                deployments.append(
                    Inventory.Deployment(
                        id: try Slug(cells[1], what: "deployment id"), model: try Slug(cells[2], what: "model id"),
                        workload: cells[3], criticality: try Criticality.parse(cells[4]),
                        source: .init(file: name, line: line)))
            } catch {
                problems.add(.conflict("\(name):\(line): \(error.message)"))
            }
        }
        try problems.check()
        guard let organization else {
            throw .conflict("\(name): no deployments (a CSV inventory needs at least one row)")
        }
        return Inventory(organization: organization, deployments: deployments)
    }

    /// Deployments as the YAML `yaml(_:name:)` reads: every text JSON-quoted, which YAML reads as written.
    static func yaml(_ organization: Slug, _ deployed: [(key: Slug, value: ModelDeployed)]) -> String {
        func quoted(_ text: String) -> String { JSONValue.string(text).jsonbText }
        var text = "organization: \(organization)\ndeployments:" + (deployed.isEmpty ? " []\n" : "\n")
        for (id, deployment) in deployed {
            text +=
                "  - {id: \(id), model: \(deployment.model), workload: \(quoted(deployment.workload)), "
                + "criticality: \(deployment.criticality.rawValue)}\n"
        }
        return text
    }

    /// Deployments as the CSV `csv(_:name:)` reads; a workload it could not read back exactly is refused by name.
    static func csv(_ organization: Slug, _ deployed: [(key: Slug, value: ModelDeployed)]) throws(CustodyError)
        -> String
    {
        var text = "organization,id,model,workload,criticality\n"
        for (id, deployment) in deployed {
            let workload = deployment.workload
            guard !workload.contains(where: \.isNewline), workload.trimmingCharacters(in: .whitespaces) == workload
            else {
                throw .conflict(
                    "deployment '\(id)': its workload has a line break or edge spaces, which CSV cannot carry; use --format yaml"
                )
            }
            let cell =
                workload.contains(where: { $0 == "," || $0 == "\"" }) || workload.hasPrefix("\"")
                ? "\"" + workload.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : workload
            text += "\(organization),\(id),\(deployment.model),\(cell),\(deployment.criticality.rawValue)\n"
        }
        return text
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
                    if next == "\"" {
                        current.append("\"")
                    } else if next == "," {
                        quoted = false
                        fields.append(current)
                        current = ""
                    } else {
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
