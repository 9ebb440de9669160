import CustodyCore
import Foundation
import Testing

@Suite struct EventLineTests {
    func recorded() throws -> RecordedEvent {
        RecordedEvent(
            id: UUID(), stream: .vendor(try Slug("mercor")), version: 1, position: 7,
            event: .vendorRegistered(VendorRegistered(vendor: try Slug("mercor"), name: "Mercor \"M\"\n")),
            metadata: EventMetadata(actor: "ana", source: "cli", correlationId: "c-1"),
            occurredAt: try Timestamp(parsing: "2023-01-01"), recordedAt: try Timestamp(parsing: "2026-11-29T04:06:55.308555Z"),
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
        (#"{"id": "6f1c1a52-0000-4000-8000-000000000000", "type": "VendorRegistered", "data": {"vendor": "m", "name": "M"}, "occurredAt": "2026-01-01", "extra": 1}"#, "unknown field 'extra'"),
        (#"{"id": "nope", "type": "VendorRegistered", "data": {}, "occurredAt": "2026-01-01"}"#, "invalid event id"),
        (#"{"id": "6f1c1a52-0000-4000-8000-000000000000", "type": "VendorRegistered", "data": {"vendor": 5, "name": "M"}, "occurredAt": "2026-01-01"}"#, "vendor"),
        (#"{"id": "6f1c1a52-0000-4000-8000-000000000000", "type": "VendorRegistered", "data": {"vendor": "m", "name": "M"}}"#, "missing field 'occurredAt'"),
        (#"{"id": "6f1c1a52-0000-4000-8000-000000000000", "type": "VendorRegistered", "data": {"vendor": "m", "name": "M"}, "occurredAt": "2026-01-01", "stream": "vendor-x"}"#, "belongs to vendor-m"),
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
