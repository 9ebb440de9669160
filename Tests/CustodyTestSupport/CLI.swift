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
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/custody").path
    }

    @discardableResult
    public func run(_ arguments: [String], binary: String = CLI.binary, stdin: String? = nil) throws -> Result {
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
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
