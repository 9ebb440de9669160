import CustodyCore
import CustodyTestSupport
import NIOConcurrencyHelpers
import Testing

@testable import CustodyStore

/// `catchUp` decides each page while the one before it is written, and writes its exposure rows beside that page's
/// when they share none. The oracle of `ProjectionTests` again, through it: a write fails at a random point of a
/// random page, with the next page already decided, and often written, on top of it; that page must be dropped
/// with it, memory must stay where the tables are, and the tables must end as a rebuild makes them.
@Suite struct PipelinedCatchUpTests {
    @Test(arguments: 0..<3)
    func pipelinedPagesWithFailuresEqualARebuild(seed: Int) async throws {
        struct Injected: Error {}
        try await TestDatabase.with { database in
            var (store, events, workload, projection) = try await ProjectionTests.randomLog(
                database, seed: UInt64(seed) + 177)
            let points = [
                "exposures", "removed exposures", "organizations", "pauses", "investigation states", "outbox",
                "checkpoint", "commit",
            ]
            var failures = 0
            var laterPageFailures = 0
            // Pages past their exposure rows and not yet at their commit, now; how often a page reached its
            // exposure rows while another was open; how often a page failed while another was open beside it.
            let open = NIOLockedValueBox(0)
            let (beside, failedBeside) = (NIOLockedValueBox(0), NIOLockedValueBox(0))
            while try await ExposureProjection.checkpoint(database)?.events ?? 0 < Int64(events.count) {
                let (point, failing) = (points[workload.below(points.count)], workload.below(5))
                // The write point fails the `failing`th time a page reaches it (pages are counted by point, not by
                // commits: two may be written at once).
                let reached = NIOLockedValueBox(0)
                open.withLockedValue { $0 = 0 }
                await projection.injectFailure { name in
                    if name == "exposures" {
                        open.withLockedValue {
                            if $0 > 0 { beside.withLockedValue { $0 += 1 } }
                            $0 += 1
                        }
                    }
                    if name == point { reached.withLockedValue { $0 += 1 } }
                    if name == point, reached.withLockedValue({ $0 }) == failing + 1 {
                        if open.withLockedValue({ $0 }) > 1 { failedBeside.withLockedValue { $0 += 1 } }
                        throw Injected()
                    }
                    // A page alone past its exposure rows is held a moment before its checkpoint, so that the next
                    // is written beside it (unless the two share a row: then the next waits, and so does this).
                    if name == "checkpoint" {
                        for _ in 0..<15 where open.withLockedValue({ $0 }) == 1 {
                            try await Task.sleep(for: .milliseconds(2))
                        }
                    }
                    if name == "commit" { open.withLockedValue { $0 -= 1 } }
                }
                do {
                    _ = try await projection.catchUp(pageSize: 1 + workload.below(15))
                } catch {
                    // The transaction reports what failed inside it as a database error naming it. Anything else
                    // ends the test: it would fail again on every retry.
                    try #require("\(error)".contains("Injected"), "\(error)")
                    failures += 1
                    if failing > 0 { laterPageFailures += 1 }
                }
                await projection.injectFailure(nil)
                // Memory is where the stored checkpoint is: taken pages committed, the failed one and the one
                // decided on it dropped.
                let stored = try await ExposureProjection.checkpoint(database)
                #expect(await projection.cursor == stored?.cursor ?? .start)
                #expect(await projection.appliedEvents == stored?.events ?? 0)
            }
            #expect(failures >= 5)
            #expect(laterPageFailures >= 2, "no write failed with a page decided on top of it")
            #expect(beside.withLockedValue { $0 } >= 10, "pages were not written beside each other")
            #expect(failedBeside.withLockedValue { $0 } >= 1, "no write failed with another written beside it")
            let incremental = try await ReadModels.rows(database)
            let evaluatedAt = try #require(try await ExposureProjection.checkpoint(database)?.evaluatedAt)
            try await ProjectionTests.expectReadersComposeTheFold(database, store, at: evaluatedAt)
            _ = try await ExposureProjection.rebuild(store)
            #expect(try await ReadModels.rows(database) == incremental)
        }
    }
}
