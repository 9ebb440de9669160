import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "Keep an organization's deployments true from a file.",
        subcommands: [Apply.self, Export.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Declare an organization's deployments; record exactly what differs.",
            discussion: """
                Each FILE is one of:
                  YAML:
                    organization: state-university
                    deployments:
                      - {id: su-advising, model: gpt-5, workload: student advising, criticality: high}
                  CSV (a .csv file) with the header organization,id,model,workload,criticality
                  a CycloneDX 1.5/1.6 JSON BOM of one application (needs --org; docs/cyclonedx.md): \
                metadata.component is the deployment, each machine-learning-model component a model it runs
                The files together are the organization's deployments: new ids are deployed, missing ones \
                retired, a changed model is a switch, a changed workload or criticality an update, all in one \
                transaction. Applying the same files again records nothing.
                Examples: custody inventory apply deployments.yaml --dry-run
                          custody inventory apply --org mercy-hospital boms/*.cdx.json
                """)
        @Argument(help: "The inventory files (.yaml, .yml, .csv, or CycloneDX .json).") var files: [String]
        @Option(help: "The organization (required for CycloneDX BOMs; must match a YAML or CSV file's).") var org:
            String?
        @Flag(name: .customLong("dry-run"), help: "Show the plan; record nothing.") var dryRun = false
        @Option(help: "Who records the changes. Default: $CUSTODY_ACTOR, then $USER.") var actor: String?
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one inventory file") }
        }

        func run() async throws {
            let declarations: [InventoryFile.Declaration]
            let organization: Slug
            do throws(CustodyError) {
                (declarations, organization) = try InventoryFile.read(files, organization: org)
            } catch {
                throw CommandFailure(message: error.message)
            }
            let name = files.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")
            let metadata = EventMetadata(actor: RecordingOptions.actor(actor), source: "inventory")
            let dryRun = self.dryRun
            let plan = try await Runner.run(connection) { database in
                let store = EventStore(database)
                try await store.waitForHorizon()
                let now = Timestamp.now
                let chain = try await store.supplyChain()
                let inventory = try InventoryFile.inventory(of: organization, declarations, in: chain)
                let plan = try chain.plan(inventory, at: now, file: name)
                guard !dryRun, !plan.events.isEmpty else { return plan }
                // Checked against the streams the changes touch, then appended in one transaction.
                var streams: [StreamName] = []
                for event in plan.events {
                    for stream in [event.stream] + event.references where !streams.contains(stream) {
                        streams.append(stream)
                    }
                }
                var (registry, versions, _) = try await store.registry(for: streams, including: UUID())
                for event in plan.events {
                    try registry.check(event, at: now)
                    registry.apply(event, at: now)
                }
                var expecting: [StreamName: ExpectedVersion] = [:]
                for event in plan.events where expecting[event.stream] == nil {
                    let version = versions[event.stream] ?? 0
                    expecting[event.stream] = version == 0 ? .noStream : .exact(version)
                }
                // The streams only read (the organization, the models) must not move on before the append either.
                let read = Dictionary(streams.map { ($0, versions[$0] ?? 0) }, uniquingKeysWith: { first, _ in first })
                _ = try await store.append(
                    plan.events.map { ProposedEvent(id: UUID(), event: $0, metadata: metadata, occurredAt: now) },
                    expecting: expecting,
                    read: read)
                await store.notifyFollowers()
                return plan
            }
            if connection.json {
                let document = JSONValue.object([
                    "organization": .string(plan.organization.rawValue), "applied": .bool(!dryRun),
                    "changes": try EventCoding.value(of: plan.changes),
                ])
                print(document.jsonbText)
                return
            }
            guard !plan.changes.isEmpty else {
                print("\(plan.organization): the record already matches \(name); nothing to do")
                return
            }
            var table = Table(headers: ["ACTION", "DEPLOYMENT", "CHANGE", "WHERE"])
            for change in plan.changes {
                let place = change.file.map {
                    Inventory.Source(file: $0, line: change.line, pointer: change.pointer).description
                }
                table.rows.append([change.action, change.deployment.rawValue, change.detail, place ?? "-"])
            }
            print(table.text)
            print(
                dryRun
                    ? "dry run: nothing recorded (\(plan.changes.count) change(s) planned)"
                    : "recorded \(plan.events.count) event(s) for \(plan.organization)")
        }
    }
}

