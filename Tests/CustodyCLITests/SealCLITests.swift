import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

/// `custody seal` and `custody verify --seal` as an auditor would use them.
@Suite(.serialized) struct SealCLITests {
    @Test func anAuditorsSealChecksTheLogAndRefusesAForgery() async throws {
        let cli = try await ExampleScenario.registry()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "custody-seal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("seal.key").path
        let sealFile = directory.appendingPathComponent("seal.json").path
        let generated = try await cli.run(["seal", "keygen", key])
        #expect(generated.status == 0, "\(generated.stderr)")
        let publicKey = try #require(
            generated.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect((try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int) == 0o600)
        #expect(try await cli.run(["seal", "keygen", key]).status == 1, "a key was overwritten")
        let sealed = try await cli.run(["seal", "--key", key, "--out", sealFile])
        #expect(sealed.status == 0, "\(sealed.stderr)")
        try await ExampleScenario.breach(cli)  // events after the seal are outside it
        let checked = try await cli.run(["verify", "--seal", sealFile, "--trust", publicKey])
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")
        #expect(checked.stdout.contains("log matches the seal: 19 event(s)"))
        #expect(!checked.stdout.contains("NOT checked"))
        let untrusted = try await cli.run(["verify", "--seal", sealFile])
        #expect(untrusted.status == 0 && untrusted.stdout.contains("the signer was NOT checked"), "\(untrusted.stdout)")

        // The seal holds for an exact restore of the log into another database (positions, streams and content
        // are kept; transaction ids are not).
        let export = try await cli.run(["events", "--json"])
        #expect(export.status == 0)
        let restoredCLI = CLI(databaseURL: try await TestDatabase.create(on: .endToEnd))
        let restore = try await restoredCLI.run(["import", "-"], stdin: export.stdout)
        #expect(restore.status == 0 && restore.stdout.contains("restored"), "\(restore.stdout) \(restore.stderr)")
        let onRestore = try await restoredCLI.run(["verify", "--seal", sealFile, "--trust", publicKey])
        #expect(
            onRestore.status == 0 && onRestore.stdout.contains("log matches the seal: 19 event(s)"),
            "\(onRestore.stdout) \(onRestore.stderr)")

        let foreign = try await cli.run([
            "verify", "--seal", sealFile, "--trust", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ])
        #expect(foreign.status == 1 && foreign.stderr.contains("signed by another key"))
        let text = try String(contentsOfFile: sealFile, encoding: .utf8)
        try text.replacingOccurrences(of: "\"events\": 19", with: "\"events\": 18").write(
            toFile: sealFile, atomically: true, encoding: .utf8)
        let forged = try await cli.run(["verify", "--seal", sealFile])
        #expect(forged.status == 1 && forged.stderr.contains("the seal file was altered"), "\(forged.stderr)")
    }
}
