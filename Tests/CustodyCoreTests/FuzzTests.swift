import CustodyCore
import Foundation
import Testing

/// Seeded fuzzing of what arrives from outside: JSON Lines as `custody import` reads them. Every case must end
/// in a decoded event or a `CustodyError` with a one-line message; never a crash, never anything else.
@Suite struct FuzzTests {
    static let valid: [String] = [
        #"{"id":"6f1c1a52-0000-4000-8000-000000000001","type":"VendorRegistered","data":{"vendor":"mercor","name":"Mercor"},"occurredAt":"2026-01-01T00:00:00Z"}"#,
        #"{"id":"6f1c1a52-0000-4000-8000-000000000002","type":"BreachReported","data":{"incident":"m-1","vendor":"mercor","severity":"high","summary":"s","dataKinds":["rlhf"],"providers":[],"sources":[]},"occurredAt":"2026-03-27","metadata":{"actor":"a","source":"cli"}}"#,
        #"{"id":"6f1c1a52-0000-4000-8000-000000000003","type":"ExposureResponseRecorded","data":{"organization":"o","incident":"m-1","deployment":"d","state":"not-affected","owner":"x","justification":"no-sensitive-workload"},"occurredAt":"2026-04-01T12:00:00.5Z"}"#,
        #"{"id":"6f1c1a52-0000-4000-8000-000000000004","type":"ModelDeployed","data":{"deployment":"d","organization":"o","model":"m","workload":"w","criticality":"low"},"occurredAt":"2026-01-01","version":1,"position":9,"recordedAt":"2026-01-02T00:00:00Z","hash":"00000000000000000000000000000000000000000000000000000000000000ff","stream":"deployment-d"}"#,
    ]

    /// Replacements that break a line in the ways the issue lists.
    static let hostile: [String] = [
        "null", "true", "-1", "1e400", "123456789012345678901234567890", "-0.0", "\"\"", "[]", "{}", "\"\\u0000\"",
        "\"\\ud800\"", "\"2026-02-30\"", "\"9999-99-99T99:99:99Z\"", String(repeating: "[", count: 5000),
        "\"" + String(repeating: "x", count: 1_100_000) + "\"",
        "{\"a\":" + String(repeating: "{\"a\":", count: 40) + "1" + String(repeating: "}", count: 41),
        "\"NoSuchEvent\"", "\"not-a-uuid\"", "\"vendor-Mercor\"",
    ]

    enum Mutation: CaseIterable {
        case truncate, flipByte, insertInvalidUTF8, insertNUL, replaceValue, unknownField, unknownType, nest
    }

    func mutate(_ line: String, _ mutation: Mutation, _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = Array(line.utf8)
        let at = Int(random.next() % UInt64(bytes.count))
        switch mutation {
        case .truncate: return Array(bytes.prefix(at))
        case .flipByte: bytes[at] ^= UInt8(truncatingIfNeeded: random.next() | 1)
        case .insertInvalidUTF8: bytes.insert(contentsOf: [0xC3, 0x28, 0xFF], at: at)
        case .insertNUL: bytes.insert(0, at: at)
        case .replaceValue:
            // Replace the value after a random colon with something hostile.
            let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
            let colon = colons[Int(random.next() % UInt64(colons.count))]
            var end = colon + 1
            var depth = 0
            var inString = false
            while end < bytes.count {
                let b = bytes[end]
                if inString {
                    if b == UInt8(ascii: "\"") && bytes[end - 1] != UInt8(ascii: "\\") { inString = false }
                } else if b == UInt8(ascii: "\"") {
                    inString = true
                } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                    depth += 1
                } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                    if depth == 0 { break }
                    depth -= 1
                } else if b == UInt8(ascii: ","), depth == 0 {
                    break
                }
                end += 1
            }
            let replacement = Self.hostile[Int(random.next() % UInt64(Self.hostile.count))]
            bytes.replaceSubrange((colon + 1)..<end, with: Array(replacement.utf8))
        case .unknownField: bytes.insert(contentsOf: Array("\"surprise\":1,".utf8), at: 1)
        case .unknownType:
            return Array(
                line.replacingOccurrences(of: "Registered\"", with: "Registerd\"").replacingOccurrences(
                    of: "Reported\"", with: "Reportd\""
                ).utf8)
        case .nest: return Array((String(repeating: "[", count: 100 + at) + line).utf8)
        }
        return bytes
    }

    @Test func theValidLinesDecode() throws {
        for line in Self.valid { _ = try EventLine(parsing: Array(line.utf8)) }
    }

    @Test func thousandsOfHostileLinesNeverCrashAndAlwaysSayWhy() async {
        var random = SeededGenerator(seed: 20_261_129)
        var cases = 0
        var refused = 0
        for round in 0..<1500 {
            // CPU-bound for seconds: let the other tests' waiting work run now and then (two pool threads).
            if round % 50 == 0 { await Task.yield() }
            for line in Self.valid {
                let mutation = Mutation.allCases[Int(random.next() % UInt64(Mutation.allCases.count))]
                let bytes = mutate(line, mutation, &random)
                cases += 1
                do {
                    _ = try EventLine(parsing: bytes)
                } catch {
                    refused += 1
                    #expect(
                        !error.message.isEmpty && !error.message.contains("\n"),
                        "\(mutation): \(error.message.prefix(200))")
                    #expect(error.message.utf8.count < 2000, "\(mutation): an error message echoing a huge value")
                }
            }
        }
        #expect(cases == 6000)
        // Most mutations must be refused; a few (a flipped byte inside a name) leave a valid line.
        #expect(refused > cases * 3 / 4, "only \(refused) of \(cases) refused")
    }
}
