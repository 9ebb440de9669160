import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct VEXCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vex",
        abstract: "An organization's exposure as a CycloneDX 1.6 VEX document (for Dependency-Track and the like).",
        discussion: """
            The organization's deployed models are the components; each incident that reaches them is a \
            vulnerability whose analysis is the organization's response (or, unanswered, what the exposure's \
            status says). docs/cyclonedx.md has the mapping. The same document is served at \
            GET /v1/organizations/ID/vex.
              --as-of T     the world as it was at T, as known now
              --known-at K  only what the log had recorded by K
            Example: custody vex --org mercy-hospital --as-of 2026-04-01 > mercy.vex.json
            """)
    @Option(help: "The organization.") var org: String
    @Option(name: .customLong("as-of"), help: "World time: the chain and incidents as they were then.") var asOf:
        String?
    @Option(name: .customLong("known-at"), help: "Record time: only what had been recorded by then.") var knownAt:
        String?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let now = Timestamp.now
        let organization: Slug
        let known: Timestamp?
        let world: Timestamp
        do {
            organization = try Slug(org, what: "organization id")
            known = try knownAt.map { text throws(CustodyError) in
                try Timestamp(asking: text, what: "--known-at", now: now)
            }
            world =
                try asOf.map { text throws(CustodyError) in try Timestamp(asking: text, what: "--as-of", now: now) }
                ?? known ?? now
        } catch {
            throw CommandFailure(message: error.message)
        }
        let chain = try await Runner.run(connection) { database in
            let store = EventStore(database)
            try await store.waitForHorizon()
            return try await store.supplyChain(knownAt: known)
        }
        guard let document = VEX.document(organization: organization, in: chain, asOf: world, knownAt: known) else {
            let when = known.map { " (as known at \($0))" } ?? ""
            throw CommandFailure(message: "unknown organization '\(organization)'\(when)")
        }
        print(document.jsonbText)
    }
}
