import CustodyCore
import CustodyStore
import Foundation
import NIOConcurrencyHelpers

/// What the server knows of the log right now, shared by every request: the fold of the log at a cursor (fed by
/// the projector, or by a read-only follower under `--no-projector`), the read models' checkpoint, and why the
/// last attempt to follow failed, if it did.
final class LiveState: Sendable {
    struct Snapshot: Sendable {
        var chain: SupplyChain
        /// The last event folded into `chain`.
        var cursor: LogCursor
        /// The read models' checkpoint (the same as `cursor` when the projector runs in this process).
        var checkpoint: ExposureProjection.Checkpoint?
        /// Changes whenever an answer may have changed: ETags and the answer cache derive from it.
        /// The evaluation time changes with a rebuild, which may leave the cursors where they were.
        var version: String {
            "\(cursor)." + (checkpoint.map { "\($0.cursor).\($0.evaluatedAt.microseconds)" } ?? "none")
        }
    }

    private let state = NIOLockedValueBox<(snapshot: Snapshot?, failure: String?)>((nil, nil))

    /// Nil until the first fold of the log has finished.
    var snapshot: Snapshot? { state.withLockedValue { $0.snapshot } }
    var failure: String? { state.withLockedValue { $0.failure } }

    func folded(_ chain: SupplyChain, at cursor: LogCursor) {
        state.withLockedValue { value in
            let checkpoint = value.snapshot?.checkpoint
            value.snapshot = Snapshot(chain: chain, cursor: cursor, checkpoint: checkpoint)
            value.failure = nil
        }
    }

    func checkpointed(_ checkpoint: ExposureProjection.Checkpoint?) {
        state.withLockedValue { value in value.snapshot?.checkpoint = checkpoint }
    }

    /// The projector in this process (leading or standing by) reports fold and checkpoint at once.
    func projected(_ chain: SupplyChain, _ cursor: LogCursor, _ checkpoint: ExposureProjection.Checkpoint) {
        state.withLockedValue { value in
            value.snapshot = Snapshot(chain: chain, cursor: cursor, checkpoint: checkpoint)
            value.failure = nil
        }
    }

    func failed(_ reason: String) {
        state.withLockedValue { $0.failure = reason }
    }
}

/// Keeps `LiveState` current for as long as the server runs, surviving database outages: on any failure it
/// records why, waits, and starts again from a fresh fold.
struct LogWatcher: Sendable {
    let database: Database
    let live: LiveState
    /// Run the exposure projector here (writing the read models), or only follow the log and the checkpoint.
    let project: Bool
    /// How often a follower polls; a follower of a standby polls only (a standby cannot LISTEN).
    var pollInterval = Duration.milliseconds(200)
    var listening = true

    func run() async {
        var delay = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                try await Migrator(database).requireCurrent()
                if project {
                    let live = self.live
                    let projection = ExposureProjection(EventStore(database)) { chain, cursor, checkpoint in
                        live.projected(chain, cursor, checkpoint)
                    }
                    try await projection.run()
                } else {
                    try await follow()
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                live.failed("\(error)")
                database.logger.warning(
                    "following the log failed; retrying", metadata: ["error": "\(error)", "in": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
                continue
            }
        }
    }

    /// Folds the log without writing anything, and polls the read models' checkpoint written by another process.
    private func follow() async throws {
        let store = EventStore(database)
        var chain = SupplyChain()
        let (cursor, _) = try await store.fold { chain.apply($0) }
        live.folded(chain, at: cursor)
        live.checkpointed(try await ExposureProjection.checkpoint(database))
        let folded = chain
        let start = cursor
        let live = self.live
        let database = self.database
        let (pollInterval, listening) = (self.pollInterval, self.listening)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let fold = NIOLockedValueBox(folded)
                try await Follower(store, pollInterval: pollInterval, listening: listening).follow(after: start) {
                    page in
                    let chain = fold.withLockedValue { chain in
                        for entry in page.entries { chain.apply(entry.event) }
                        return chain
                    }
                    live.folded(chain, at: page.next)
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: pollInterval)
                    live.checkpointed(try await ExposureProjection.checkpoint(database))
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
