import Dispatch
import Foundation
import Testing

@testable import CustodyServer

/// The gate answers by its deadline whatever the database call does: a call that does not heed cancellation (a
/// lease on the pool of a standby killed under it) once held its request open until the run was killed.
@Suite struct DatabaseGateTests {
    @Test func aCallThatIgnoresCancellationStillEndsAtTheDeadline() async throws {
        let gate = DatabaseGate(deadline: .milliseconds(200), telemetry: Telemetry(poolSize: 1))
        let started = ContinuousClock.now
        await #expect(throws: DatabaseDeadline.self) {
            try await gate.run {
                // Resumes after 30 s whether or not it was cancelled.
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 30) { continuation.resume() }
                }
                return 1
            }
        }
        // Far below the call's 30 s, with room for a suite that keeps both threads of the pool busy for seconds.
        #expect(ContinuousClock.now - started < .seconds(15), "the gate waited for the call")
    }

    @Test func aCallWithinTheDeadlineGivesItsResultOrItsError() async throws {
        let gate = DatabaseGate(deadline: .seconds(5), telemetry: Telemetry(poolSize: 1))
        #expect(try await gate.run { 42 } == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await gate.run { () async throws -> Int in throw Refused() } }
    }
}
