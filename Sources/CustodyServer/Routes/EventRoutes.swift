import CustodyCore
import CustodyStore
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

/// The log as a feed for other systems: pages behind a cursor, or live as server-sent events.
extension Endpoints {
    /// Under `/v1/events`, a group only admin tokens reach.
    func addEventRoutes(to feed: RouterGroup<APIContext>) {
        feed.get(use: events)
        feed.get("stream", use: eventStream)
    }

    static let defaultPage = 100
    static let maximumPage = 1000

    /// `GET /v1/events?after=CURSOR&limit=N`: `{"events": [...], "next": CURSOR}`, each event as
    /// `custody events --json` prints it.
    func events(_ request: Request, _ context: APIContext) async throws -> Response {
        _ = try Question(request, allowing: ["after", "limit"])
        let query = request.uri.queryParameters
        let cursor = try Self.cursor(query["after"].map(String.init))
        var limit = Self.defaultPage
        if let text = query["limit"] {
            guard let value = Int(text), (1...Self.maximumPage).contains(value) else {
                throw Problem.badRequest(
                    "invalid limit '\(text)': expected a whole number from 1 to \(Self.maximumPage)")
            }
            limit = value
        }
        let store = EventStore(database)
        let size = limit
        let page = try await gate.run { try await store.readLog(after: cursor, limit: size) }
        let lines = page.entries.map { EventLine.render($0.event, cursor: $0.cursor.description) }
        // In the one JSON form (jsonb text: "next" sorts before "events"), around lines already rendered in it.
        return try json("{\"next\": \"\(page.next)\", \"events\": [" + lines.joined(separator: ", ") + "]}")
    }

    /// `GET /v1/events/stream`: every event after `?after=` (or the `Last-Event-ID` a reconnecting client sends),
    /// then each new one as it commits. Ends on graceful shutdown, and when a client reads too slowly to keep
    /// up (it reconnects from its last id; nothing is skipped).
    func eventStream(_ request: Request, _ context: APIContext) async throws -> Response {
        _ = try Question(request, allowing: ["after"])
        // Both are checked; a reconnecting client's Last-Event-ID is later than the `after` its URL still carries.
        let after = try Self.cursor(request.uri.queryParameters["after"].map(String.init))
        let lastSeen = try Self.cursor(Self.lastEventID.flatMap { request.headers[$0] })
        let start = max(after, lastSeen)
        let store = EventStore(database)
        let logger = context.logger
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let body = ResponseBody { writer in
            let (stream, continuation) = AsyncStream.makeStream(
                of: ByteBuffer.self, bufferingPolicy: .bufferingOldest(10_000))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    do {
                        try await cancelWhenGracefulShutdown {
                            try await Follower(store, pollInterval: .milliseconds(250)).follow(after: start) { page in
                                for entry in page.entries {
                                    let line = EventLine.render(entry.event, cursor: entry.cursor.description)
                                    let message =
                                        "id: \(entry.cursor)\nevent: \(entry.event.event.type)\ndata: \(line)\n\n"
                                    if case .dropped = continuation.yield(ByteBuffer(string: message)) {
                                        throw CancellationError()
                                    }
                                }
                            }
                        }
                    } catch {
                        if !(error is CancellationError) {
                            logger.warning("event stream ended", metadata: ["error": "\(error)"])
                        }
                    }
                }
                group.addTask {
                    // A comment line now and then keeps proxies from closing a quiet stream.
                    while !Task.isCancelled {
                        try await Task.sleep(for: .seconds(15))
                        continuation.yield(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
                try await writer.write(ByteBuffer(string: "retry: 2000\n: following the log after \(start)\n\n"))
                for await message in stream { try await writer.write(message) }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    static let lastEventID = HTTPField.Name("Last-Event-ID")

    static func cursor(_ text: String?) throws -> LogCursor {
        guard let text, !text.isEmpty else { return .start }
        do { return try LogCursor(parsing: text) } catch { throw Problem.badRequest(error.description) }
    }
}
