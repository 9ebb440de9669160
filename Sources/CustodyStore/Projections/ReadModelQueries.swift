import CustodyCore
import Foundation
import Logging
import PostgresNIO

extension ExposureProjection {
    /// An organization's view from the read models, read in one statement (one snapshot: never torn by a page
    /// committed or a rebuild swapped in between two reads); its summary counted from the current rows read.
    public static func organizationView(_ database: Database, _ id: Slug, asOf: Timestamp = .now) async throws
        -> OrganizationExposure?
    {
        try await organizationView(database, id, asOf: asOf, standing: false).0
    }

    /// The organization's view when the read models are current (`whenCurrent`), read with their standing.
    public static func currentOrganizationView(_ database: Database, _ id: Slug) async throws
        -> Current<OrganizationExposure?>
    {
        try await whenCurrent(database) { try await organizationView(database, id, asOf: .now, standing: true) }
    }

    private static func organizationView(_ database: Database, _ id: Slug, asOf: Timestamp, standing asked: Bool)
        async throws -> (OrganizationExposure?, Standing?)
    {
        var standing: Standing?
        var registry: OrganizationRegistry?
        var rows: [Exposure] = []
        for try await (schema, settled, checkpointed, lag, isView, text) in try await database.query(
            """
            \(unescaped: Standing.row(asked, payload: "NULL::bool, NULL::text"))
            SELECT \(unescaped: Standing.none), true, document::text
            FROM custody_organization_views WHERE organization = \(id.rawValue)
            UNION ALL
            SELECT \(unescaped: Standing.none), false, \(unescaped: ReadModelRow.composedDocument)::text
            FROM \(unescaped: ReadModelRow.exposures)
            WHERE e.organization = \(id.rawValue) AND \(unescaped: ReadModelRow.isCurrent)
            """
        ).decode((Int64?, Bool?, Bool?, Int64?, Bool?, String?).self) {
            if let row = Standing(schema, settled, checkpointed, lag) {
                standing = row
            } else if let text, isView == true {
                registry = try EventCoding.decode(OrganizationRegistry.self, from: Data(text.utf8))
            } else if let text {
                rows.append(try EventCoding.decode(Exposure.self, from: Data(text.utf8)))
            }
        }
        guard let registry else { return (nil, standing) }
        var view = registry.view(counting: CountedRows(rows.compactMap(CountedExposure.init)), at: asOf)
        view.exposures = rows.sorted(by: <)
        return (view, standing)
    }

    /// The same document as `organizationView` renders to (`EventCoding.document`), composed from the stored
    /// `jsonb` texts instead: the API's hottest answer then builds no tree and decodes no row, only reads what each
    /// row's place in the order (`Exposure.Order`) and the summary's counts need. A test holds the two to the same
    /// bytes.
    public static func organizationDocument(_ database: Database, _ id: Slug, asOf: Timestamp) async throws -> String? {
        var registry: OrganizationRegistry?
        var counted: [CountedExposure] = []
        var rows: [(order: Exposure.Order, text: String)] = []
        for try await row in try await database.query(
            """
            SELECT true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, document::text
            FROM custody_organization_views WHERE organization = \(id.rawValue)
            UNION ALL
            SELECT false, \(unescaped: ReadModelRow.composedStatus), e.severity, e.document->>'criticality',
                e.deployment, e.incident, e.answered, e.since, \(unescaped: ReadModelRow.composedDocument)::text
            FROM \(unescaped: ReadModelRow.exposures)
            WHERE e.organization = \(id.rawValue) AND \(unescaped: ReadModelRow.isCurrent)
            """
        ) {
            var columns = RowColumns(row)
            let (isView, status, severity, criticality) = (
                try columns.next(Bool.self), try columns.next(String?.self), try columns.next(String?.self),
                try columns.next(String?.self)
            )
            let (deployment, incident, answered, since, text) = (
                try columns.next(String?.self), try columns.next(String?.self), try columns.next(Bool?.self),
                try columns.next(Int64?.self), try columns.next(String.self)
            )
            if isView {
                registry = try EventCoding.decode(OrganizationRegistry.self, from: Data(text.utf8))
                continue
            }
            let order = try StoredRow.order(
                status: status, severity: severity, criticality: criticality, deployment: deployment, incident: incident
            )
            counted.append(
                CountedExposure(
                    deployment: order.deployment, status: order.status, severity: order.severity,
                    answered: answered ?? false, since: Timestamp(microseconds: since ?? 0)))
            rows.append((order, text))
        }
        guard let registry else { return nil }
        let view = registry.view(counting: CountedRows(counted), at: asOf)
        let exposures = rows.sorted { $0.order < $1.order }.map(\.text).joined(separator: ", ")
        // The keys in jsonb's order (by length, then bytes): asOf, sector, summary, exposures, organization.
        return "{\"asOf\": " + JSONValue.string(asOf.description).jsonbText + ", \"sector\": "
            + JSONValue.string(view.sector).jsonbText + ", \"summary\": " + view.summary.jsonbText
            + ", \"exposures\": [" + exposures + "], \"organization\": " + ReadModelRow.text(view.organization) + "}"
    }

