import Crypto
import CustodyCore
import Foundation
import NIOCore
import PostgresNIO

/// The API's bearer tokens in `custody_tokens`: created and revoked by the operator, read by the server.
public struct TokenStore: Sendable {
    /// The database holding the tokens.
    public let database: Database

    /// The tokens of `database`.
    public init(_ database: Database) { self.database = database }

    /// A stored token as listings show it: never its secret or hash.
    public struct Token: Sendable, Equatable, Codable {
        /// The token's id (not its secret).
        public var id: String
        /// `admin`, or the organization's id, as listings show it; `admin` and `organization` say which.
        public var scope: String
        /// The scope, structured: an admin token has no organization, an organization's token is never admin,
        /// whatever the organization's id.
        public var admin: Bool
        /// The organization it is scoped to; nil for an admin token.
        public var organization: String?
        /// What it is for, as given.
        public var label: String
        /// When it was made.
        public var createdAt: Timestamp
        /// When it stops working, when set.
        public var expiresAt: Timestamp?
        /// When it was revoked, if it was.
        public var revokedAt: Timestamp?

        /// Nil only for a row whose organization is not a valid id (never written by `create`).
        public var access: AccessScope? {
            if admin { return organization == nil ? .admin : nil }
            return organization.flatMap { try? Slug($0, what: "organization id") }.map(AccessScope.organization)
        }
    }

    /// Creates a token and returns it with its text, which is shown once and never stored.
    public func create(_ scope: AccessScope, label: String, expiresAt: Timestamp?) async throws -> (Token, AccessToken)
    {
        if let organization = scope.organization {
            let (registry, _, _) = try await EventStore(database).registry(
                for: [.organization(organization)], including: UUID())
            guard registry.organizations[organization] != nil else {
                throw CustodyError.unknown(what: "organization", id: organization.rawValue)
            }
        }
        // The system's secure random source, through swift-crypto.
        func random(_ bits: Int) -> [UInt8] {
            SymmetricKey(size: SymmetricKeySize(bitCount: bits)).withUnsafeBytes { Array($0) }
        }
        guard let token = AccessToken(idBytes: random(64), secretBytes: random(256)) else {
            throw StoreError.database("a token could not be made from the random bytes")
        }
        let rows = try await database.query(
            """
            INSERT INTO custody_tokens (id, secret_hash, organization, admin, label, expires_at)
            VALUES (\(token.id), \(ByteBuffer(bytes: token.hash)), \(scope.organization?.rawValue), \(scope == .admin),
                    \(label), custody_from_micros(\(expiresAt?.microseconds)))
            RETURNING \(unescaped: Self.columns)
            """)
        for try await row in rows { return (try Self.decode(row), token) }
        throw StoreError.database("the new token was not returned")
    }

    /// Revokes a token; false when there is no such token or it was already revoked.
    public func revoke(id: String) async throws -> Bool {
        let rows = try await database.query(
            "UPDATE custody_tokens SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING id")
        for try await _ in rows { return true }
        return false
    }

    /// Every token ever created, revoked and expired ones included (their secrets were never stored).
    public func list() async throws -> [Token] {
        var tokens: [Token] = []
        for try await row in try await database.query(
            "SELECT \(unescaped: Self.columns) FROM custody_tokens ORDER BY created_at, id")
        {
            tokens.append(try Self.decode(row))
        }
        return tokens
    }

    /// The scope `token` grants now; nil when it is unknown, revoked, expired or does not match its stored hash.
    public func authenticate(_ token: AccessToken, now: Timestamp = .now) async throws -> (Token, AccessScope)? {
        let rows = try await database.query(
            "SELECT \(unescaped: Self.columns), secret_hash FROM custody_tokens WHERE id = \(token.id)")
        for try await row in rows {
            let (id, admin, organization, label, created, expires, revoked, hash) = try row.decode(
                (String, Bool, String?, String, Int64, Int64?, Int64?, ByteBuffer).self)
            let stored = Self.token(id, admin, organization, label, created, expires, revoked)
            guard token.matches(Array(buffer: hash)), stored.revokedAt == nil,
                stored.expiresAt.map({ $0 > now }) ?? true, let access = stored.access
            else { return nil }
            return (stored, access)
        }
        return nil
    }

    /// The scope of the token with this id while it is valid (not revoked, not expired): how a web session,
    /// which holds the token's id and never the token, learns that its token was revoked.
    public func scope(ofValidToken id: String, now: Timestamp = .now) async throws -> AccessScope? {
        let rows = try await database.query("SELECT \(unescaped: Self.columns) FROM custody_tokens WHERE id = \(id)")
        for try await row in rows {
            let stored = try Self.decode(row)
            guard stored.revokedAt == nil, stored.expiresAt.map({ $0 > now }) ?? true else { return nil }
            return stored.access
        }
        return nil
    }

    private static let columns = """
        id, admin, organization, label, custody_micros(created_at), custody_micros(expires_at),
        custody_micros(revoked_at)
        """

    private static func decode(_ row: PostgresRow) throws -> Token {
        let (id, admin, organization, label, created, expires, revoked) = try row.decode(
            (String, Bool, String?, String, Int64, Int64?, Int64?).self)
        return token(id, admin, organization, label, created, expires, revoked)
    }

    private static func token(
        _ id: String, _ admin: Bool, _ organization: String?, _ label: String, _ created: Int64, _ expires: Int64?,
        _ revoked: Int64?
    ) -> Token {
        Token(
            id: id, scope: admin ? "admin" : organization ?? "", admin: admin, organization: organization, label: label,
            createdAt: Timestamp(microseconds: created),
            expiresAt: expires.map(Timestamp.init(microseconds:)), revokedAt: revoked.map(Timestamp.init(microseconds:))
        )
    }
}
