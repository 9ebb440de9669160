import CustodyTestSupport
import Foundation
import Testing

/// `custody serve`, `notify` and `webhook listen` are run by `custody-server`, beside `custody`: the user types the
/// same commands and gets the same help, and a missing server binary is said in one line.
@Suite struct ServerHandOverTests {
    @Test func theServerCommandsAreListedAndTheirHelpIsTheServers() async throws {
        let cli = CLI(databaseURL: nil)
        let help = try await cli.run(["--help"])
        for command in ["serve", "notify", "webhook"] {
            #expect(help.stdout.contains("  \(command) "), "\(command) is not listed: \(help.stdout)")
        }
        // Only the server binary knows these options: their help came from it.
        let serve = try await cli.run(["serve", "--help"])
        #expect(serve.status == 0 && serve.stdout.contains("--replica-url"), "\(serve.stdout)\(serve.stderr)")
        let helpServe = try await cli.run(["help", "serve"])
        #expect(helpServe.status == 0 && helpServe.stdout.contains("--no-projector"), "\(helpServe.stdout)")
        let notify = try await cli.run(["notify", "run", "--help"])
        #expect(notify.status == 0 && notify.stdout.contains("--webhook-allow"), "\(notify.stdout)")
        let listen = try await cli.run(["webhook", "listen", "--help"])
        #expect(listen.status == 0 && listen.stdout.contains("--tolerance"), "\(listen.stdout)")
        // The rest of `webhook` stays the CLI's, and lists `listen` beside its own commands.
        let webhook = try await cli.run(["webhook", "--help"])
        #expect(webhook.stdout.contains("  listen ") && webhook.stdout.contains("  rotate "), "\(webhook.stdout)")
        // The commands are declared in the CLI too: its completion script knows their options.
        let completion = try await cli.run(["--generate-completion-script", "bash"])
        for option in ["--replica-url", "--webhook-allow", "--tolerance"] {
            #expect(completion.stdout.contains(option), "the completion script lacks \(option)")
        }
        // A server option's mistake is the server's to say, as it would be typed to `custody`.
        let bad = try await cli.run(["serve", "--port", "none"])
        #expect(bad.status != 0 && bad.stderr.contains("--port"), "\(bad.stderr)")
    }

    @Test func aCustodyWithoutItsServerSaysWhereItLooked() async throws {
        let alone = FileManager.default.temporaryDirectory.appendingPathComponent("custody-alone-\(UUID())")
        try FileManager.default.createDirectory(at: alone, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: alone) }
        let copy = alone.appendingPathComponent("custody").path
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: copy)
        let cli = CLI(databaseURL: nil)
        let secret = "postgres://custody:s3cret@localhost/custody"
        let serve = try await cli.run(["serve", "--port", "0", "--database-url", secret], binary: copy)
        #expect(serve.status == 69, "\(serve.stderr)")
        #expect(serve.stderr.hasPrefix("Error: `custody serve` runs custody-server"), "\(serve.stderr)")
        #expect(!serve.stderr.contains("s3cret"), "the error repeats the arguments: \(serve.stderr)")
        #expect(
            serve.stderr.contains("could not be started at \(alone.path)/custody-server (No such file or directory)"),
            "\(serve.stderr)")
        #expect(serve.stderr.split(separator: "\n").count == 1 && serve.stdout.isEmpty, "\(serve.stderr)")
        // Every other command needs no server binary.
        let version = try await cli.run(["--version"], binary: copy)
        #expect(version.status == 0 && version.stdout.hasPrefix("custody "), "\(version.stderr)")
    }
}