    /// Every organization as `GET /v1/organizations` lists it (`StoredOrganization`'s jsonb text, ordered by
    /// organization), or only `only`, in one statement: the summaries counted from PostgreSQL's aggregates of the
    /// current rows (by organization, status and severity, and the deployments they reach), not from the rows.
    public static func organizationViews(_ database: Database, only: Slug?) async throws -> [String] {
        var registries: [OrganizationRegistry] = []
        var groups: [Slug: [CountedRows.Group]] = [:]
        var deployments: [Slug: Int] = [:]
        for try await row in try await database.query(
            """
            SELECT 0, organization, NULL, NULL, 0::bigint, 0::bigint, NULL::bigint, document::text
            FROM custody_organization_views WHERE \(only?.rawValue)::text IS NULL OR organization = \(only?.rawValue)
            UNION ALL
            SELECT 1, e.organization, \(unescaped: ReadModelRow.composedStatus), e.severity, count(*),
                count(*) FILTER (WHERE NOT e.answered), min(e.since) FILTER (WHERE NOT e.answered), NULL
            FROM \(unescaped: ReadModelRow.exposures)
            WHERE (\(only?.rawValue)::text IS NULL OR e.organization = \(only?.rawValue))
              AND \(unescaped: ReadModelRow.isCurrent)
            GROUP BY 2, 3, 4
            UNION ALL
            SELECT 2, organization, NULL, NULL, count(*), 0, NULL, NULL FROM (
                SELECT DISTINCT e.organization, e.deployment FROM \(unescaped: ReadModelRow.exposures)
                WHERE (\(only?.rawValue)::text IS NULL OR e.organization = \(only?.rawValue))
                  AND \(unescaped: ReadModelRow.isCurrent)
            ) exposed GROUP BY 2
            """
        ) {
            var columns = RowColumns(row)
            let (kind, organization, status, severity) = (
                try columns.next(Int32.self), try columns.next(String.self), try columns.next(String?.self),
                try columns.next(String?.self)
            )
            let (rows, unanswered, oldest, text) = (
                try columns.next(Int64.self), try columns.next(Int64.self), try columns.next(Int64?.self),
                try columns.next(String?.self)
            )
            switch kind {
            case 0:
                registries.append(try EventCoding.decode(OrganizationRegistry.self, from: Data((text ?? "").utf8)))
            case 1:
                groups[try StoredRow.slug(organization), default: []].append(
                    CountedRows.Group(
                        status: try StoredRow.status(status), severity: try StoredRow.severity(severity),
                        rows: Int(rows), unanswered: Int(unanswered),
                        oldestUnanswered: oldest.map(Timestamp.init(microseconds:))))
            default:
                deployments[try StoredRow.slug(organization)] = Int(rows)
            }
        }
        return registries.sorted { $0.organization.id < $1.organization.id }.map { registry in
            let id = registry.organization.id
            let counted = CountedRows(groups[id] ?? [], exposedDeployments: deployments[id] ?? 0)
            let view = registry.view(counting: counted, at: .now)
            return ReadModelRow.text(
                StoredOrganization(organization: view.organization, sector: view.sector, summary: view.summary))
        }
    }
}

/// What a reader takes of a stored exposure row without decoding its document: its place in the order and what
/// its organization's summary counts of it.
private enum StoredRow {
    static func order(
        status: String?, severity: String?, criticality: String?, deployment: String?, incident: String?
    ) throws -> Exposure.Order {
        try readable { () throws(CustodyError) in
            Exposure.Order(
                status: try ExposureStatus.parse(status ?? ""), severity: try Severity.parse(severity ?? ""),
                criticality: try Criticality.parse(criticality ?? ""), deployment: try Slug(deployment ?? ""),
                incident: try Slug(incident ?? ""))
        }
    }

