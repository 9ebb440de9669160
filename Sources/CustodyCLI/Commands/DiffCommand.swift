import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Which exposures appeared, changed or disappeared between two moments.",
        discussion: """
            By default on the world clock (each moment as known now); --record-clock compares what the log \
            knew at each moment instead.
            Examples: custody diff --from 2026-03-20 --to 2026-04-02 --org state-university
                      custody diff --from 2026-04-01 --to 2026-04-30 --record-clock --json
            """)
    @Option(help: "The earlier moment.") var from: String
    @Option(help: "The later moment (default: now).") var to: String?
    @Option(help: "Only this organization's deployments.") var org: String?
    @Flag(name: .customLong("record-clock"), help: "Compare what was known at each moment.") var recordClock = false
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let now = Timestamp.now
        let (start, end, organization): (Timestamp, Timestamp, Slug?)
        do {
            start = try Timestamp(asking: from, what: "--from", now: now)
            end = try to.map { text throws(CustodyError) in try Timestamp(asking: text, what: "--to", now: now) } ?? now
            organization = try org.map { text throws(CustodyError) in try Slug(text, what: "organization id") }
        } catch {
            throw CommandFailure(message: error.message)
        }
        guard start <= end else { throw CommandFailure(message: "--from \(start) is after --to \(end)") }
        let record = recordClock
        let (before, after, known) = try await Runner.run(connection) { database in
            let store = EventStore(database)
            try await store.waitForHorizon()
            let events = try await store.foldFacts()
            var late = SupplyChain()
            late.apply(events)
            var early = late
            if record {
                early = SupplyChain()
                early.apply(events.filter { $0.wasKnown(at: start) })
                late = SupplyChain()
                late.apply(events.filter { $0.wasKnown(at: end) })
            }
            return (
                early.exposures(of: organization, at: start), late.exposures(of: organization, at: end),
                organization.map { late.organization($0) != nil } ?? true
            )
        }
        if let organization, !known {
            throw CommandFailure(message: CustodyError.unknown(what: "organization", id: organization.rawValue).message)
        }
        let keep = { (row: Exposure) in row.isCurrent && (organization == nil || row.organization == organization) }
        let diff = ExposureDiff(
            from: start, to: end, clock: record ? "record" : "world", before: before.filter(keep),
            after: after.filter(keep))
        if connection.json {
            print(try EventCoding.document(diff))
            return
        }
        print(
            "exposure changes from \(start) to \(end) (\(diff.clock) clock)" + (organization.map { " for \($0)" } ?? "")
        )
        if diff.appeared.isEmpty, diff.disappeared.isEmpty, diff.changed.isEmpty { print("  no changes") }
        for row in diff.appeared {
            print(
                "  + \(row.deployment) exposed to \(row.incident) via \(row.vendor) → \(row.provider): \(row.status.rawValue)"
            )
        }
        for change in diff.changed {
            let row = change.after
            print(
                "  ~ \(row.deployment) / \(row.incident): \(change.before.status.rawValue) → \(row.status.rawValue)"
                    + (change.before.paused != row.paused ? (row.paused ? ", now paused" : ", resumed") : ""))
        }
        for row in diff.disappeared { print("  - \(row.deployment) no longer exposed to \(row.incident)") }
    }
}
