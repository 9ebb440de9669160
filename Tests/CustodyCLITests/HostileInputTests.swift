import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

/// Hostile text in every kind of CLI field is stored verbatim or refused with a clear limit, never executed.
@Suite(.serialized) struct HostileInputTests {
    static let hostile = [
        #"O'Brien "quoted" \backslash"#, "'; DROP TABLE custody_events; --", "Robert'); DELETE FROM custody_streams;--",
        "tab\tnewline\nreturn\r bell\u{07} escape\u{1B}[31m", "emoji 🧪 and RTL \u{202E}txet",
        "$(rm -rf /) `id` ${HOME}",
        String(repeating: "x", count: 100_000),
    ]

    @Test func hostileTextIsStoredVerbatim() async throws {
        let cli = try await ExampleScenario.registry()
        for (index, text) in Self.hostile.enumerated() {
            let result = try await cli.run(["vendor", "add", "hostile-\(index)", "--name", text, "--json"])
            #expect(result.status == 0, "\(text.prefix(40)): \(result.stderr)")
        }
        let result = try await cli.run([
            "breach", "report", "h-1", "--vendor", "hostile-1", "--severity", "low", "--summary", Self.hostile[3],
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try await cli.run(["events", "--json"]).lines.map { try EventLine(parsing: Array($0.utf8)) }
        for (index, text) in Self.hostile.enumerated() {
            let stored = lines.compactMap { line -> String? in
                if case .vendorRegistered(let e) = line.event, e.vendor.rawValue == "hostile-\(index)" { return e.name }
                return nil
            }
            #expect(stored == [text], "vendor hostile-\(index) was not stored verbatim")
        }
        // The log is whole: nothing was executed.
        #expect(try await cli.run(["verify"]).status == 0)
        #expect(lines.count == 19 + Self.hostile.count + 1)
    }

    @Test func oversizedAndNULTextIsRefusedWithItsLimit() async throws {
        let cli = try await ExampleScenario.registry()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "custody-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func summaryFile(_ bytes: [UInt8]) throws -> String {
            let path = directory.appendingPathComponent(UUID().uuidString).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let before = try await cli.run(["events", "--json"]).lines.count
        let fits = try summaryFile(Array(repeating: UInt8(ascii: "a"), count: 1 << 20))
        let accepted = try await cli.run([
            "breach", "report", "big-ok", "--vendor", "mercor", "--severity", "low", "--summary-file", fits,
        ])
        #expect(accepted.status == 0, "\(accepted.stderr.prefix(300))")
        let tooBig = try summaryFile(Array(repeating: UInt8(ascii: "a"), count: (1 << 20) + 1))
        let refused = try await cli.run([
            "breach", "report", "big-no", "--vendor", "mercor", "--severity", "low", "--summary-file", tooBig,
        ])
        #expect(
            refused.status == 1 && refused.stderr.contains("at most 1048576 bytes (this one has 1048577)"),
            "\(refused.stderr.prefix(300))")
        #expect(refused.stderr.utf8.count < 1000, "the error echoed the whole value")
        let nul = try summaryFile(Array("before\u{0}after".utf8))
        let refusedNUL = try await cli.run([
            "breach", "report", "nul", "--vendor", "mercor", "--severity", "low", "--summary-file", nul,
        ])
        #expect(refusedNUL.status == 1 && refusedNUL.stderr.contains("without NUL characters"), "\(refusedNUL.stderr)")
        let binary = try summaryFile([0xFF, 0xFE, 0x00])
        let refusedBinary = try await cli.run([
            "breach", "report", "bin", "--vendor", "mercor", "--severity", "low", "--summary-file", binary,
        ])
        #expect(refusedBinary.status == 1 && refusedBinary.stderr.contains("UTF-8"), "\(refusedBinary.stderr)")
        #expect(try await cli.run(["events", "--json"]).lines.count == before + 1)
    }

    /// `import -` spools standard input in a private file that is gone on every way out, a signal included; a
    /// directory is refused by name.
    @Test func standardInputIsSpooledAndAlwaysRemoved() async throws {
        var cli = CLI(databaseURL: try await TestDatabase.create(on: .endToEnd))
        let spoolDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "custody-spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: spoolDirectory, withIntermediateDirectories: true)
        cli.environment["TMPDIR"] = spoolDirectory.path
        let directory = try await cli.run(["import", spoolDirectory.path])
        #expect(directory.status == 1 && directory.stderr.contains("is a directory"), "\(directory.stderr)")
        let refused = try await cli.run(["import", "-"], stdin: "{not json\n")
        #expect(refused.status == 1)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: spoolDirectory.path).isEmpty,
            "the spool survived an error")

        // Killed while standard input is still open: the spool is removed, the exit status says which signal.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["import", "-"]
        var environment = ProcessInfo.processInfo.environment
        environment["CUSTODY_DATABASE_URL"] = cli.databaseURL?.text
        environment["TMPDIR"] = spoolDirectory.path
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data("{\"partial\": true}\n".utf8))
        let deadline = ContinuousClock.now + .seconds(10)
        while try FileManager.default.contentsOfDirectory(atPath: spoolDirectory.path).isEmpty,
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try !FileManager.default.contentsOfDirectory(atPath: spoolDirectory.path).isEmpty, "no spool was made")
        process.terminate()
        guard try await process.exited() else {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("custody import - was still running 20 s after SIGTERM")
            return
        }
        #expect(process.terminationStatus == 128 + SIGTERM)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: spoolDirectory.path).isEmpty,
            "the spool survived SIGTERM")
        try? input.fileHandleForWriting.close()
    }
}
