import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct Respond: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "respond",
        abstract: "Record what the organization did about one of its exposures.",
        discussion: """
            States: \(ResponseState.accepted).
            not-affected needs --justification (\(NotAffectedJustification.accepted)); \
            risk-accepted may carry --review-by. The exposure must exist at --at (default now).
            --scope provider records one analysis for every deployment of the organization on the deployment's \
            provider, shown on each of their rows.
            Example: custody respond --deployment su-advising --incident mercor-2026-03 --state mitigating --owner "AI governance"
            """)
    @Option(help: "The exposed deployment.") var deployment: String
    @Option(help: "The incident it is exposed to.") var incident: String
    @Option(help: "What was done.") var state: String
    @Option(help: "Who owns the response (a person or team).") var owner: String
    @Option(help: "Free text: what was decided and why.") var note: String?
    @Option(help: "Why it does not apply (with not-affected).") var justification: String?
    @Option(name: .customLong("review-by"), help: "When an accepted risk is looked at again (with risk-accepted).")
    var reviewBy: String?
    @Option(
        help: "deployment (default) or provider: every deployment of the organization on this deployment's provider.")
    var scope = "deployment"
    @OptionGroup var recording: RecordingOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard ["deployment", "provider"].contains(scope) else {
            throw ValidationError("--scope must be deployment or provider")
        }
    }

    func run() async throws {
        let deploymentId: Slug
        let incidentId: Slug
        let state: ResponseState
        let justification: NotAffectedJustification?
        let reviewBy: Timestamp?
        do {
            deploymentId = try Slug(deployment, what: "deployment id")
            incidentId = try Slug(incident, what: "incident id")
            state = try ResponseState.parse(self.state)
            justification = try self.justification.map { text throws(CustodyError) in
                try NotAffectedJustification.parse(text)
            }
            reviewBy = try self.reviewBy.map { text throws(CustodyError) in
                try Timestamp(parsing: text, what: "--review-by")
            }
        } catch {
            throw CommandFailure(message: error.message)
        }
        let (owner, note, byProvider) = (self.owner, self.note, scope == "provider")
        try await Runner.record(recording, connection) { database, time in
            // Whether the exposure exists at that time is the fold's answer, so the log is read as of now.
            let chain = try await EventStore(database).supplyChain()
            let exposure = try chain.exposureToAnswer(deployment: deploymentId, incident: incidentId, at: time)
            return ExposureResponseRecorded(
                organization: exposure.organization, incident: incidentId, deployment: byProvider ? nil : deploymentId,
                provider: byProvider ? exposure.provider : nil, state: state, owner: owner, note: note,
                justification: justification, reviewBy: reviewBy)
        }
    }
}

struct WhatIf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whatif",
        abstract: "The exposure a breach at a vendor would cause today. Nothing is written.",
        discussion: """
            The same fold as `custody exposure`, on one hypothetical breach reported now: the rows are those \
            `custody exposure --incident` would show had it really been recorded.
            Example: custody whatif --vendor scale-ai --data rlhf --org state-university
            """)
    @Option(help: "The vendor breached.") var vendor: String
    @Option(help: "Kinds of data exposed (default: unknown, so every kind the vendor supplied).") var data: [String] =
        []
    @Option(help: "Only these providers' data (default: every client of the vendor).") var providers: [String] = []
    @Option(help: "Only this organization's deployments.") var org: String?
    @Option(help: "The breach's severity.") var severity = "high"
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let vendorId: Slug
        let kinds: [DataKind]
        let providerIds: [Slug]
        let severity: Severity
        do {
            vendorId = try Slug(vendor, what: "vendor id")
            kinds = try ListOption.vocabulary(data, as: DataKind.self)
            providerIds = try ListOption.slugs(providers, what: "provider id")
            severity = try Severity.parse(self.severity)
        } catch {
            throw CommandFailure(message: error.message)
        }
        let now = Timestamp.now
        let (chain, organization) = try await Listing.chain(connection, organization: org)
        guard chain.vendorIds.contains(vendorId) else {
            throw CommandFailure(message: CustodyError.unknown(what: "vendor", id: vendorId.rawValue).message)
        }
        let document = chain.whatIf(
            vendor: vendorId, dataKinds: kinds, providers: providerIds, severity: severity, at: now
        )
        .filtered { organization == nil || $0.organization == organization }
        if connection.json {
            print(try EventCoding.document(document))
        } else {
            print(ExposureReport.list(document, knownAt: nil))
        }
    }
}

struct ConcentrationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concentration",
        abstract: "Vendors and providers ranked by how many organizations and deployments rest on them.",
        discussion: """
            Systemic vendors first; then, per organization, how many providers and vendors its active deployments \
            rest on, flagging a single provider (no fallback when it pauses or is hit).
            Example: custody concentration --org mercy-hospital
            """)
    @Option(help: "Only this organization's deployments.") var org: String?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let (chain, organization) = try await Listing.chain(connection, organization: org)
        let document = chain.concentration(at: .now) { organization == nil || $0 == organization }
        if connection.json {
            print(try EventCoding.document(document))
            return
        }
        for (title, rows) in [("VENDOR", document.vendors), ("PROVIDER", document.providers)] {
            var table = Table(headers: [title, "ORGANIZATIONS", "DEPLOYMENTS"])
            for row in rows { table.rows.append([row.id.rawValue, "\(row.organizations)", "\(row.deployments)"]) }
            print(rows.isEmpty ? "no \(title.lowercased())s in use" : table.text)
            print()
        }
        var table = Table(headers: ["ORGANIZATION", "DEPLOYMENTS", "PROVIDERS", "VENDORS", "SINGLE PROVIDER"])
        for row in document.organizations {
            table.rows.append([
                row.id.rawValue, "\(row.deployments)", "\(row.providers.count)", "\(row.vendors.count)",
                row.singleProvider ? "yes" : "no",
            ])
        }
        print(document.organizations.isEmpty ? "no active deployments" : table.text)
    }
}
