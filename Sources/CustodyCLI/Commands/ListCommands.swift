import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

/// `custody vendors`, `providers`, `models`, `organizations`, `deployments` and `show`: the registry as the log
/// knows it now, as a table or (--json) as a list of entries.
enum Listing {
    static func chain(_ connection: ConnectionOptions) async throws -> SupplyChain {
        try await Runner.run(connection) { database in
            let store = EventStore(database)
            try await store.waitForHorizon()
            return try await store.supplyChain()
        }
    }

    static func print<Entry: Encodable>(
        _ entries: [Entry], key: String, json: Bool, headers: [String], row: (Entry) -> [String]
    ) throws {
        if json {
            Swift.print(try EventCoding.value(of: [key: entries]).jsonbText)
            return
        }
        guard !entries.isEmpty else { return Swift.print("no \(key)") }
        var table = Table(headers: headers)
        table.rows = entries.map(row)
        Swift.print(table.text)
    }

    /// The log folded as of now and the `--org` the command was given, refused when it is not a registered
    /// organization.
    static func chain(_ connection: ConnectionOptions, organization text: String?) async throws -> (SupplyChain, Slug?)
    {
        let organization = try Self.organization(text)
        let chain = try await chain(connection)
        if let organization, chain.organization(organization) == nil {
            throw CommandFailure(message: CustodyError.unknown(what: "organization", id: organization.rawValue).message)
        }
        return (chain, organization)
    }

    /// An `--org` value, refused when it is not a valid id.
    static func organization(_ text: String?) throws -> Slug? {
        do { return try text.map { text throws(CustodyError) in try Slug(text, what: "organization id") } } catch {
            throw CommandFailure(message: error.message)
        }
    }

    static func names(_ ids: [Slug]) -> String { ids.isEmpty ? "-" : ids.map(\.rawValue).joined(separator: ", ") }
}

struct Vendors: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vendors", abstract: "List vendors and the providers they supply.")
    @OptionGroup var connection: ConnectionOptions
    func run() async throws {
        try Listing.print(
            try await Listing.chain(connection).vendorEntries(), key: "vendors", json: connection.json,
            headers: ["VENDOR", "NAME", "SUPPLIES"]
        ) { [$0.id.rawValue, $0.name, Listing.names($0.providers)] }
    }
}

struct Providers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "providers", abstract: "List providers, their models and their vendors.")
    @OptionGroup var connection: ConnectionOptions
    func run() async throws {
        try Listing.print(
            try await Listing.chain(connection).providerEntries(), key: "providers", json: connection.json,
            headers: ["PROVIDER", "NAME", "MODELS", "VENDORS"]
        ) {
            [$0.id.rawValue, $0.name, Listing.names($0.models), Listing.names($0.vendors)]
        }
    }
}

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "List models and how many active deployments run each.")
    @OptionGroup var connection: ConnectionOptions
    func run() async throws {
        try Listing.print(
            try await Listing.chain(connection).modelEntries(at: .now), key: "models", json: connection.json,
            headers: ["MODEL", "NAME", "PROVIDER", "OPEN WEIGHTS", "DEPLOYMENTS"]
        ) {
            [$0.id.rawValue, $0.name, $0.provider.rawValue, $0.openWeights ? "yes" : "no", "\($0.activeDeployments)"]
        }
    }
}

struct Organizations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "organizations", abstract: "List organizations and their active deployments.")
    @OptionGroup var connection: ConnectionOptions
    func run() async throws {
        try Listing.print(
            try await Listing.chain(connection).organizationEntries(at: .now), key: "organizations",
            json: connection.json,
            headers: ["ORGANIZATION", "NAME", "SECTOR", "DEPLOYMENTS"]
        ) {
            [$0.id.rawValue, $0.name, $0.sector, "\($0.activeDeployments)"]
        }
    }
}

struct Deployments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployments",
        abstract: "List deployments (retired ones marked), of one organization with --org.",
        discussion: "Example: custody deployments --org state-university --json")
    @Option(help: "Only this organization's deployments.") var org: String?
    @OptionGroup var connection: ConnectionOptions
    func run() async throws {
        let organization = try Listing.organization(org)
        // From the read model when it is current; otherwise from the fold of the log, which gives the same entries.
        let stored = try await Runner.run(connection, schema: .byBody, sequential: true) {
            database -> [DeploymentEntry]?? in
            guard try await ExposureProjection.behind(database) == nil else { return .none }
            return .some(try await ExposureProjection.deployments(database, of: organization))
        }
        let entries: [DeploymentEntry]
        switch stored {
        case .some(let found?): entries = found
        case .some(nil):
            throw CommandFailure(message: CustodyError.unknown(what: "organization", id: org ?? "").message)
        case .none:
            let (chain, _) = try await Listing.chain(connection, organization: org)
            entries = chain.deploymentEntries(at: .now, organization: organization)
        }
        try Listing.print(
            entries, key: "deployments", json: connection.json,
            headers: ["DEPLOYMENT", "ORGANIZATION", "MODEL", "CRITICALITY", "STATE", "WORKLOAD"]
        ) {
            [
                $0.id.rawValue, $0.organization.rawValue, $0.model.rawValue, $0.criticality.rawValue,
                $0.active ? "active" : "retired", $0.workload,
            ]
        }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one registry entry: vendor, provider, model, organization or deployment.",
        discussion: "Example: custody show model gpt-5 --json")
    @Argument(help: "vendor, provider, model, organization or deployment.") var kind: String
    @Argument(help: "The id.") var id: String
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard ["vendor", "provider", "model", "organization", "deployment"].contains(kind) else {
            throw ValidationError("KIND must be vendor, provider, model, organization or deployment")
        }
    }

    func run() async throws {
        let slug: Slug
        do { slug = try Slug(id, what: "\(kind) id") } catch { throw CommandFailure(message: error.message) }
        let chain = try await Listing.chain(connection)
        let entry: JSONValue?
        switch kind {
        case "vendor": entry = try chain.vendorEntries().first { $0.id == slug }.map(EventCoding.value(of:))
        case "provider": entry = try chain.providerEntries().first { $0.id == slug }.map(EventCoding.value(of:))
        case "model": entry = try chain.modelEntries(at: .now).first { $0.id == slug }.map(EventCoding.value(of:))
        case "organization":
            entry = try chain.organizationEntries(at: .now).first { $0.id == slug }.map(EventCoding.value(of:))
        default: entry = try chain.deploymentEntries(at: .now).first { $0.id == slug }.map(EventCoding.value(of:))
        }
        guard let entry, case .object(let members) = entry else {
            throw CommandFailure(message: CustodyError.unknown(what: kind, id: slug.rawValue).message)
        }
        if connection.json { return print(entry.jsonbText) }
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            let text: String
            switch value {
            case .string(let string): text = string
            case .array(let items):
                text = items.map { if case .string(let s) = $0 { s } else { $0.jsonbText } }.joined(separator: ", ")
            default: text = value.jsonbText
            }
            print("\(key): \(text.isEmpty ? "-" : text)")
        }
    }
}
