import CustodyCore
import PostgresNIO

extension EventStore {
    /// The supply chain as the log knew it at `knownAt` (everything when nil): every event recorded by then,
    /// folded. One streamed query; the fold does not care about order.
    public func supplyChain(knownAt: Timestamp? = nil) async throws -> SupplyChain {
        var chain = SupplyChain()
        try await replay(knownAt: knownAt) { chain.apply($0) }
        return chain
    }

    /// Every event recorded by `knownAt` (everything when nil), in log position order.
    public func events(knownAt: Timestamp? = nil) async throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        try await replay(knownAt: knownAt) { events.append($0) }
        return events
    }

    private func replay(knownAt: Timestamp?, _ handle: (RecordedEvent) -> Void) async throws {
        let rows = try await database.query(
            """
            \(unescaped: EventRow.select)
            WHERE \(knownAt?.microseconds)::bigint IS NULL OR recorded_at <= custody_from_micros(\(knownAt?.microseconds))
            ORDER BY position
            """)
        do {
            for try await row in rows { handle(try EventRow.decode(row).0) }
        } catch {
            throw Database.translate(error)
        }
    }
}
