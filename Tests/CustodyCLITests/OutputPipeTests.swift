import CustodyTestSupport
import Foundation
import Testing

/// A reader that stops reading (`custody events | head`) ends the command quietly, as it ends a shell tool: status 0
/// and nothing on standard error. `events` trapped in FileHandle (a fatal error and a stack trace) and `postmortem`
/// failed with a Cocoa error.
@Suite struct OutputPipeTests {
    @Test func aReaderThatStopsReadingEndsTheCommandQuietly() async throws {
        let scenario = try await ExampleScenario.registry()
        try await ExampleScenario.breach(scenario)
        for command in [["events"], ["postmortem", "mercor-2026-03"]] {
            // The reader closes its end before the command writes (it needs a connection first), so that every
            // write meets a broken pipe, whatever the output's size.
            let errors = FileManager.default.temporaryDirectory.appendingPathComponent("pipe-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: errors) }
            let script = #""$0" "$@" 2>"$ERRORS" | { exec 0<&-; sleep 2; }; echo "status ${PIPESTATUS[0]}""#
            var shell = scenario
            shell.environment["ERRORS"] = errors.path
            let result = try await shell.run(["-c", script, CLI.binary] + command, binary: "/bin/bash")
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? "(none)"
            #expect(result.stdout == "status 0\n", "\(command): \(result.stdout) \(stderr)")
            #expect(stderr.isEmpty, "\(command): \(stderr)")
        }
    }
}