extension InventoryCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write an organization's active deployments as an inventory `apply` reads back.",
            discussion: """
                yaml and csv print one file (or write --output FILE); cyclonedx writes one CycloneDX 1.6 BOM per \\
                deployment, DEPLOYMENT.cdx.json, into the directory --output. Applying what was exported records \\
                nothing.
                Examples: custody inventory export --org mercy-hospital > mercy.yaml
                          custody inventory export --org mercy-hospital --format cyclonedx --output boms/
                          custody inventory apply --org mercy-hospital boms/*.cdx.json
                """)
        enum Format: String, ExpressibleByArgument, CaseIterable { case yaml, csv, cyclonedx }

        @Option(help: "The organization.") var org: String
        @Option(help: "yaml, csv or cyclonedx.") var format: Format = .yaml
        @Option(help: "A file (yaml, csv) or a directory (cyclonedx, required).") var output: String?
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            if format == .cyclonedx && output == nil {
                throw ValidationError("--format cyclonedx writes one BOM per deployment: give --output DIRECTORY")
            }
        }

        func run() async throws {
            let organization: Slug
            do { organization = try Slug(org, what: "organization id") } catch {
                throw CommandFailure(message: error.message)
            }
            let chain = try await Runner.run(connection) { database in
                let store = EventStore(database)
                try await store.waitForHorizon()
                return try await store.supplyChain()
            }
            guard chain.organization(organization) != nil else {
                throw CommandFailure(
                    message: CustodyError.unknown(what: "organization", id: organization.rawValue).message)
            }
            let deployed = chain.activeDeployments(at: .now).filter { $0.value.organization == organization }
                .sorted { $0.key < $1.key }
            switch format {
            case .yaml: try write(InventoryFile.yaml(organization, deployed))
            case .csv:
                do { try write(try InventoryFile.csv(organization, deployed)) } catch let error as CustodyError {
                    throw CommandFailure(message: error.message)
                }
            case .cyclonedx: try writeBOMs(organization, deployed, chain)
            }
        }

        /// What was written goes to standard error, so that standard output is only the document.
        private static func note(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

        private func write(_ text: String) throws {
            guard let output else { return print(text, terminator: "") }
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: output)) } catch {
                throw CommandFailure(message: "cannot write \(output): \(error.localizedDescription)")
            }
            Self.note("wrote \(output)")
        }

        private func writeBOMs(
            _ organization: Slug, _ deployed: [(key: Slug, value: ModelDeployed)], _ chain: SupplyChain
        ) throws {
            let directory = URL(fileURLWithPath: output ?? ".")
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                for (id, deployment) in deployed {
                    let bom = CycloneDX.applicationBOM(
                        organization: organization, deployment: id, running: deployment, in: chain)
                    try Data((bom.jsonbText + "\n").utf8).write(to: directory.appendingPathComponent("\(id).cdx.json"))
                }
            } catch {
                throw CommandFailure(message: "cannot write into \(directory.path): \(error.localizedDescription)")
            }
            let written = Set(deployed.map { "\($0.key).cdx.json" })
            let others = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                .filter { $0.hasSuffix(".cdx.json") && !written.contains($0) }.sorted()
            Self.note("wrote \(deployed.count) BOM(s) into \(directory.path)")
            if !others.isEmpty {
                // Applying the directory's every BOM would deploy these again: say so rather than delete them.
                Self.note(
                    "note: \(directory.path) also holds \(others.joined(separator: ", ")), not of \(organization)'s active deployments"
                )
            }
        }
    }
}
