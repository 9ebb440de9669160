import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "Keep an organization's deployments true from a file.", subcommands: [Apply.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Declare an organization's deployments; record exactly what differs.",
            discussion: """
                YAML:
                  organization: state-university
                  deployments:
                    - {id: su-advising, model: gpt-5, workload: student advising, criticality: high}
                or CSV (a .csv file) with the header organization,id,model,workload,criticality.
                New ids are deployed, missing ones retired, a changed model is a switch, a changed workload or \
                criticality an update, all in one transaction. Applying the same file again records nothing.
                Example: custody inventory apply deployments.yaml --dry-run
                """)
        @Argument(help: "The inventory file (.yaml, .yml or .csv).") var file: String
        @Flag(name: .customLong("dry-run"), help: "Show the plan; record nothing.") var dryRun = false
        @Option(help: "Who records the changes. Default: $CUSTODY_ACTOR, then $USER.") var actor: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let inventory: Inventory
            do { inventory = try InventoryFile.read(file) } catch { throw CommandFailure(message: error.message) }
            let name = URL(fileURLWithPath: file).lastPathComponent
            let environment = ProcessInfo.processInfo.environment
            let metadata = EventMetadata(actor: RecordingOptions.actor(actor), source: "inventory")
            let dryRun = self.dryRun
            let plan = try await Runner.run(connection) { database in
                let store = EventStore(database)
                try await store.waitForHorizon()
                let now = Timestamp.now
                let plan = try await store.supplyChain().plan(inventory, at: now, file: name)
                guard !dryRun, !plan.events.isEmpty else { return plan }
                // Checked against the streams the changes touch, then appended in one transaction.
                var streams: [StreamName] = []
                for event in plan.events {
                    for stream in [event.stream] + event.references where !streams.contains(stream) { streams.append(stream) }
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
                    plan.events.map { ProposedEvent(id: UUID(), event: $0, metadata: metadata, occurredAt: now) }, expecting: expecting,
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
            var table = Table(headers: ["ACTION", "DEPLOYMENT", "CHANGE", "LINE"])
            for change in plan.changes {
                table.rows.append([change.action, change.deployment.rawValue, change.detail, change.line.map(String.init) ?? "-"])
            }
            print(table.text)
            print(dryRun ? "dry run: nothing recorded (\(plan.changes.count) change(s) planned)" : "recorded \(plan.events.count) event(s) for \(plan.organization)")
        }
    }
}
