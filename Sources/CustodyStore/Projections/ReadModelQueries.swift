import CustodyCore
import Foundation
import Logging
import PostgresNIO

extension ExposureProjection {
    /// An organization's view from the read models, read in one statement (one snapshot: never torn by a page
    /// committed or a rebuild swapped in between two reads).
    public static func organizationView(_ database: Database, _ id: Slug, asOf: Timestamp = .now) async throws
        -> OrganizationExposure?
    {
        var stored: StoredOrganization?
        var rows: [Exposure] = []
        for try await (isView, text) in try await database.query(
            """
            SELECT true, document::text FROM custody_organization_views WHERE organization = \(id.rawValue)
            UNION ALL
            SELECT false, \(unescaped: ReadModelRow.composedDocument)::text FROM custody_exposures e
            WHERE organization = \(id.rawValue) AND is_current
            """
        ).decode((Bool, String).self) {
            if isView {
                stored = try EventCoding.decode(StoredOrganization.self, from: Data(text.utf8))
            } else {
                rows.append(try EventCoding.decode(Exposure.self, from: Data(text.utf8)))
            }
        }
        guard let stored else { return nil }
        return OrganizationExposure(
            organization: stored.organization, sector: stored.sector, asOf: asOf, summary: stored.summary,
            exposures: rows.sorted(by: <))
    }

    /// The same document as `organizationView` renders to (`EventCoding.document`), composed from the stored
    /// `jsonb` texts instead: the API's hottest answer then builds no tree and decodes no row, only reads each
    /// row's place in the order (`Exposure.Order`). A test holds the two to the same bytes.
    public static func organizationDocument(_ database: Database, _ id: Slug, asOf: Timestamp) async throws -> String? {
        var view: (organization: String, sector: String, summary: String)?
        var rows: [(order: Exposure.Order, text: String)] = []
        for try await (isView, first, second, third, deployment, incident, text) in try await database.query(
            """
            SELECT true, (document->'organization')::text, (document->'sector')::text, (document->'summary')::text,
                NULL, NULL, NULL
            FROM custody_organization_views WHERE organization = \(id.rawValue)
            UNION ALL
            SELECT false, document->>'status', document->>'severity', document->>'criticality', deployment, incident,
                \(unescaped: ReadModelRow.composedDocument)::text
            FROM custody_exposures e WHERE organization = \(id.rawValue) AND is_current
            """
        ).decode((Bool, String, String?, String?, String?, String?, String?).self) {
            if isView {
                view = (first, second ?? "null", third ?? "null")
            } else if let text {
                rows.append(
                    (
                        try Self.order(
                            status: first, severity: second, criticality: third, deployment: deployment,
                            incident: incident), text
                    ))
            }
        }
        guard let view else { return nil }
        let exposures = rows.sorted { $0.order < $1.order }.map(\.text).joined(separator: ", ")
        // The keys in jsonb's order (by length, then bytes): asOf, sector, summary, exposures, organization.
        return "{\"asOf\": " + JSONValue.string(asOf.description).jsonbText + ", \"sector\": " + view.sector
            + ", \"summary\": " + view.summary + ", \"exposures\": [" + exposures + "], \"organization\": "
            + view.organization + "}"
    }

    private static func order(
        status: String, severity: String?, criticality: String?, deployment: String?, incident: String?
    ) throws -> Exposure.Order {
        do {
            return Exposure.Order(
                status: try ExposureStatus.parse(status), severity: try Severity.parse(severity ?? ""),
                criticality: try Criticality.parse(criticality ?? ""), deployment: try Slug(deployment ?? ""),
                incident: try Slug(incident ?? ""))
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
        let stream = subject.stream(id).description
        let every = subject == .incident
        var known = false
        var rows: [Exposure] = []
        for try await text in try await database.query(
            """
            (SELECT NULL::text FROM custody_events WHERE stream_id = \(stream) LIMIT 1)
            UNION ALL
            SELECT \(unescaped: ReadModelRow.composedDocument)::text FROM custody_exposures e
            WHERE \(unescaped: subject.rawValue) = \(id.rawValue) AND (is_current OR \(every))
            """
        ).decode(String?.self) {
            if let text {
                rows.append(try EventCoding.decode(Exposure.self, from: Data(text.utf8)))
            } else {
                known = true
            }
        }
        guard known else { return nil }
        return ExposureList(subject: subject.rawValue, id: id, asOf: .now, exposures: rows.sorted(by: <))
    }
}
