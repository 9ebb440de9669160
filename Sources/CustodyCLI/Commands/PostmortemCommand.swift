import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct PostmortemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postmortem",
        abstract: "An incident's postmortem: timeline, who entered or left exposure at each step, and the intervals.",
        discussion: """
            Markdown by default (paste it into a ticket or a document); --json gives the same content as data; \
            --svg the exposure windows as a timeline chart (the picture of the web page's postmortem). \
            Each step shows when it happened and when it was recorded: time to detect is recorded minus occurred.
            Examples: custody postmortem mercor-2026-03 > postmortem.md
                      custody postmortem mercor-2026-03 --svg > windows.svg
            """)
    @Argument(help: "The incident's id.") var incident: String
    @Flag(help: "Print the exposure windows as an SVG timeline chart instead of Markdown.") var svg = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if svg && connection.json { throw ValidationError("give one of --svg and --json") }
    }

    func run() async throws {
        let id: Slug
        do { id = try Slug(incident, what: "incident id") } catch { throw CommandFailure(message: error.message) }
        let facts = try await Runner.run(connection) { database in
            let store = EventStore(database)
            try await store.waitForHorizon()
            return try await store.postmortemFacts(of: id)
        }
        let unknown = CommandFailure(message: CustodyError.unknown(what: "incident", id: id.rawValue).message)
        if !svg && !connection.json {
            guard let (_, markdown) = await Postmortem.markdown(of: id, facts: facts, now: .now) else { throw unknown }
            for piece in markdown { StandardOutput.write(bytes: piece) }
            return
        }
        guard let postmortem = Postmortem.of(id, facts: facts, now: .now) else { throw unknown }
        if svg {
            print(postmortem.chart(now: .now), terminator: "")
        } else {
            print(try EventCoding.document(postmortem))
        }
    }
}
