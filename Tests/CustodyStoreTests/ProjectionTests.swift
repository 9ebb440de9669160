import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite struct ProjectionTests {
    @Test func aRebuildEqualsTheTablesMaintainedIncrementally() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let projection = ExposureProjection(store)
            try await projection.start()
            let runner = Task { try await projection.run(pollInterval: .milliseconds(20)) }
            for event in Workload.mixed() { _ = try await store.append([event]) }
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let applied = try await ExposureProjection.checkpoint(database)?.events ?? 0
                if applied >= Int64(Workload.mixed().count) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            runner.cancel()
            let incremental = try await ReadModels.rows(database)
            #expect(incremental.count > 20)
            let checkpoint = try await ExposureProjection.rebuild(store)
            #expect(checkpoint.events == Int64(Workload.mixed().count))
            let rebuilt = try await ReadModels.rows(database)
            #expect(rebuilt == incremental)
        }
    }

    @Test func aRestartedProjectorContinuesFromItsCheckpoint() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let events = Workload.mixed()
            for event in events.prefix(20) { _ = try await store.append([event]) }
            _ = try await store.waitForLog(count: 20)
            let first = ExposureProjection(store)
            try await first.start()
            #expect(try await first.catchUp(pageSize: 7) == 20)
            // A new process: memory gone, only the tables and the checkpoint remain.
            for event in events.dropFirst(20) { _ = try await store.append([event]) }
            _ = try await store.waitForLog(count: events.count)
            let second = ExposureProjection(store)
            try await second.start()
            #expect(try await second.catchUp(pageSize: 5) == events.count - 20)
            #expect(try await ExposureProjection.checkpoint(database)?.events == Int64(events.count))
            let continued = try await ReadModels.rows(database)
            _ = try await ExposureProjection.rebuild(store)
            #expect(try await ReadModels.rows(database) == continued)
        }
    }

    @Test func theReadModelAnswersAsTheFoldDoes() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            for event in Workload.mixed() { _ = try await store.append([event]) }
            _ = try await store.waitForLog(count: Workload.mixed().count)
            _ = try await ExposureProjection.rebuild(store)
            let chain = try await store.supplyChain()
            for index in 0..<6 {
                let id = Fixture.slug("org-\(index)")
                let stored = try await ExposureProjection.organizationView(database, id)
                let folded = chain.exposure(ofOrganization: id, at: .now)
                #expect(stored?.exposures == folded?.exposures)
                #expect(stored?.summary == folded?.summary)
            }
        }
    }
}
