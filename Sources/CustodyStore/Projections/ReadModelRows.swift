import CustodyCore
import Foundation
import Logging
import PostgresNIO

/// Another writer (a rebuild) moved the checkpoint under this projector.
struct ProjectionMoved: Error {}

/// How a read-model row is laid out in its table: its columns as text, in the order of `exposureColumns` and
/// `organizationColumns`, the document last. The incremental projector and the rebuild both write these, so a
/// row's columns are derived in one place; and how a reader composes what is kept apart (schema/021, 024).
enum ReadModelRow {
    static let exposureColumns = [
        "deployment", "incident", "organization", "model", "provider", "resolved", "severity", "since", "answered",
        "document",
    ]
    static let organizationColumns = ["organization", "document"]
    static let deploymentColumns = ["deployment", "organization", "document"]
    static let pauseColumns = ["provider", "vendor"]
    static let stateColumns = ["incident", "provider", "status"]

    /// The exposure rows (`e`) with their investigation's state (`s`, none while `potential`): every read of rows
    /// selects from this, and composes with `composedDocument`, `composedStatus` and `isCurrent`.
    static let exposures = """
        custody_exposures e LEFT JOIN custody_investigation_states s ON s.incident = e.incident AND s.provider = e.provider
        """

    /// A row's status.
    static let composedStatus = "coalesce(s.status, 'potential')"

    /// Whether a row is current: its incident not resolved, its exposure not cleared (`Exposure.isCurrent`).
    static let isCurrent = "(NOT e.resolved AND s.status IS DISTINCT FROM 'cleared')"

    /// An exposure row's document as every reader gets it: the stored row with its `paused` flag composed from
    /// `custody_pauses` and its `status` from `custody_investigation_states`.
    static let composedDocument = """
        (e.document || jsonb_build_object('paused', EXISTS (SELECT 1 FROM custody_pauses p
            WHERE p.provider = e.provider AND p.vendor = e.document->>'vendor'), 'status', \(composedStatus)))
        """

    static func deployment(_ entry: DeploymentEntry) -> [String] {
        [entry.id.rawValue, entry.organization.rawValue, text(entry)]
    }

    static func exposure(_ row: Exposure) -> [String] {
        [
            row.deployment.rawValue, row.incident.rawValue, row.organization.rawValue, row.model.rawValue,
            row.provider.rawValue, row.resolved ? "t" : "f", row.severity.rawValue, String(row.since.microseconds),
            row.response == nil ? "f" : "t", row.storedJSONBText,
        ]
    }

    static func pause(_ pause: VendorPause) -> [String] { [pause.provider.rawValue, pause.vendor.rawValue] }

    static func state(_ state: InvestigationState) -> [String] {
        [state.incident.rawValue, state.provider.rawValue, state.status.rawValue]
    }

    static func organization(_ registry: OrganizationRegistry) -> [String] {
        [registry.organization.id.rawValue, text(registry)]
    }

    /// jsonb's own text form.
    static func text(_ value: some Encodable) -> String {
        ((try? EventCoding.value(of: value)) ?? .null).jsonbText
    }
}

/// Every row the read models hold, from the fold at a time (exposure rows computed once), rendered one at a time
/// as they are consumed: what a rebuild writes.
struct Views {
    let chain: SupplyChain
    let time: Timestamp
    let rows: [Exposure]

    init(_ chain: SupplyChain, at time: Timestamp) {
        self.chain = chain
        self.time = time
        rows = chain.exposures(at: time)
    }

    var exposures: some Sequence<[String]> { rows.lazy.map(ReadModelRow.exposure) }

    var organizations: [[String]] {
        var supplying: [Slug: [Slug]] = [:]
        return chain.organizationIds.compactMap {
            chain.organizationRegistry($0, at: time, supplying: &supplying).map(ReadModelRow.organization)
        }
    }

    var deployments: some Sequence<[String]> { chain.deploymentEntries(at: time).lazy.map(ReadModelRow.deployment) }

    var pauses: some Sequence<[String]> { chain.pauses(at: time).sorted().lazy.map(ReadModelRow.pause) }

    var states: some Sequence<[String]> {
        chain.investigationStates(at: time).sorted().lazy.map(ReadModelRow.state)
    }
}

/// An organization as `GET /v1/organizations` lists it: its view without exposure rows and time, the summary
/// counted from its current rows when read.
public struct StoredOrganization: Codable, Sendable {
    /// The organization.
    public var organization: Reference
    /// Its sector.
    public var sector: String
    /// Its summary, counted from its current rows when read.
    public var summary: OrganizationSummary
}

/// `ReadModelChanges` as statements: inserts and upserts of whole rows (one array per column) and deletes by
/// primary key.
struct ChangedRows: Sendable {
    let newExposures: [[String]]
    let changedExposures: [[String]]
    let removedExposures: [ReadModelChanges.Key]
    let organizations: [[String]]
    let deployments: [[String]]
    let pausesStarted: [VendorPause]
    let pausesEnded: [VendorPause]
    let states: [[String]]
    let statesEnded: [InvestigationState]

    init(_ changes: ReadModelChanges) {
        (pausesStarted, pausesEnded) = (changes.pausesStarted, changes.pausesEnded)
        states = changes.statesSet.map(ReadModelRow.state)
        statesEnded = changes.statesEnded
        newExposures = changes.newExposures.map(ReadModelRow.exposure)
        changedExposures = changes.changedExposures.map(ReadModelRow.exposure)
        removedExposures = changes.removedExposures
        organizations = changes.organizations.map(ReadModelRow.organization)
        deployments = changes.deployments.map(ReadModelRow.deployment)
    }

