/// A JSON document as a tree, used where the exact bytes matter: the canonical form of events for the hash chain,
/// and strict decoding that refuses unknown fields.
public enum JSONValue: Hashable, Sendable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    /// A number with a fraction or exponent, kept as its literal text. Events never hold one (their payloads
    /// refuse it); read models do (shares, ratios).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(String(value))
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            // Events hold no fractions: a number that is not a 64-bit integer is malformed input, not data.
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected a string, integer, boolean, array or object"))
        }
    }

    /// Encodes the value as it is.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let text): try container.encode(Double(text) ?? 0)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// The text PostgreSQL prints for this value as `jsonb`: object keys ordered by byte length and then bytes,
    /// `", "` and `": "` separators, and `escape_json`'s escapes. The hash chain is defined over this text, so the
    /// import (in Swift) and `custody verify` (in SQL) compute the same bytes.
    public var jsonbText: String {
        var output = ""
        write(into: &output)
        return output
    }

    func write(into output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .integer(let value): output += String(value)
        case .number(let text): output += text
        case .string(let value): Self.writeString(value, into: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += ", " }
                value.write(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            let keys = members.keys.sorted { lhs, rhs in
                let (l, r) = (lhs.utf8.count, rhs.utf8.count)
                return l != r ? l < r : lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
            }
            for (index, key) in keys.enumerated() {
                if index > 0 { output += ", " }
                Self.writeString(key, into: &output)
                output += ": "
                members[key, default: .null].write(into: &output)
            }
            output += "}"
        }
    }

    static func writeString(_ value: String, into output: inout String) {
        output += "\""
        // Most strings need no escape: copy them whole.
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
            output += value
            output += "\""
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count + 8)
        for byte in value.utf8 {
            switch byte {
            case 0x08: bytes += [0x5C, UInt8(ascii: "b")]
            case 0x0C: bytes += [0x5C, UInt8(ascii: "f")]
            case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
            case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [
                    0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)],
                    hex[Int(byte & 0x0F)],
                ]
            default: bytes.append(byte)
            }
        }
        output += String(decoding: bytes, as: UTF8.self)
        output += "\""
    }

    /// Paths of object members present in `self` but absent from `known` (recursively): what a strict decoder
    /// must refuse, because `Codable` silently drops fields it does not know.
    public func unknownFields(comparedTo known: JSONValue, path: String = "") -> [String] {
        switch (self, known) {
        case (.object(let members), .object(let knownMembers)):
            return members.keys.sorted().flatMap { key -> [String] in
                let child = path.isEmpty ? key : path + "." + key
                guard let knownValue = knownMembers[key] else {
                    return members[key] == .null ? [] : [child]
                }
                return members[key, default: .null].unknownFields(comparedTo: knownValue, path: child)
            }
        case (.array(let values), .array(let knownValues)) where values.count == knownValues.count:
            return zip(values, knownValues).enumerated().flatMap { index, pair in
                pair.0.unknownFields(comparedTo: pair.1, path: "\(path)[\(index)]")
            }
        default:
            return []
        }
    }
}

extension JSONValue {
    /// The text of a string value; nil for any other kind.
    public var text: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}

extension [String: JSONValue] {
    /// A member that must hold a string when present; nil when it is absent or null. `context` prefixes the error
    /// with where the object sits ("metadata: ").
    func string(_ key: String, context: String = "") throws(CustodyError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw .malformedEvent("\(context)'\(key)' must be a string")
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// A JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
}
