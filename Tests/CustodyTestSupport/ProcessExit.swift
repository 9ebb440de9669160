import Foundation

extension Process {
    /// Whether the process has exited within `timeout`, waited for on the clock. Not `waitUntilExit`: that blocks
    /// its thread in a run loop until Foundation notices the exit, and a test's thread is one of the cooperative
    /// pool's two; two full runs of the suite went silent in tests that called it there (a projector test in the
    /// eleventh session, the spool test in the thirteenth).
    public func exited(within timeout: Duration = .seconds(20)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return !isRunning
    }
}
