import CustodyCore
import CustodyStore
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
            logger.warning("access log not written yet; keeping \(records.count) record(s)", metadata: ["error": "\(error)"])
            buffer.withLockedValue { state in
                let room = max(0, capacity - state.records.count)
                state.records.insert(contentsOf: records.suffix(room), at: 0)
                state.dropped += records.count - min(records.count, room)
            }
        }
    }
}
