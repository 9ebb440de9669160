import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

@testable import CustodyStore

/// A postmortem reads only the facts PostgreSQL finds in its incident's scope: on seeded random logs over every
/// event type, its report must be the one the whole log gives, for every incident.
@Suite struct PostmortemScopeTests {
    @Test(arguments: 0..<3)
    func aPostmortemFromItsScopeEqualsOneFromTheWholeLog(seed: Int) async throws {
        try await TestDatabase.with { database in
            let (store, _, _, _) = try await ProjectionTests.randomLog(database, seed: UInt64(seed) + 501)
            let everything = try await store.waitForLog(count: 0).map(\.event)
            let facts = everything.filter { $0.event.type != InvestigationFindingRecorded.type }
            var chain = SupplyChain()
            chain.apply(facts)
            let now = Timestamp.now
            var narrowed = 0
            #expect(chain.incidentIds.count >= 2, "the workload reports too few incidents to test")
            for incident in chain.incidentIds {
                let scoped = try await store.postmortemFacts(of: incident)
                #expect(
                    Postmortem.of(incident, facts: scoped, now: now)
                        == Postmortem.of(incident, events: everything, now: now), "\(incident)")
                if scoped.events.count < facts.count { narrowed += 1 }
            }
            #expect(narrowed > 0, "every incident's scope was the whole log: nothing was left unread")
            #expect(
                try await store.postmortemFacts(of: Slug("never-reported")).events.allSatisfy { event in
                    if case .breachReported = event.event { false } else { true }
                })
        }
    }
}
