import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct ExposureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exposure",
        abstract: "Which deployed models are exposed to which incident, through which vendor, with what status.",
        discussion: """
            Give one of --org, --model, --deployment or --incident. Two clocks answer postmortem questions:
              --as-of T     the world as it was at T, as known now (facts that happened by T; corrections \
            such as retractions apply from the breach's own time)
              --known-at K  only what the log had recorded by K; alone it means "as of K, as known at K"
            A breach logged days after it happened shows under --as-of the day after it, but not under \
            --known-at that day.
            Examples: custody exposure --org state-university
                      custody exposure --incident mercor-2026-03 --as-of 2026-04-01 --json
            """)
    @Option(help: "An organization's view: its summary and current exposures.") var org: String?
    @Option(help: "Every deployment of a model, across organizations.") var model: String?
    @Option(help: "One deployment.") var deployment: String?
    @Option(help: "An incident's blast radius (cleared exposures included).") var incident: String?
    @Option(name: .customLong("as-of"), help: "World time: the chain and incidents as they were then.") var asOf:
        String?
    @Option(name: .customLong("known-at"), help: "Record time: only what had been recorded by then.") var knownAt:
        String?
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        let given = [org, model, deployment, incident].compactMap { $0 }
        guard given.count == 1 else {
            // An option ArgumentParser did not know is the likelier mistake (`--organization`): name it first.
            let options = [
                "--org", "--model", "--deployment", "--incident", "--as-of", "--known-at", "--database-url", "--json",
                "--wide",
            ]
            if let typed = CommandLine.arguments.dropFirst(2).first(where: { word in
                word.hasPrefix("--") && !options.contains(String(word.prefix { $0 != "=" })) && word != "--help"
            }) {
                let hint = CommandSuggestion.closest(to: typed, among: options).map { "; did you mean \($0)?" } ?? ""
                throw ValidationError("unknown option '\(typed)'\(hint)")
            }
            throw ValidationError("give exactly one of --org, --model, --deployment, --incident")
        }
    }

    func run() async throws {
        let (subject, knownAtTime, asOfTime) = try question()
        let present = asOf == nil && knownAt == nil
        // A present view is a few statements in turn: one connection, quicker to open than a pool.
        let answer = try await Runner.run(connection, schema: present ? .byBody : .first, sequential: present) {
            database -> Answer in
            let store = EventStore(database)
            // Present views come from the read models when they are current (read in the answer's statement, one
            // snapshot; `whenCurrent` waits for the horizon as it asks); otherwise, and for the two clocks, from
            // the fold of the log, saying why.
            if present {
                let behind: Int64
                switch try await Answer.stored(subject, database) {
                case .current(let answer): return answer
                case .behind(let lag): behind = lag
                }
                // The log's answer is exact, so without a projector (a CLI-only setup, the README's flow) there is
                // nothing to say; a projector that runs and lags is worth one line, on stderr.
                if let leader = try await ExposureProjection.leader(database) {
                    Runner.warn(
                        "the read models are \(behind) event(s) behind the projector (server process \(leader.pid)); "
                            + "answered from the log instead")
                }
            } else {
                try await store.waitForHorizon()
            }
            return .folded(try await store.supplyChain(knownAt: knownAtTime))
        }
        let json = connection.json
        switch subject {
        case .organization(let id):
            guard let document = answer.organization(id, at: asOfTime) else {
                throw try await unknown(subject, id, knownAtTime)
            }
            try json ? printJSON(document) : print(ExposureReport.organization(document, knownAt: knownAtTime))
        case .deployment(let id), .model(let id), .incident(let id):
            guard let document = answer.list(subject, at: asOfTime) else {
                throw try await unknown(subject, id, knownAtTime)
            }
            try json ? printJSON(document) : print(ExposureReport.list(document, knownAt: knownAtTime))
        }
    }

    /// Unknown, or (asked as known at a past time) not recorded yet then: says which, and when it was.
    private func unknown(_ subject: Subject, _ id: Slug, _ knownAt: Timestamp?) async throws -> CommandFailure {
        let unknown = CommandFailure(message: CustodyError.unknown(what: subject.noun, id: id.rawValue).message)
        guard let knownAt else { return unknown }
        let stream = subject.stream(id)
        let first = try await Runner.run(connection) { database in
            try await EventStore(database).read(streams: [stream]).first?.recordedAt
        }
        guard let first else { return unknown }
        return CommandFailure(
            message:
                "\(subject.noun) '\(id)' was not yet recorded at \(knownAt) (--known-at); the log has it from \(first)")
    }

    /// Where the answer comes from: the read models' documents, or the fold of the log.
    enum Answer: Sendable {
        case folded(SupplyChain)
        case organization(OrganizationExposure?)
        case list(ExposureList?)

        static func stored(_ subject: Subject, _ database: Database) async throws
            -> ExposureProjection.Current<Answer>
        {
            switch subject {
            case .organization(let id):
                return try await ExposureProjection.currentOrganizationView(database, id).map(Answer.organization)
            case .deployment(let id):
                return try await ExposureProjection.currentList(database, .deployment, id).map(Answer.list)
            case .model(let id): return try await ExposureProjection.currentList(database, .model, id).map(Answer.list)
            case .incident(let id):
                return try await ExposureProjection.currentList(database, .incident, id).map(Answer.list)
            }
        }

        func organization(_ id: Slug, at time: Timestamp) -> OrganizationExposure? {
            switch self {
            case .folded(let chain): return chain.exposure(ofOrganization: id, at: time)
            case .organization(let document): return document
            case .list: return nil
            }
        }

        func list(_ subject: Subject, at time: Timestamp) -> ExposureList? {
            switch (self, subject) {
            case (.folded(let chain), .deployment(let id)): return chain.exposure(ofDeployment: id, at: time)
            case (.folded(let chain), .model(let id)): return chain.exposure(ofModel: id, at: time)
            case (.folded(let chain), .incident(let id)): return chain.exposure(ofIncident: id, at: time)
            case (.list(let document), _): return document
            default: return nil
            }
        }
    }

    /// What is asked, about when: parsed at the edge, refused with the accepted values.
    private func question() throws -> (Subject, knownAt: Timestamp?, asOf: Timestamp) {
        let now = Timestamp.now
        do {
            let subject = try Subject(org: org, model: model, deployment: deployment, incident: incident)
            var known: Timestamp?
            if let knownAt { known = try Timestamp(asking: knownAt, what: "--known-at", now: now) }
            var world = known ?? now
            if let asOf { world = try Timestamp(asking: asOf, what: "--as-of", now: now) }
            return (subject, known, world)
        } catch {
            throw CommandFailure(message: error.message)
        }
    }

    private func printJSON(_ value: some Encodable) throws {
        print(try EventCoding.document(value))
    }

    enum Subject {
        case organization(Slug)
        case model(Slug)
        case deployment(Slug)
        case incident(Slug)

        init(org: String?, model: String?, deployment: String?, incident: String?) throws(CustodyError) {
            if let org {
                self = .organization(try Slug(org, what: "organization id"))
            } else if let model {
                self = .model(try Slug(model, what: "model id"))
            } else if let deployment {
                self = .deployment(try Slug(deployment, what: "deployment id"))
            } else {
                self = .incident(try Slug(incident ?? "", what: "incident id"))
            }
        }

        /// The stream whose first event registers (or reports) the subject.
        func stream(_ id: Slug) -> StreamName {
            switch self {
            case .organization: return .organization(id)
            case .model: return .model(id)
            case .deployment: return .deployment(id)
            case .incident: return .incident(id)
            }
        }

        var noun: String {
            switch self {
            case .organization: return "organization"
            case .model: return "model"
            case .deployment: return "deployment"
            case .incident: return "incident"
            }
        }
    }
}