    /// Writes and deletes exposure rows: what a page may write before the page ahead of it has committed.
    func writeExposures(
        _ connection: PostgresConnection, logger: Logger, failure: ExposureProjection.WritePoint?
    ) async throws {
        try await insertNewExposures(connection, logger: logger)
        try await writeRows(changedExposures, Self.upsertExposures, connection, logger)
        try await failure?("exposures")
        for start in stride(from: 0, to: removedExposures.count, by: 5000) {
            let slice = removedExposures[start..<min(start + 5000, removedExposures.count)]
            try await connection.query(
                """
                DELETE FROM custody_exposures e USING unnest(\(slice.map(\.deployment.rawValue))::text[],
                    \(slice.map(\.incident.rawValue))::text[]) AS x(deployment, incident)
                WHERE e.deployment = x.deployment AND e.incident = x.incident
                """, logger: logger)
        }
        try await failure?("removed exposures")
    }

    /// Inserts the rows the projector holds new. Should the table hold one all the same, they are upserted instead:
    /// a rebuild swapped in its tables after the page was decided (the checkpoint's check fails the page after
    /// this), or the decision is at fault, and a page that conflicted on every attempt would stop the projector.
    private func insertNewExposures(_ connection: PostgresConnection, logger: Logger) async throws {
        guard !newExposures.isEmpty else { return }
        try await connection.query("SAVEPOINT new_exposures", logger: logger)
        do {
            try await writeRows(newExposures, Self.insertExposures, connection, logger)
            try await connection.query("RELEASE SAVEPOINT new_exposures", logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            logger.notice("exposure rows the projector held new were in the table already; upserting them")
            try await connection.query("ROLLBACK TO SAVEPOINT new_exposures", logger: logger)
            try await writeRows(newExposures, Self.upsertExposures, connection, logger)
        }
    }

    /// Writes the rows consecutive pages often both write: organizations, deployments, pauses and investigation
    /// states.
    func writeSharedRows(
        _ connection: PostgresConnection, logger: Logger, failure: ExposureProjection.WritePoint?
    ) async throws {
        try await writeRows(organizations, Self.upsertOrganizations, connection, logger)
        try await failure?("organizations")
        try await writeRows(deployments, Self.upsertDeployments, connection, logger)
        try await failure?("deployments")
        if !pausesStarted.isEmpty || !pausesEnded.isEmpty {
            try await connection.query(
                """
                WITH ended AS (
                    DELETE FROM custody_pauses p USING unnest(\(pausesEnded.map(\.provider.rawValue))::text[],
                        \(pausesEnded.map(\.vendor.rawValue))::text[]) AS x(provider, vendor)
                    WHERE p.provider = x.provider AND p.vendor = x.vendor
                )
                INSERT INTO custody_pauses (provider, vendor)
                SELECT * FROM unnest(\(pausesStarted.map(\.provider.rawValue))::text[], \(pausesStarted.map(\.vendor.rawValue))::text[])
                """, logger: logger)
        }
        try await failure?("pauses")
        if !statesEnded.isEmpty {
            try await connection.query(
                """
                DELETE FROM custody_investigation_states s USING unnest(\(statesEnded.map(\.incident.rawValue))::text[],
                    \(statesEnded.map(\.provider.rawValue))::text[]) AS x(incident, provider)
                WHERE s.incident = x.incident AND s.provider = x.provider
                """, logger: logger)
        }
        try await writeRows(states, Self.upsertStates, connection, logger)
        try await failure?("investigation states")
    }

    private func writeRows(_ rows: [[String]], _ sql: String, _ connection: PostgresConnection, _ logger: Logger)
        async throws
    {
        for start in stride(from: 0, to: rows.count, by: 5000) {
            let slice = rows[start..<min(start + 5000, rows.count)]
            var binds = PostgresBindings()
            for column in 0..<(slice.first?.count ?? 0) { binds.append(slice.map { $0[column] }) }
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }

    /// Inserts exposure rows the table does not hold, one array per column of `ReadModelRow.exposureColumns`.
    static let insertExposures = """
        INSERT INTO custody_exposures (deployment, incident, organization, model, provider, resolved, severity, since,
            answered, document)
        SELECT d, i, o, m, p, r::boolean, sv, sn::bigint, a::boolean, doc::jsonb
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::text[], $10::text[]) AS x(d, i, o, m, p, r, sv, sn, a, doc)
        """

    /// Upserts exposure rows, one array per column of `ReadModelRow.exposureColumns`.
    static let upsertExposures =
        insertExposures + """

            ON CONFLICT (deployment, incident) DO UPDATE SET organization = excluded.organization,
                model = excluded.model, provider = excluded.provider, resolved = excluded.resolved,
                severity = excluded.severity, since = excluded.since, answered = excluded.answered,
                document = excluded.document
            """

    /// Upserts investigation states, one array per column of `ReadModelRow.stateColumns`.
    static let upsertStates = """
        INSERT INTO custody_investigation_states (incident, provider, status)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
        ON CONFLICT (incident, provider) DO UPDATE SET status = excluded.status
        """

    /// Upserts organization rows, one array per column of `ReadModelRow.organizationColumns`.
    static let upsertOrganizations = """
        INSERT INTO custody_organization_views (organization, document)
        SELECT o, doc::jsonb FROM unnest($1::text[], $2::text[]) AS x(o, doc)
        ON CONFLICT (organization) DO UPDATE SET document = excluded.document
        """

    /// Upserts deployment entries, one array per column of `ReadModelRow.deploymentColumns`.
    static let upsertDeployments = """
        INSERT INTO custody_deployments (deployment, organization, document)
        SELECT d, o, doc::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS x(d, o, doc)
        ON CONFLICT (deployment) DO UPDATE SET organization = excluded.organization, document = excluded.document
        """
}
