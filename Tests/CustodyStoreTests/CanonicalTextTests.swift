import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

/// The hash chain is defined over PostgreSQL's `jsonb` text, and the import computes it in Swift: for random
/// values, PostgreSQL is asked, not a list of strings someone once copied from it.
@Suite struct CanonicalTextTests {
    /// Characters chosen to find the differences that matter: every control character but NUL (which `jsonb`
    /// refuses), quotes and backslashes, `/`, DEL, composed and decomposed accents, U+2028/2029, a BOM,
    /// a noncharacter and characters beyond the BMP (surrogate pairs when escaped).
    static let alphabet: [Unicode.Scalar] =
        (0x01..<0x20).compactMap(Unicode.Scalar.init) + [
            "\"", "\\", "/", "\u{7F}", "a", "Z", "0", " ", "é", "e", "\u{301}",
            "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{FFFF}", "✓", "😀", "\u{10FFFF}", "中",
        ]

    struct Draw {
        var generator: SeededGenerator

        mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }

        mutating func text(maximum: Int) -> String {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<int(0...maximum) {
                scalars.append(CanonicalTextTests.alphabet[int(0...CanonicalTextTests.alphabet.count - 1)])
            }
            return String(scalars)
        }

        mutating func integer() -> Int64 {
            switch int(0...3) {
            case 0: return [Int64.min, Int64.max, 0, -1][int(0...3)]
            case 1: return Int64(int(-1000...1000))
            default: return Int64.random(in: Int64.min...Int64.max, using: &generator)
            }
        }

        mutating func value(depth: Int) -> JSONValue {
            switch depth >= 3 ? int(0...3) : int(0...5) {
            case 0: return .null
            case 1: return .bool(int(0...1) == 1)
            case 2: return .integer(integer())
            case 3: return .string(text(maximum: 40))
            case 4: return .array((0..<int(0...4)).map { _ in value(depth: depth + 1) })
            default: return object(depth: depth + 1)
            }
        }

        mutating func object(depth: Int) -> JSONValue {
            var members: [String: JSONValue] = [:]
            for _ in 0..<int(0...6) {
                // Keys of every length, including long ones: jsonb orders keys by byte length first.
                let key = int(0...9) == 0 ? text(maximum: 300) : text(maximum: 8)
                members[key] = value(depth: depth)
            }
            return .object(members)
        }

        /// The same value spelled loosely, as a client might: random whitespace, members in dictionary order,
        /// non-ASCII and `/` escaped at random (non-BMP as surrogate pairs).
        mutating func loose(_ value: JSONValue) -> String {
            let space = [" ", "", "\n", "\t", "  "][int(0...4)]
            switch value {
            case .object(let members):
                return "{" + space
                    + members.map { key, member in loose(.string(key)) + space + ":" + loose(member) }
                    .joined(separator: "," + space) + "}"
            case .array(let values):
                return "[" + values.map { loose($0) }.joined(separator: space + "," + space) + space + "]"
            case .string(let text):
                var out = "\""
                for scalar in text.unicodeScalars {
                    switch scalar {
                    case "\"": out += "\\\""
                    case "\\": out += "\\\\"
                    case "/" where int(0...1) == 1: out += "\\/"
                    case _ where scalar.value < 0x20 || (scalar.value > 0x7E && int(0...1) == 1):
                        out += Array(String(scalar).utf16).map { String(format: "\\u%04X", $0) }.joined()
                    default: out.unicodeScalars.append(scalar)
                    }
                }
                return out + "\""
            default:
                return value.jsonbText
            }
        }
    }

    @Test func swiftsCanonicalTextAndHashAreTheDatabases() async throws {
        try await TestDatabase.with { database in
            var draw = Draw(generator: SeededGenerator(seed: 20_261_201))
            for round in 0..<150 {
                let value = draw.object(depth: 0)
                let spelled = draw.loose(value)
                let parsed = try JSONParser.parse(Array(spelled.utf8))
                var postgres = ""
                for try await text in try await database.query("SELECT \(spelled)::jsonb::text").decode(String.self) {
                    postgres = text
                }
                #expect(parsed.jsonbText.utf8.elementsEqual(postgres.utf8), "round \(round): \(spelled)")
                #expect(parsed == value, "round \(round)")

                let metadata = JSONValue.object([
                    "actor": .string(draw.text(maximum: 20)), "source": .string(draw.text(maximum: 5)),
                ])
                let (id, stream, type) = (UUID(), draw.text(maximum: 12), draw.text(maximum: 12))
                let (version, schemaVersion) = (Int64(draw.int(1...1_000_000)), draw.int(1...9))
                let occurred = Timestamp(
                    microseconds: Int64(draw.int(-62_135_596_800_000_000...253_402_300_799_000_000)))
                let recorded = Timestamp(microseconds: Int64(draw.int(0...2_000_000_000_000_000)))
                let previous = (0..<32).map { _ in UInt8(draw.int(0...255)) }
                let swift = ChainHash.link(
                    previous: round == 0 ? [] : previous, id: id, stream: stream, version: version, type: type,
                    schemaVersion: schemaVersion, data: value, metadata: metadata, occurredAt: occurred,
                    recordedAt: recorded)
                let previousHex = round == 0 ? nil : ChainHash.hex(previous)
                var sql = ""
                for try await hex in try await database.query(
                    """
                    SELECT encode(custody_event_hash(decode(\(previousHex), 'hex'), \(id), \(stream), \(version), \(type),
                        \(Int32(schemaVersion)), \(spelled)::jsonb, \(draw.loose(metadata))::jsonb,
                        custody_from_micros(\(occurred.microseconds)), custody_from_micros(\(recorded.microseconds))), 'hex')
                    """
                ).decode(String.self) { sql = hex }
                #expect(ChainHash.hex(swift) == sql, "round \(round): \(spelled)")
            }
        }
    }
}
