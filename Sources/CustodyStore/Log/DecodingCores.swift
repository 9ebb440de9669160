import Foundation

/// How many cores a reader decodes a large batch of events on: all of them, unless the task is background work.
///
/// The leader stores a fold snapshot every 10,000 events: it decodes the previous one and the log since (tens of
/// thousands of events). Decoded on every core, that work takes every thread of the cooperative pool on a machine
/// of two cores, and the projector's next page and the webhook deliverer wait for one; the `webhook_latency` p99
/// outliers (345–415 ms) came whenever a snapshot fell due during the measurement. Background work decodes on one
/// core and leaves the others to what users wait for.
enum DecodingCores {
    @TaskLocal static var background = false

    /// Workers for `items`, each worth a task of at least `perWorker` items.
    static func workers(for items: Int, perWorker: Int) -> Int {
        background ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, items / perWorker))
    }
}
