import Crypto
import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

/// A seal catches what per-stream hash chains cannot, and names it.
@Suite struct SealTests {
    let key = Curve25519.Signing.PrivateKey()

    /// A sealed log of 3 vendors and 300 findings (more than one block), and what `tamper` does to it afterwards.
    func differences(after tamper: String...) async throws -> [String] {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            _ = try await store.append([Fixture.vendor("a"), Fixture.vendor("b"), Fixture.vendor("c")])
            for index in 0..<300 {
                _ = try await store.append([Fixture.finding("inv-\(index % 7)", "finding \(index)")])
            }
            _ = try await store.waitForLog(count: 303)
            let (builder, position) = try await store.sealBuilder()
            let seal = try Seal(parsing: try builder.seal(cursor: String(position), at: .now, key: key).json)
            #expect(builder.differences(from: seal).isEmpty)
            // After the seal: a later event is outside it and changes nothing.
            _ = try await store.append([Fixture.vendor("d")])
            // The attacker can alter the database (owner rights); the triggers are no obstacle to them.
            try await database.query("ALTER TABLE custody_events DISABLE TRIGGER USER")
            for statement in tamper { try await database.query(PostgresQuery(unsafeSQL: statement)) }
            try await database.query("ALTER TABLE custody_events ENABLE TRIGGER USER")
            return try await store.sealBuilder(through: position).differences(from: seal)
        }
    }

    @Test func anUntouchedLogMatches() async throws {
        #expect(try await differences(after: "SELECT 1").isEmpty)
    }

    @Test func aDeletedStreamIsNamed() async throws {
        let found = try await differences(
            after: "DELETE FROM custody_events WHERE stream_id = 'vendor-b'")
        #expect(found.first == "stream vendor-b is missing (sealed with 1 event(s)): deleted")
        #expect(found.contains("302 event(s) up to the seal's cursor, sealed with 303"))
    }

    @Test func aCutTailIsNamed() async throws {
        let found = try await differences(
            after: """
                DELETE FROM custody_events WHERE position IN (SELECT position FROM custody_events
                  WHERE stream_id LIKE 'investigation-%' ORDER BY position DESC LIMIT 2)
                """)
        #expect(found.contains { $0.contains("ends at version") && $0.contains("its tail was cut off") }, "\(found)")
    }

    @Test func anEditedPayloadIsNamedEvenWithItsHashLeftAlone() async throws {
        let found = try await differences(
            after: """
                UPDATE custody_events SET data = jsonb_set(data, '{finding}', '"nothing to see"')
                WHERE stream_id = 'investigation-inv-3' AND stream_version = 5
                """)
        #expect(
            found.contains(
                "stream investigation-inv-3 up to version 43 differs from the seal: an event's content was changed"),
            "\(found)")
        #expect(found.contains { $0.hasPrefix("the log differs from the seal from event #1 to #256") }, "\(found)")
    }

    @Test func twoReorderedEventsAreLocated() async throws {
        // Swap the positions of the 290th and 291st events (both in the second block of 256).
        let pick = "(SELECT position FROM custody_events WHERE position > 0 ORDER BY position OFFSET 289 LIMIT 1)"
        let found = try await differences(
            after: "UPDATE custody_events SET position = -position WHERE position = \(pick)",
            "UPDATE custody_events SET position = (SELECT -position FROM custody_events WHERE position < 0) WHERE position = \(pick)",
            "UPDATE custody_events SET position = (SELECT -position FROM custody_events WHERE position < 0) + 1 WHERE position < 0"
        )
        #expect(found.contains { $0.hasPrefix("the log differs from the seal from event #257 to #512") }, "\(found)")
    }

    @Test func anAlteredOrForeignSealIsRefused() throws {
        var builder = Seal.Builder()
        builder.add(
            RecordedEvent(
                id: UUID(), stream: .vendor(Fixture.slug("a")), version: 1, position: 1,
                event: .vendorRegistered(VendorRegistered(vendor: Fixture.slug("a"), name: "A")),
                metadata: EventMetadata(actor: "t", source: "t"), occurredAt: Fixture.at("2026-01-01"),
                recordedAt: Fixture.at("2026-01-01"), hash: []))
        let text = try builder.seal(cursor: "1-1", at: .now, key: key).json
        #expect(throws: CustodyError.self) {
            try Seal(parsing: text.replacingOccurrences(of: "\"events\": 1", with: "\"events\": 2"))
        }
        let other = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
        #expect(throws: CustodyError.conflict("the seal was signed by another key than the one trusted")) {
            try Seal(parsing: text, trusting: Array(other))
        }
        #expect(try Seal(parsing: text, trusting: Array(key.publicKey.rawRepresentation)).events == 1)
    }
}
