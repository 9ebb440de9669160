import CustodyStore
import Foundation

/// Runs the built `custody` binary as a user would.
public struct CLI: Sendable {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    public let databaseURL: DatabaseURL?
    public var environment: [String: String] = [:]
    public var directory: String = FileManager.default.temporaryDirectory.path

    public init(databaseURL: DatabaseURL?) { self.databaseURL = databaseURL }

    /// The binary scripts/test built, or the debug build beside the sources.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["CUSTODY_BINARY"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/custody").path
    }

    /// Runs the binary and waits for it without holding a thread of the cooperative pool (on a machine of two
    /// cores, tests that block it while their child runs starve every other test), reading its output and its
    /// errors at the same time (a child that fills the one not being read would wait for ever).
    @discardableResult
    public func run(_ arguments: [String], binary: String = CLI.binary, stdin: String? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Swift.Result { try self.runBlocking(arguments, binary: binary, stdin: stdin) })
            }
        }
    }

    /// Runs the binary on a pseudo-terminal (util-linux `script`), with `COLUMNS` when given: what a person at a
    /// terminal sees. Line ends come back as `\n`.
    public func runInTerminal(_ arguments: [String], columns: Int? = nil) async throws -> Result {
        var cli = self
        if let columns { cli.environment["COLUMNS"] = String(columns) }
        let command = ([CLI.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let result = try await cli.run(
            ["-q", "-e", "-c", command.joined(separator: " "), "/dev/null"], binary: "/usr/bin/script")
        return Result(
            status: result.status, stdout: result.stdout.replacingOccurrences(of: "\r\n", with: "\n"),
            stderr: result.stderr)
    }

    private func runBlocking(_ arguments: [String], binary: String, stdin: String?) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["CUSTODY_DATABASE_URL"] = databaseURL?.text
        env["CUSTODY_ACTOR"] = "cli-test"
        env["CUSTODY_CONNECT_ATTEMPTS"] = "2"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let errors = DispatchGroup()
        let errData = ReadBytes()
        DispatchQueue.global().async(group: errors) { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errors.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

/// Bytes handed from the thread that read them to the one that waits for them.
private final class ReadBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
