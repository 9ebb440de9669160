import ArgumentParser
import CustodyCLI
import CustodyCore
import CustodyServer
import CustodyStore
import Foundation
import Logging

/// `custody serve` (declared in CustodyCLI as `Serve`), run.
struct Serving: AsyncParsableCommand {
    static let configuration = Serve.configuration
    @OptionGroup var serve: Serve

    func run() async throws {
        var configuration = APIServer.Configuration()
        configuration.host = serve.host
        configuration.port = serve.port
        configuration.projector = !serve.noProjector
        configuration.authenticate = !serve.noAuth
        configuration.readyLag = serve.readyLag
        configuration.webhooks = serve.noNotifier ? nil : try serve.webhooks.configuration()
        configuration.replicaPoll = try Serve.duration(serve.replicaPoll, "--replica-poll")
        configuration.maxReplicaLag = try Serve.duration(serve.maxReplicaLag, "--max-replica-lag")
        do {
            configuration.replicas = try serve.replicaURLs.map { try DatabaseURL($0) }
        } catch let error as StoreError {
            throw CommandFailure(message: "--replica-url: \(error.description)")
        }
        var logger = Logger(label: "custody.serve")
        logger.logLevel = Logger.Level(rawValue: serve.logLevel) ?? .info
        let json = serve.connection.json
        do {
            let url = try Runner.locate(serve.connection)
            try await APIServer.run(url, configuration, logger: logger) { host, port in
                let line =
                    json
                    ? JSONValue.object(["listening": .string("http://\(host):\(port)")]).jsonbText
                    : "custody: serving on http://\(host):\(port)"
                // Unbuffered: scripts and tests read the chosen port from this line.
                StandardOutput.write(line + "\n")
            }
        } catch let error as StoreError {
            throw CommandFailure(message: error.description)
        }
    }
}
