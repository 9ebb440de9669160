import CustodyCore
import Foundation
import Testing

@Suite struct EventLineTests {
    func recorded() throws -> RecordedEvent {
        RecordedEvent(
            id: UUID(), stream: .vendor(try Slug("mercor")), version: 1, position: 7,
            event: .vendorRegistered(VendorRegistered(vendor: try Slug("mercor"), name: "Mercor \"M\"\n")),
            metadata: EventMetadata(actor: "ana", source: "cli", correlationId: "c-1"),
            occurredAt: try Timestamp(parsing: "2023-01-01"),
            recordedAt: try Timestamp(parsing: "2026-11-29T04:06:55.308555Z"),
            hash: Array(repeating: 0xAB, count: 32))
    }

    @Test func anExportedLineParsesBackToTheSameEvent() throws {
        let event = try recorded()
        let line = EventLine.render(event, cursor: "10-7")
        let parsed = try EventLine(parsing: Array(line.utf8))
        #expect(parsed == EventLine(event))
    }

    @Test func theChainLinkDependsOnEveryField() throws {
        let event = try recorded()
        var other = event
        other.occurredAt = event.occurredAt.adding(seconds: 1)
        #expect(event.expectedHash(after: []) != other.expectedHash(after: []))
        #expect(event.expectedHash(after: []) != event.expectedHash(after: [1]))
        #expect(event.expectedHash(after: []).count == 32)
    }

    @Test(arguments: [
        (#"{"id": "x"#, "invalid JSON at byte 10: unterminated string"),
        (#"[1, 2]"#, "not a JSON object"),
        (
            #"{"id": "6f1c1a52-0000-4000-8000-000000000000", "type": "VendorRegistered", "data": {"vendor": "m", "name": "M"}, "occurredAt": "2026-01-01", "extra": 1}"#,
            "unknown field 'extra'"
        ),
        (#"{"id": "nope", "type": "VendorRegistered", "data": {}, "occurredAt": "2026-01-01"}"#, "invalid event id"),
        (
            #"{"id": "6f1c1a52-0000-4000-8000-000000000000", "type": "VendorRegistered", "data": {"vendor": 5, "name": "M"}, "occurredAt": "2026-01-01"}"#,
            "vendor"
        ),
        (
            #"{"id": "6f1c1a52-0000-4000-8000-000000000000", "type": "VendorRegistered", "data": {"vendor": "m", "name": "M"}}"#,
            "missing field 'occurredAt'"
        ),
        (
            #"{"id": "6f1c1a52-0000-4000-8000-000000000000", "type": "VendorRegistered", "data": {"vendor": "m", "name": "M"}, "occurredAt": "2026-01-01", "stream": "vendor-x"}"#,
            "belongs to vendor-m"
        ),
    ])
    func malformedLinesAreRefusedWithTheReason(line: String, reason: String) {
        do {
            _ = try EventLine(parsing: Array(line.utf8))
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }
}

/// docs/events.md documents every event type the code can write, and its examples are events the code reads.
@Suite struct EventDocumentationTests {
    @Test func everyEventTypeIsDocumentedWithAnExampleThatDecodes() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/events.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let sections = text.components(separatedBy: "\n### ").dropFirst()
        let documented = sections.map { String($0.prefix { $0 != "\n" }) }
        #expect(Set(documented) == Set(DomainEvent.catalog.map { $0.type }), "documented: \(documented)")
        #expect(documented.count == DomainEvent.catalog.count, "a type is documented twice")
        for section in sections {
            let type = String(section.prefix { $0 != "\n" })
            let example = try #require(
                section.split(separator: "\n").last { $0.hasPrefix("`{") }, "\(type) has no example")
            let data = try JSONParser.parse(Array(example.dropFirst().dropLast().utf8))
            #expect(throws: Never.self, "\(type)") { try DomainEvent(type: type, schemaVersion: 1, data: data) }
        }
    }
}
