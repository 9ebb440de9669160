import CustodyCore
import Foundation
import Logging
import PostgresNIO

/// Another writer (a rebuild) moved the checkpoint under this projector.
struct ProjectionMoved: Error {}

/// How a read-model row is laid out in its table: its columns as text, in the order of `exposureColumns` and
/// `organizationColumns`, the document last. The incremental projector and the rebuild both write these, so a
/// row's columns are derived in one place.
enum ReadModelRow {
    static let exposureColumns = ["deployment", "incident", "organization", "model", "is_current", "document"]
    static let organizationColumns = ["organization", "document"]
    static let deploymentColumns = ["deployment", "organization", "document"]
    static let pauseColumns = ["provider", "vendor"]

    /// An exposure row's document as every reader gets it: the stored row (`e`, of `custody_exposures`) with its
    /// `paused` flag composed from `custody_pauses` (schema/021).
    static let composedDocument = """
        (e.document || jsonb_build_object('paused', EXISTS (SELECT 1 FROM custody_pauses p
            WHERE p.provider = e.document->>'provider' AND p.vendor = e.document->>'vendor')))
        """

    static func deployment(_ entry: DeploymentEntry) -> [String] {
        [entry.id.rawValue, entry.organization.rawValue, text(entry)]
    }

    static func exposure(_ row: Exposure) -> [String] {
        [
            row.deployment.rawValue, row.incident.rawValue, row.organization.rawValue, row.model.rawValue,
            row.isCurrent ? "t" : "f", row.storedJSONBText,
        ]
    }

    static func pause(_ pause: VendorPause) -> [String] { [pause.provider.rawValue, pause.vendor.rawValue] }

    static func organization(_ view: OrganizationExposure) -> [String] {
        [view.organization.id.rawValue, view.storedJSONBText]
    }

    /// jsonb's own text form.
    static func text(_ value: some Encodable) -> String {
        ((try? EventCoding.value(of: value)) ?? .null).jsonbText
    }
}

/// Every row the read models hold, from the fold at a time (exposure rows computed once, for both tables),
/// rendered one at a time as they are consumed: what a rebuild writes.
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

    var organizations: some Sequence<[String]> {
        chain.organizationViews(at: time, exposures: rows).sorted { $0.key < $1.key }.lazy.map {
            ReadModelRow.organization($0.value)
        }
    }

    var deployments: some Sequence<[String]> { chain.deploymentEntries(at: time).lazy.map(ReadModelRow.deployment) }

    var pauses: some Sequence<[String]> { chain.pauses(at: time).sorted().lazy.map(ReadModelRow.pause) }
}

/// An organization's row in `custody_organization_views`: the view without its exposure rows and time, as
/// `OrganizationExposure.storedJSONBText` writes it.
public struct StoredOrganization: Codable, Sendable {
    /// The organization.
    public var organization: Reference
    /// Its sector.
    public var sector: String
    /// Its summary at the time the read models were evaluated.
    public var summary: OrganizationSummary
}

/// `ReadModelChanges` as statements: upserts of whole rows (one array per column) and deletes by primary key.
struct ChangedRows: Sendable {
    let exposures: [[String]]
    let removedExposures: [ReadModelChanges.Key]
    let organizations: [[String]]
    let deployments: [[String]]
    let pausesStarted: [VendorPause]
    let pausesEnded: [VendorPause]

    init(_ changes: ReadModelChanges) {
        (pausesStarted, pausesEnded) = (changes.pausesStarted, changes.pausesEnded)
        exposures = changes.exposures.map(ReadModelRow.exposure)
        removedExposures = changes.removedExposures
        organizations = changes.organizations.map(ReadModelRow.organization)
        deployments = changes.deployments.map(ReadModelRow.deployment)
    }

    func write(_ connection: PostgresConnection, logger: Logger, failure: (@Sendable (String) throws -> Void)?)
        async throws
    {
        try await upsert(exposures, Self.upsertExposures, connection, logger)
        try failure?("exposures")
        for start in stride(from: 0, to: removedExposures.count, by: 5000) {
            let slice = removedExposures[start..<min(start + 5000, removedExposures.count)]
            try await connection.query(
                """
                DELETE FROM custody_exposures e USING unnest(\(slice.map(\.deployment.rawValue))::text[],
                    \(slice.map(\.incident.rawValue))::text[]) AS x(deployment, incident)
                WHERE e.deployment = x.deployment AND e.incident = x.incident
                """, logger: logger)
        }
        try failure?("removed exposures")
        try await upsert(organizations, Self.upsertOrganizations, connection, logger)
        try failure?("organizations")
        try await upsert(deployments, Self.upsertDeployments, connection, logger)
        try failure?("deployments")
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
        try failure?("pauses")
    }

    private func upsert(_ rows: [[String]], _ sql: String, _ connection: PostgresConnection, _ logger: Logger)
        async throws
    {
        for start in stride(from: 0, to: rows.count, by: 5000) {
            let slice = rows[start..<min(start + 5000, rows.count)]
            var binds = PostgresBindings()
            for column in 0..<(slice.first?.count ?? 0) { binds.append(slice.map { $0[column] }) }
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }

    /// Upserts exposure rows, one array per column of `ReadModelRow.exposureColumns`.
    static let upsertExposures = """
        INSERT INTO custody_exposures (deployment, incident, organization, model, is_current, document)
        SELECT d, i, o, m, c::boolean, doc::jsonb
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(d, i, o, m, c, doc)
        ON CONFLICT (deployment, incident) DO UPDATE SET organization = excluded.organization,
            model = excluded.model, is_current = excluded.is_current, document = excluded.document
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
