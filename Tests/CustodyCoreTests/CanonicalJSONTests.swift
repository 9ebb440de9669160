import CustodyCore
import Foundation
import Testing

/// The hash chain depends on reproducing PostgreSQL's jsonb text exactly; the expected strings below are what
/// PostgreSQL 15 prints for the same values (`SELECT '...'::jsonb::text`).
@Suite struct CanonicalJSONTests {
    @Test func keysAreOrderedByLengthThenBytes() {
        let value = JSONValue.object(["b": .integer(1), "aa": .string("x"), "a": .null, "ab": .bool(true)])
        #expect(value.jsonbText == #"{"a": null, "b": 1, "aa": "x", "ab": true}"#)
    }

    @Test func stringsUseJsonbEscapes() {
        let value = JSONValue.array([.string("line\nbreak\t\"quoted\" back\\slash \u{01} é ✓")])
        #expect(value.jsonbText == #"["line\nbreak\t\"quoted\" back\\slash \u0001 é ✓"]"#)
    }

    @Test func emptyContainers() {
        #expect(JSONValue.object([:]).jsonbText == "{}")
        #expect(JSONValue.array([]).jsonbText == "[]")
    }

    @Test func eventDataRoundTripsThroughItsJSON() throws {
        let breach = BreachReported(
            incident: try Slug("mercor-2026-03"), vendor: try Slug("mercor"), severity: .high, summary: "s",
            dataKinds: [.rlhf], providers: [], sources: ["https://example.org/a"],
            disclosedAt: try Timestamp(parsing: "2026-03-31"))
        let event = DomainEvent.breachReported(breach)
        let decoded = try DomainEvent(type: event.type, schemaVersion: 1, data: event.data)
        #expect(decoded == event)
    }

    @Test func unknownFieldsInEventDataAreRefused() throws {
        let data = JSONValue.object(["vendor": .string("mercor"), "name": .string("Mercor"), "color": .string("red")])
        #expect(throws: CustodyError.malformedEvent("VendorRegistered data has unknown field(s): color")) {
            try DomainEvent(type: "VendorRegistered", schemaVersion: 1, data: data)
        }
    }

    @Test func unknownTypesAndNewerSchemasAreRefused() {
        let data = JSONValue.object(["vendor": .string("mercor"), "name": .string("Mercor")])
        #expect(throws: CustodyError.self) { try DomainEvent(type: "VendorExploded", schemaVersion: 1, data: data) }
        #expect(throws: CustodyError.self) { try DomainEvent(type: "VendorRegistered", schemaVersion: 2, data: data) }
    }
}

@Suite struct JSONParserTests {
    @Test func parsesWhatEventsHold() throws {
        let value = try JSONParser.parse(
            Array(#" {"a": [1, -2, true, false, null], "b": "x\"\\\/\n\u00e9\ud83d\ude00"} "#.utf8))
        #expect(
            value
                == .object([
                    "a": .array([.integer(1), .integer(-2), .bool(true), .bool(false), .null]),
                    "b": .string("x\"\\/\né😀"),
                ]))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01x", "1.", "1e", "-", "99999999999999999999", "\"\\ud800\"", "\"tab\tinside\"",
        "{} extra", String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "tru",
    ])
    func refusesMalformedInput(text: String) {
        #expect(throws: CustodyError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func keepsFractionsAsTheirText() throws {
        #expect(try JSONParser.parse(Array("[0.5, 1e-3]".utf8)) == .array([.number("0.5"), .number("1e-3")]))
    }

    @Test func eventDataRefusesFractions() {
        let data = JSONValue.object(["vendor": .string("m"), "name": .number("1.5")])
        #expect(throws: CustodyError.self) { try DomainEvent(type: "VendorRegistered", schemaVersion: 1, data: data) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: CustodyError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    @Test func renderingAndParsingRoundTrip() throws {
        let value = JSONValue.object(["k": .string("ctl \u{01}\u{1F} quote \" slash \\ ✓"), "n": .integer(Int64.min)])
        #expect(try JSONParser.parse(Array(value.jsonbText.utf8)) == value)
    }
}

/// What the parser refuses although some JSON parsers accept it (issue 14): each would be stored differently
/// from what was written, or fail inside PostgreSQL without naming the line.
@Suite struct HostileJSONTests {
    @Test(arguments: [
        #"{"id": 1, "id": 2}"#, #"{"a": 01}"#, #"{"a": -007}"#, #"{"a": "\u0000"}"#, #"{"\u0000": 1}"#,
    ])
    func isRefused(text: String) {
        #expect(throws: CustodyError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test(arguments: [#"{"a": 0}"#, #"{"a": -0.5}"#, #"{"a": 10}"#, #"{"a": "\u0001"}"#])
    func isAccepted(text: String) throws {
        _ = try JSONParser.parse(Array(text.utf8))
    }
}
