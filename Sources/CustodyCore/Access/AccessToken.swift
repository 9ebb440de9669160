import Crypto
import Foundation

/// Who a bearer token speaks for: everything (admin) or one organization.
public enum AccessScope: Hashable, Sendable, CustomStringConvertible {
    case admin
    case organization(Slug)

    /// The organization a scoped token is limited to; nil for admin.
    public var organization: Slug? {
        if case .organization(let id) = self { return id }
        return nil
    }

    /// `admin`, or the organization's id, as listings and the access log show it.
    public var description: String { organization?.rawValue ?? "admin" }

    /// Whether this scope may see what belongs to `organization`.
    public func permits(_ organization: Slug) -> Bool {
        self == .admin || self == .organization(organization)
    }
}

/// A bearer token of the HTTP API: `custody_<id>_<secret>`.
///
/// The id is public (it names the token in listings, revocations and the access log); the secret is 256 random
/// bits. Only SHA-256 of the whole text is stored, so a leaked table grants nothing, and the hash is compared in
/// constant time after the row is found by id, so timing tells nothing about the stored hash.
public struct AccessToken: Sendable, Equatable {
    /// The token's public id.
    public let id: String
    /// The whole token as the caller presents it (`custody_<id>_<secret>`); never stored.
    public let text: String

    /// A new token from 8 random bytes (its id) and 32 (its secret). The caller draws them from a secure random
    /// source (`TokenStore` does); the core only shapes them, as it reads no clock and draws no randomness.
    public init?(idBytes: [UInt8], secretBytes: [UInt8]) {
        guard idBytes.count == 8, secretBytes.count == 32 else { return nil }
        let id = ChainHash.hex(idBytes)
        self.init(id: id, text: "custody_\(id)_\(Self.base64URL(secretBytes))")
    }

    /// The token in an `Authorization: Bearer` value; nil when it is not shaped like one of ours.
    public init?(parsing text: String) {
        let parts = text.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard text.utf8.count <= 128, parts.count == 3, parts[0] == "custody", parts[1].utf8.count == 16,
            parts[1].utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }), parts[2].utf8.count == 43
        else { return nil }
        self.init(id: String(parts[1]), text: text)
    }

    private init(id: String, text: String) { (self.id, self.text) = (id, text) }

    /// What is stored: SHA-256 of the whole token text.
    public var hash: [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }

    /// Whether this token's hash equals `stored`, taking the same time wherever they differ.
    public func matches(_ stored: [UInt8]) -> Bool {
        let mine = hash
        guard mine.count == stored.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(mine, stored) { difference |= a ^ b }
        return difference == 0
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
