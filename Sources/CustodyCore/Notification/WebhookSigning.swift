import Crypto
import Foundation

/// A subscription's signing secret, as Standard Webhooks writes it: `whsec_` and the key's bytes in base64.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    /// The key's bytes.
    public let key: [UInt8]

    /// A secret from key bytes the caller drew from a secure random source (the core draws none); 24 to 64 bytes.
    public init?(key: [UInt8]) {
        guard (24...64).contains(key.count) else { return nil }
        self.key = key
    }

    /// Parses `whsec_…` (the prefix is optional, as in the Standard Webhooks libraries).
    public init(parsing text: String) throws(CustodyError) {
        let encoded = text.hasPrefix("whsec_") ? String(text.dropFirst(6)) : text
        guard let bytes = Data(base64Encoded: encoded), let secret = WebhookSecret(key: Array(bytes)) else {
            throw .invalidValue(
                what: "webhook secret", value: "whsec_…", accepted: "whsec_ and 24 to 64 bytes in base64")
        }
        self = secret
    }

    /// `whsec_` and the key in base64, as Standard Webhooks writes it.
    public var description: String { "whsec_" + Data(key).base64EncodedString() }
}

/// Standard Webhooks signing (standardwebhooks.com): `v1,` and the base64 HMAC-SHA256, under the secret, of
/// `id.timestamp.body`. Any receiver verifies it with that specification's libraries.
public enum WebhookSignature {
    /// The `webhook-signature` value for one message: `id` is the same for every attempt (`webhook-id`), and
    /// `timestamp` is the attempt's, in seconds (`webhook-timestamp`).
    public static func sign(id: String, timestamp: Int64, body: String, secret: WebhookSecret) -> String {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: secret.key))
        mac.update(data: Array("\(id).\(timestamp).\(body)".utf8))
        return "v1," + Data(mac.finalize()).base64EncodedString()
    }

    /// The header when a secret is being rotated: one signature per secret, space-separated, the new one first.
    public static func header(id: String, timestamp: Int64, body: String, secrets: [WebhookSecret]) -> String {
        secrets.map { sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }

    /// Whether any `v1` signature of `header` is this message's under `secret`, compared in constant time.
    public static func verify(header: String, id: String, timestamp: Int64, body: String, secret: WebhookSecret) -> Bool
    {
        let expected = Array(sign(id: id, timestamp: timestamp, body: body, secret: secret).utf8)
        return header.split(separator: " ").contains { candidate in
            let given = Array(candidate.utf8)
            guard given.count == expected.count else { return false }
            return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }
}
