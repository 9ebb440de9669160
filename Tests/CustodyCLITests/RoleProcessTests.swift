import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// Each process runs with its own role, end to end through the binary (README, "Roles").
@Suite struct RoleProcessTests {
    @Test func everyProcessWorksWithItsOwnRoleAndNoMore() async throws {
        let owner = try await ExampleScenario.registry()
        let writer = try owner.role("custody_writer")
        try await ExampleScenario.breach(writer)
        let reader = try owner.role("custody_reader")
        // The reader cannot record, the writer cannot keep the read models.
        let refused = try await reader.run(["vendor", "add", "x", "--name", "X"])
        #expect(refused.status != 0 && refused.stderr.contains("permission denied"), "\(refused.stderr)")
        let projector = try owner.role("custody_projector")
        #expect(
            try await projector.run(["projections", "rebuild"]).status != 0, "a rebuild swaps tables: the owner's work")
        #expect(try await owner.run(["projections", "rebuild"]).status == 0)
        let answer = try await reader.run(["exposure", "--org", "mercy-hospital", "--json"])
        #expect(answer.status == 0, "\(answer.stderr)")
        #expect(answer.stdout.contains("mh-triage"))
        #expect(try await reader.run(["verify"]).status == 0)
        #expect(try await reader.run(["postmortem", "mercor-2026-03"]).status == 0)
        let recorded = try await writer.run([
            "investigation", "close", "openai-inv", "--outcome", "cleared", "--at", "2026-04-20",
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
    }
}
