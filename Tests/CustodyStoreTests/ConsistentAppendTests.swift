import CustodyCore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CustodyStore

/// Appends decided on a state that cannot change before they land, and record times that never go back.
@Suite struct ConsistentAppendTests {
    /// A retraction racing the opening of an investigation of the same incident: whichever lands first, the
    /// opening is never recorded after the retraction (it was checked against a standing incident that had
    /// already been retracted).
    @Test func aRetractionRacingAnInvestigationNeverLetsBothStand() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            _ = try await store.append([Fixture.vendor("mercor"), Fixture.provider("openai")])
            var outcomes: [String: Int] = [:]
            for round in 0..<150 {
                let incident = "race-\(round)"
                _ = try await store.record(
                    Fixture.proposed(
                        BreachReported(
                            incident: Fixture.slug(incident), vendor: Fixture.slug("mercor"), severity: .high,
                            summary: "s",
                            dataKinds: [], providers: [], sources: [], disclosedAt: nil), at: "2025-12-01"))
                async let opened: Bool = Self.accepted {
                    try await store.record(
                        Fixture.proposed(
                            InvestigationOpened(
                                investigation: Fixture.slug("inv-\(round)"), incident: Fixture.slug(incident),
                                provider: Fixture.slug("openai"))))
                }
                async let retracted: Bool = Self.accepted {
                    try await store.record(
                        Fixture.proposed(IncidentRetracted(incident: Fixture.slug(incident), reason: "mistaken")))
                }
                let (open, retract) = try await (opened, retracted)
                outcomes["\(open)/\(retract)", default: 0] += 1
                let streams = try await store.read(streams: [
                    .incident(Fixture.slug(incident)), .investigation(Fixture.slug("inv-\(round)")),
                ])
                guard let retraction = streams.first(where: { $0.event.type == "IncidentRetracted" }),
                    let opening = streams.first(where: { $0.event.type == "InvestigationOpened" })
                else { continue }
                #expect(
                    opening.position < retraction.position, "round \(round): opened after the incident was retracted")
            }
            #expect(outcomes.values.reduce(0, +) == 150)
            #expect(outcomes["false/false"] == nil, "\(outcomes)")
        }
    }

    static func accepted(_ record: () async throws -> EventStore.Appended) async throws -> Bool {
        do {
            _ = try await record()
            return true
        } catch CustodyError.conflict {
            return false
        }
    }

    /// A writer whose transaction began before another writer's commit still records a later time on the stream.
    @Test func recordTimesNeverGoBackAlongAStream() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            _ = try await store.append([Fixture.vendor("mercor")])
            let late = try await database.withTransaction { connection -> Int64 in
                try await connection.query("SELECT now()", logger: database.logger)
                try await Task.sleep(for: .milliseconds(50))
                // Meanwhile another writer appends to the same stream and commits.
                let other = try await store.append([Fixture.finding("inv", "first")])
                _ = other
                var recorded: Int64 = 0
                for try await value in try await connection.query(
                    """
                    SELECT recorded_at FROM custody_append(ARRAY['investigation-inv'], ARRAY[-1::bigint], ARRAY[gen_random_uuid()],
                        ARRAY['investigation-inv'], ARRAY['InvestigationFindingRecorded'], ARRAY[1],
                        ARRAY['{"finding": "second", "investigation": "inv"}'], ARRAY['{"actor": "t", "source": "t"}'],
                        ARRAY[custody_micros(now())])
                    """, logger: database.logger
                ).decode(Int64.self) { recorded = value }
                return recorded
            }
            let stream = try await store.read(streams: [.investigation(Fixture.slug("inv"))])
            #expect(stream.count == 2)
            #expect(stream[1].recordedAt.microseconds == late)
            #expect(stream[1].recordedAt >= stream[0].recordedAt, "\(stream.map(\.recordedAt))")
            #expect(try await Verifier(database).verify().intact)
        }
    }

    /// `verify` names a stream whose record times go back (a row altered, or written by an older custody).
    @Test func verifyNamesRecordTimesThatGoBack() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            _ = try await store.append([Fixture.finding("inv", "one")])
            _ = try await store.append([Fixture.finding("inv", "two")])
            try await database.query("ALTER TABLE custody_events DISABLE TRIGGER custody_events_no_update")
            try await database.query(
                """
                UPDATE custody_events SET recorded_at = recorded_at - interval '1 day',
                    hash = custody_event_hash((SELECT hash FROM custody_events WHERE stream_id = 'investigation-inv' AND stream_version = 1),
                        event_id, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, recorded_at - interval '1 day')
                WHERE stream_id = 'investigation-inv' AND stream_version = 2
                """)
            try await database.query("ALTER TABLE custody_events ENABLE TRIGGER custody_events_no_update")
            let report = try await Verifier(database).verify()
            #expect(report.problems.map(\.version) == [2])
            #expect(report.problems.first?.reason.contains("record times never go back") == true, "\(report.problems)")
        }
    }

    /// A transaction that already appended gets its own error, not the restored-cluster one.
    @Test func aSecondAppendInOneTransactionIsNamed() async throws {
        _ = try await TestDatabase.with { database in
            await #expect(throws: StoreError.appendedTwiceInOneTransaction) {
                try await database.withTransaction { connection in
                    for text in ["one", "two"] {
                        let rows = try await connection.query(
                            """
                            SELECT position FROM custody_append(ARRAY['investigation-inv'], ARRAY[-1::bigint], ARRAY[gen_random_uuid()],
                                ARRAY['investigation-inv'], ARRAY['InvestigationFindingRecorded'], ARRAY[1],
                                ARRAY[jsonb_build_object('finding', \(text), 'investigation', 'inv')::text], ARRAY['{"actor": "t", "source": "t"}'],
                                ARRAY[custody_micros(now())])
                            """, logger: database.logger)
                        do { for try await _ in rows {} } catch { throw Database.translate(error) }
                    }
                }
            }
        }
    }
}
