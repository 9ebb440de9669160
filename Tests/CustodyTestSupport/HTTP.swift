import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A deliberately small HTTP/1.1 client for end-to-end tests: one request per connection (`Connection: close`),
/// raw bytes on the wire, so the tests see exactly what a user's curl would.
public struct HTTP: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    public let host: String
    public let port: Int

    public init(host: String = "127.0.0.1", port: Int) { (self.host, self.port) = (host, port) }

    public func get(_ path: String, headers: [String: String] = [:], method: String = "GET", body: String? = nil)
        async throws -> Response
    {
        let raw = try await exchange(request(path, headers: headers, method: method, body: body)) { _ in false }
        return try Self.parse(raw)
    }

    /// Reads a streaming response until `enough` holds for what arrived (or `timeout` passes); returns the text.
    public func stream(
        _ path: String, headers: [String: String] = [:], timeout: Duration = .seconds(20),
        until enough: @escaping @Sendable (String) -> Bool
    ) async throws -> String {
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                let raw = try await exchange(request(path, headers: headers, method: "GET", body: nil)) { bytes in
                    enough(String(decoding: bytes, as: UTF8.self))
                }
                return String(decoding: raw, as: UTF8.self)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let text = first else {
                throw Malformed(description: "stream timed out")
            }
            return text
        }
    }

    /// Sends `request` as written (any version, any headers); returns what arrived and whether the server closed
    /// the connection within `timeout`.
    public func raw(_ request: String, timeout: Duration) async throws -> (text: String, closed: Bool) {
        let received = NIOLockedValueBox<[UInt8]>([])
        let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = try await exchange(request) { bytes in
                    received.withLockedValue { $0 = bytes }
                    return false
                }
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        return (String(decoding: received.withLockedValue { $0 }, as: UTF8.self), closed)
    }

    private func request(_ path: String, headers: [String: String], method: String, body: String?) -> String {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: \(host):\(port)", "Connection: close"]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { lines.append("\(name): \(value)") }
        if let body { lines.append("Content-Length: \(body.utf8.count)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + (body ?? "")
    }

    /// Sends `request` and collects bytes until the server closes or `enough` says stop.
    private func exchange(_ request: String, enough: @escaping @Sendable ([UInt8]) -> Bool) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        // A server that never answers fails the test after a minute instead of holding the whole run until CI's
        // limit (a request once hung for good when a standby was killed under it).
        let timedOut = NIOLockedValueBox(false)
        let deadline = channel.channel.eventLoop.scheduleTask(in: .seconds(60)) {
            timedOut.withLockedValue { $0 = true }
            channel.channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        let received = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var received: [UInt8] = []
            for try await chunk in inbound {
                received.append(contentsOf: chunk.readableBytesView)
                if enough(received) { break }
            }
            return received
        }
        if timedOut.withLockedValue({ $0 }) {
            throw Malformed(description: "no complete answer to \(request.prefix(80)) within 60 s")
        }
        return received
    }

    static func parse(_ raw: [UInt8]) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = raw.firstRange(of: separator) else {
            throw Malformed(description: "no header end in \(raw.count) bytes")
        }
        let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Malformed(description: "bad status line \(head[0])")
        }
        let headers = head.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(raw[end.upperBound...])
        var response = Response(status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: body)
        if response.header("transfer-encoding")?.lowercased() == "chunked" {
            body = try dechunk(body)
            response.body = body
        }
        return response
    }

    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = bytes[index...].firstRange(of: Array("\r\n".utf8)) else { break }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16) else {
                throw Malformed(description: "bad chunk size \(sizeText)")
            }
            if size == 0 { break }
            let start = lineEnd.upperBound
            output.append(contentsOf: bytes[start..<min(start + size, bytes.count)])
            index = start + size + 2
        }
        return output
    }
}

/// `custody serve` as a child process on a free port, stopped with SIGTERM like a service manager would.
public final class ServerProcess: @unchecked Sendable {
    public let process = Process()
    public private(set) var port = 0
    private let output = Output()
    private let errors = Output()

    final class Output: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ more: Data) { lock.withLock { data.append(more) } }
        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    }

    /// Starts the server (`command`, `custody serve` by default) and waits until it prints the address it
    /// listens on, in the line that contains `marker`.
    public convenience init(
        _ cli: CLI, arguments: [String] = [], command: [String] = ["serve", "--port", "0"],
        marker: String = "serving on http://"
    ) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["CUSTODY_DATABASE_URL"] = cli.databaseURL?.text
        try await self.init(
            executable: CLI.binary, arguments: command + arguments, environment: environment, marker: marker)
    }

    /// Starts any program that prints the port it listens on in a line containing `marker` (`…:PORT`).
    public init(executable: String, arguments: [String], environment: [String: String], marker: String) async throws {
        let command = [URL(fileURLWithPath: executable).lastPathComponent] + arguments
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let output = self.output
        let errors = self.errors
        out.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
        err.fileHandleForReading.readabilityHandler = { errors.append($0.availableData) }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        // The output is looked at once more after the deadline: a test task kept waiting that long (two cores, the
        // pool's threads busy with other tests) may find the line printed meanwhile.
        while true {
            // A server's line ends with its port; a worker's (`notify run`) names none.
            if let line = output.text.split(separator: "\n").first(where: { $0.contains(marker) }) {
                port = line.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
                return
            }
            guard process.isRunning, ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw HTTP.Malformed(description: "custody \(command.first ?? "") did not start: \(errors.text)")
    }

    public var http: HTTP { HTTP(port: port) }
    public var log: String { errors.text }
    /// What it printed on standard output so far.
    public var printed: String { output.text }

    /// SIGTERM, then the exit status once it has stopped.
    public func stop() async throws -> Int32 {
        if process.isRunning { process.terminate() }
        if try await !process.exited() { kill(process.processIdentifier, SIGKILL) }
        guard try await process.exited() else {
            throw HTTP.Malformed(description: "the server was still running 20 s after SIGKILL")
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