    static func status(_ text: String?) throws -> ExposureStatus {
        try readable { () throws(CustodyError) in try ExposureStatus.parse(text ?? "") }
    }

    static func severity(_ text: String?) throws -> Severity {
        try readable { () throws(CustodyError) in try Severity.parse(text ?? "") }
    }

    static func slug(_ text: String) throws -> Slug { try readable { () throws(CustodyError) in try Slug(text) } }

    private static func readable<T>(_ read: () throws(CustodyError) -> T) throws -> T {
        do {
            return try read()
        } catch {
            throw StoreError.database(
                "an exposure row of the read model is unreadable (rebuild it with `custody projections rebuild`): \(error.message)"
            )
        }
    }
}

extension ExposureProjection {
    /// The deployments of the registry (of one organization when given), from the read model in one statement;
    /// nil when the organization is not registered.
    public static func deployments(_ database: Database, of organization: Slug?) async throws -> [DeploymentEntry]? {
        var known = organization == nil
        var entries: [DeploymentEntry] = []
        for try await text in try await database.query(
            """
            SELECT NULL::text FROM custody_organization_views WHERE organization = \(organization?.rawValue)
            UNION ALL
            SELECT document::text FROM custody_deployments
            WHERE \(organization?.rawValue)::text IS NULL OR organization = \(organization?.rawValue)
            """
        ).decode(String?.self) {
            if let text {
                entries.append(try EventCoding.decode(DeploymentEntry.self, from: Data(text.utf8)))
            } else {
                known = true
            }
        }
        return known ? entries.sorted { $0.id < $1.id } : nil
    }
}

extension ExposureProjection {
    /// What a list of exposure rows is about.
    public enum Subject: String, Sendable {
        case deployment, model, incident

        /// The stream whose existence says the subject is known (its first fact registers or reports it).
        func stream(_ id: Slug) -> StreamName {
            switch self {
            case .deployment: return .deployment(id)
            case .model: return .model(id)
            case .incident: return .incident(id)
            }
        }
    }

    /// A deployment's or a model's current exposures (the subject's name is its column's, and each column is
    /// indexed), or an incident's blast radius (cleared rows included), from
    /// the read models in one statement; nil when the log knows no such subject.
    public static func list(_ database: Database, _ subject: Subject, _ id: Slug) async throws -> ExposureList? {
        try await list(database, subject, id, standing: false).0
    }

    /// The subject's list when the read models are current (`whenCurrent`), read with their standing.
    public static func currentList(_ database: Database, _ subject: Subject, _ id: Slug) async throws
        -> Current<ExposureList?>
    {
        try await whenCurrent(database) { try await list(database, subject, id, standing: true) }
    }

    private static func list(_ database: Database, _ subject: Subject, _ id: Slug, standing asked: Bool)
        async throws -> (ExposureList?, Standing?)
    {
        let stream = subject.stream(id).description
        let every = subject == .incident
        var standing: Standing?
        var known = false
        var rows: [Exposure] = []
        for try await (schema, settled, checkpointed, lag, text) in try await database.query(
            """
            \(unescaped: Standing.row(asked, payload: "NULL::text"))
            (SELECT \(unescaped: Standing.none), NULL::text FROM custody_events WHERE stream_id = \(stream) LIMIT 1)
            UNION ALL
            SELECT \(unescaped: Standing.none), \(unescaped: ReadModelRow.composedDocument)::text
            FROM \(unescaped: ReadModelRow.exposures)
            WHERE e.\(unescaped: subject.rawValue) = \(id.rawValue) AND (\(unescaped: ReadModelRow.isCurrent) OR \(every))
            """
        ).decode((Int64?, Bool?, Bool?, Int64?, String?).self) {
            if let row = Standing(schema, settled, checkpointed, lag) {
                standing = row
            } else if let text {
                rows.append(try EventCoding.decode(Exposure.self, from: Data(text.utf8)))
            } else {
                known = true
            }
        }
        guard known else { return (nil, standing) }
        return (ExposureList(subject: subject.rawValue, id: id, asOf: .now, exposures: rows.sorted(by: <)), standing)
    }
}
