import CustodyCore

extension EventStore {
    /// Folds the log, in log order, into a seal builder: up to and including `cursor`, or everything visible
    /// when nil. Returns the builder and the cursor of the last event folded.
    public func sealBuilder(upTo cursor: LogCursor? = nil) async throws -> (Seal.Builder, LogCursor) {
        var builder = Seal.Builder()
        var position = LogCursor.start
        while true {
            let page = try await readLog(after: position, limit: 5000)
            for entry in page.entries {
                if let cursor, cursor < entry.cursor { return (builder, position) }
                builder.add(entry.event)
                position = entry.cursor
            }
            if page.entries.count < 5000 { return (builder, position) }
        }
    }
}
