import ArgumentParser
import AsyncHTTPClient
import CustodyCore
import CustodyStore
import Foundation
import NIOCore

extension Bench {
    struct ReplicaVisible: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replica-visible",
            abstract: "Append on the primary → in the /v1/events of a server reading from a standby; prints JSON.",
            discussion: """
                Point --url at the primary and --api at a `custody serve --replica-url` whose reads come from a \
                streaming standby of it. Each sample appends one fact on the primary and is timed until the server \
                lists it, polling every 2 ms; the first --warmup samples are not counted. Prints {"p50": ms, \
                "p99": ms, "max": ms, "samples": n}.
                """)
        @Option var url: String
        @Option(help: "The standby-reading server, like http://127.0.0.1:8080.") var api: String
        @Option var token: String
        @Option var samples = 50
        @Option(help: "Samples taken first and not counted.") var warmup = 10

        func run() async throws {
            let databaseURL = try DatabaseURL(url)
            let (api, token, samples, warmup) = (api, token, samples, warmup)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let latencies = try await Database.with(databaseURL) { database in
                    let store = EventStore(database)
                    var cursor = try await ExposureProjection.checkpoint(database)?.cursor ?? .start
                    // The server's view of the log up to now, so each poll reads only what is new.
                    while true {
                        let (next, ids) = try await Self.page(client, api, token, after: cursor)
                        if ids.isEmpty { break }
                        cursor = next
                    }
                    var latencies: [Double] = []
                    let run = UUID().uuidString.prefix(8).lowercased()
                    for index in 0..<(warmup + samples) {
                        let vendor = try Slug("replica-bench-\(run)-\(index)")
                        let event = ProposedEvent(
                            id: UUID(),
                            event: .vendorRegistered(VendorRegistered(vendor: vendor, name: "Replica bench")),
                            metadata: EventMetadata(actor: "bench", source: "bench"), occurredAt: .now)
                        _ = try await store.append([event])
                        let started = ContinuousClock.now
                        var seen = false
                        while !seen {
                            let (next, ids) = try await Self.page(client, api, token, after: cursor)
                            cursor = next
                            seen = ids.contains(event.id.uuidString.lowercased())
                            if !seen { try await Task.sleep(for: .milliseconds(2)) }
                            if ContinuousClock.now - started > .seconds(30) {
                                throw ValidationError("the standby-reading server did not list the fact within 30 s")
                            }
                        }
                        if index >= warmup { latencies.append(milliseconds(ContinuousClock.now - started)) }
                    }
                    return latencies.sorted()
                }
                try await client.shutdown()
                let report = latencySummary(latencies)
                print(JSONValue.object(report.mapValues { .number(String(format: "%.2f", $0)) }).jsonbText)
            } catch {
                try? await client.shutdown()
                throw error
            }
        }

        /// One page of `/v1/events` after `cursor`: the cursor after it and its events' ids.
        static func page(_ client: HTTPClient, _ api: String, _ token: String, after cursor: LogCursor) async throws
            -> (LogCursor, [String])
        {
            var request = HTTPClientRequest(url: "\(api)/v1/events?after=\(cursor)&limit=1000")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 64 << 20)
            guard response.status == .ok else {
                throw ValidationError("GET /v1/events answered \(response.status.code): \(String(buffer: body))")
            }
            guard case .object(let document) = try EventCoding.value(ofJSON: String(buffer: body)),
                case .array(let events)? = document["events"], case .string(let next)? = document["next"]
            else { throw ValidationError("GET /v1/events answered a document without events and next") }
            let ids = events.compactMap { event -> String? in
                guard case .object(let fields) = event, case .string(let id)? = fields["id"] else { return nil }
                return id.lowercased()
            }
            return (try LogCursor(parsing: next), ids)
        }
    }
}
