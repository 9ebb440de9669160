import CustodyCore
import CustodyStore
import Hummingbird
import Logging
import NIOConcurrencyHelpers

/// Records every /v1 request in `custody_access_log` without slowing it down: requests only add to a buffer,
/// which a background task writes every second. While the database is down the buffer holds up to `capacity`
/// records; beyond that the oldest are dropped, counted and logged, never blocking a request.
final class AccessRecorder: Sendable {
    private let buffer = NIOLockedValueBox<(records: [AccessRecord], dropped: Int)>(([], 0))
    let capacity: Int

    init(capacity: Int = 50_000) { self.capacity = capacity }

    func record(_ record: AccessRecord) {
        buffer.withLockedValue { state in
            if state.records.count >= capacity {
                state.records.removeFirst()
                state.dropped += 1
            }
            state.records.append(record)
        }
    }

    /// Writes what has accumulated, every `interval`, until cancelled; then once more.
    func run(_ log: AccessLog, logger: Logger, interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await flush(log, logger: logger)
        }
        await flush(log, logger: logger)
    }

    func flush(_ log: AccessLog, logger: Logger) async {
        let (records, dropped) = buffer.withLockedValue { state in
            defer { state = ([], 0) }
            return (state.records, state.dropped)
        }
        if dropped > 0 { logger.error("access log buffer full: \(dropped) record(s) dropped") }
        guard !records.isEmpty else { return }
        do {
            try await log.append(records)
        } catch {
            logger.warning(
                "access log not written yet; keeping \(records.count) record(s)", metadata: ["error": "\(error)"])
            buffer.withLockedValue { state in
                let room = max(0, capacity - state.records.count)
                state.records.insert(contentsOf: records.suffix(room), at: 0)
                state.dropped += records.count - min(records.count, room)
            }
        }
    }
}

/// Records every request of the group it is added to (`/v1`), refused ones too: who asked (as authentication
/// found them), about whom, on which route (the matched endpoint, `/v1/organizations/{id}/exposure`), and the
/// answer's status. Runs outside authentication, so a 401 is recorded like a 200.
struct AccessRecordingMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let recorder: AccessRecorder
    /// Off under `--no-auth`, where every caller acts as admin.
    let authenticating: Bool

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response)
        async throws -> Response
    {
        do {
            let response = try await next(request, context)
            record(request, context, response.status)
            return response
        } catch {
            record(request, context, ProblemMiddleware.problem(for: error).status)
            throw error
        }
    }

    private func record(_ request: Request, _ context: APIContext, _ status: HTTPResponse.Status) {
        let route = context.endpointPath ?? request.uri.path
        let caller = context.caller
        recorder.record(
            AccessRecord(
                at: .now, tokenId: caller?.tokenId,
                scope: caller.map { "\($0.scope)" } ?? (authenticating ? "none" : "admin (no auth)"),
                subject: route.hasPrefix("/v1/organizations/{id}") ? context.parameters.get("id") : nil, route: route,
                path: request.uri.string, status: Int(status.code), requestId: context.id))
    }
}