/// Human-readable exposure reports.
enum ExposureReport {
    static func organization(_ document: OrganizationExposure, knownAt: Timestamp?) -> String {
        let summary = document.summary
        let counts = ["confirmed", "investigating", "inconclusive", "potential"]
            .map { "\(summary.statusCounts[$0] ?? 0) \($0)" }.joined(separator: ", ")
        var lines = [
            "\(document.organization.name) (\(document.sector)): exposure as of \(document.asOf)"
                + (knownAt.map { ", known at \($0)" } ?? ""),
            "  exposed: \(summary.exposedDeployments) of \(summary.activeDeployments) active deployment\(summary.activeDeployments == 1 ? "" : "s")"
                + (summary.highestSeverity.map { ", worst severity \($0.rawValue)" } ?? ""),
            "  current exposures: \(counts)",
            "  providers: \(list(summary.providers))"
                + (summary.singleProvider ? " (single provider: no fallback)" : ""),
            "  vendors: \(list(summary.vendors)); open-weight share \(Int((summary.openWeightShare * 100).rounded()))%",
            "  needing a response: \(summary.needsResponse)"
                + (summary.oldestUnanswered.map { " (oldest exposed since \($0))" } ?? ""),
        ]
        lines.append(
            document.exposures.isEmpty ? "  no current exposures" : table(document.exposures, without: "organization"))
        return lines.joined(separator: "\n")
    }

    static func list(_ document: ExposureList, knownAt: Timestamp?) -> String {
        let title =
            "\(document.subject) \(document.id): exposure as of \(document.asOf)"
            + (knownAt.map { ", as known at \($0)" } ?? "")
        return title + "\n"
            + (document.exposures.isEmpty ? "  no exposures" : table(document.exposures, without: document.subject))
    }

    /// The columns of a report, leaving out the one the whole report is about, so rows fit in 100 columns.
    static func table(_ rows: [Exposure], without subject: String) -> String {
        let columns: [(String, (Exposure) -> String)] = [
            ("ORGANIZATION", { $0.organization.rawValue }), ("DEPLOYMENT", { $0.deployment.rawValue }),
            ("MODEL", { $0.model.rawValue }), ("VENDOR", { $0.vendor.rawValue }),
            ("INCIDENT", { $0.incident.rawValue }),
            ("STATUS", { $0.status.rawValue + ($0.resolved ? " (resolved)" : "") }),
            ("SEVERITY", { $0.severity.rawValue }),
            ("PAUSED", { $0.paused ? "yes" : "no" }), ("SINCE", { String($0.since.description.prefix(10)) }),
            ("RESPONSE", { $0.response?.state.rawValue ?? "-" }),
        ]
        let omitted: Set<String> =
            switch subject {
            case "organization": ["ORGANIZATION"]
            case "deployment": ["ORGANIZATION", "DEPLOYMENT"]
            case "model": ["MODEL"]
            default: ["INCIDENT"]
            }
        let shown = columns.filter { !omitted.contains($0.0) }
        var table = Table(headers: shown.map(\.0))
        for row in rows { table.rows.append(shown.map { $0.1(row) }) }
        return table.text
    }

    private static func list(_ slugs: [Slug]) -> String {
        slugs.isEmpty ? "none" : slugs.map(\.rawValue).joined(separator: ", ")
    }
}
