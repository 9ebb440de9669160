import CustodyCore
import PostgresNIO

extension EventStore {
    /// The supply chain as the log knew it at `knownAt` (everything when nil): every event recorded by then,
    /// folded. One streamed query; the fold does not care about order.
    public func supplyChain(knownAt: Timestamp? = nil) async throws -> SupplyChain {
        var chain = SupplyChain()
        let rows = try await database.query(
            """
            \(unescaped: EventRow.select)
            WHERE \(knownAt?.microseconds)::bigint IS NULL OR recorded_at <= custody_from_micros(\(knownAt?.microseconds))
            """)
        do {
            for try await row in rows { chain.apply(try EventRow.decode(row).0) }
        } catch {
            throw Database.translate(error)
        }
        return chain
    }
}
