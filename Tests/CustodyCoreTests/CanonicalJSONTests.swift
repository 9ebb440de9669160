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
