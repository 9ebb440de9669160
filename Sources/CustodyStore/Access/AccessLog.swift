import CustodyCore
import Foundation
import PostgresNIO

/// One read through the HTTP API, as the access log keeps it.
public struct AccessRecord: Sendable, Equatable, Codable {
    /// When the request was answered.
    public var at: Timestamp
    /// Nil under `--no-auth` and for requests refused before a token was recognized.
    public var tokenId: String?
    /// `admin`, an organization's id, or `none` when no valid token was given.
    public var scope: String
    /// The organization the request was about, when its path names one.
    public var subject: String?
    /// The matched route's pattern.
    public var route: String
    /// The path asked for.
    public var path: String
    /// The HTTP status answered.
    public var status: Int
    /// The request's id, as the response's header gave it.
    public var requestId: String

    /// A record, every field given.
    public init(
        at: Timestamp, tokenId: String?, scope: String, subject: String?, route: String, path: String, status: Int,
        requestId: String
    ) {
        (self.at, self.tokenId, self.scope, self.subject, self.route) = (at, tokenId, scope, subject, route)
        (self.path, self.status, self.requestId) = (path, status, requestId)
    }
}

/// `custody_access_log`: appended in batches by the server, read by `custody access-log`.
public struct AccessLog: Sendable {
    /// The database holding the access log.
    public let database: Database

    /// The access log of `database`.
    public init(_ database: Database) { self.database = database }

    /// Appends a batch in one statement (absent token ids and subjects travel as empty text: ids are never empty).
    public func append(_ records: [AccessRecord]) async throws {
        guard !records.isEmpty else { return }
        try await database.query(
            """
            INSERT INTO custody_access_log (at, token_id, scope, subject, route, path, status, request_id)
            SELECT custody_from_micros(a), NULLIF(t, ''), s, NULLIF(j, ''), r, p, c, q
            FROM unnest(\(records.map(\.at.microseconds))::bigint[], \(records.map { $0.tokenId ?? "" })::text[],
                        \(records.map(\.scope))::text[], \(records.map { $0.subject ?? "" })::text[], \(records.map(\.route))::text[],
                        \(records.map(\.path))::text[], \(records.map { Int32($0.status) })::int[], \(records.map(\.requestId))::text[])
                 AS x(a, t, s, j, r, p, c, q)
            """)
    }

    /// Reads about an organization: by its own tokens, or about it by anyone (admins included); newest first.
    public func records(organization: Slug?, since: Timestamp?, limit: Int) async throws -> [AccessRecord] {
        let rows = try await database.query(
            """
            SELECT custody_micros(at), token_id, scope, subject, route, path, status, request_id FROM custody_access_log
            WHERE (\(organization?.rawValue)::text IS NULL OR scope = \(organization?.rawValue) OR subject = \(organization?.rawValue))
              AND (\(since?.microseconds)::bigint IS NULL OR at >= custody_from_micros(\(since?.microseconds)))
            ORDER BY at DESC, id DESC LIMIT \(limit)
            """)
        var records: [AccessRecord] = []
        for try await (at, token, scope, subject, route, path, status, request) in rows.decode(
            (Int64, String?, String, String?, String, String, Int32, String).self)
        {
            records.append(
                AccessRecord(
                    at: Timestamp(microseconds: at), tokenId: token, scope: scope, subject: subject, route: route,
                    path: path,
                    status: Int(status), requestId: request))
        }
        return records
    }
}
