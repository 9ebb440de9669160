/// An identifier of a registry entity or an incident: `[a-z0-9][a-z0-9-]{0,63}`.
///
/// Display names are separate, so ids stay stable, typeable and safe in stream names.
public struct Slug: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The slug's text.
    public let rawValue: String

    /// Validates `text`, naming the rule it breaks.
    public init(_ text: String, what: String = "id") throws(CustodyError) {
        let bytes = Array(text.utf8)
        func isAlphanumeric(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard let first = bytes.first, isAlphanumeric(first), bytes.count <= 64,
            bytes.allSatisfy({ isAlphanumeric($0) || $0 == 0x2D })
        else {
            throw .invalidValue(
                what: what, value: text,
                accepted: "lower-case letters, digits and '-', starting with a letter or digit, at most 64 characters")
        }
        rawValue = text
    }

    /// The id as written.
    public var description: String { rawValue }
    /// Alphabetical.
    public static func < (lhs: Slug, rhs: Slug) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Decodes a JSON string, refusing one that is not a valid id.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Slug(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    /// Encodes as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
