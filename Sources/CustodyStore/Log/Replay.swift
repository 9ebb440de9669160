import CustodyCore
import PostgresNIO

extension EventStore {
    /// The supply chain as the log knew it at `knownAt` (everything when nil): the newest fold snapshot and the
    /// log after it, folded. The fold does not care about order.
    public func supplyChain(knownAt: Timestamp? = nil) async throws -> SupplyChain {
        var chain = SupplyChain()
        chain.apply(try await foldFacts(knownAt: knownAt))
        return chain
    }

    /// What a postmortem of `incident` reads: every fact the fold uses, and the findings of the incident's
    /// investigations (from their streams), in log position order.
    public func postmortemEvents(of incident: Slug) async throws -> [RecordedEvent] {
        var events = try await foldFacts()
        let investigations = events.compactMap { event -> StreamName? in
            guard case .investigationOpened(let opened) = event.event, opened.incident == incident else { return nil }
            return .investigation(opened.investigation)
        }
        if !investigations.isEmpty {
            events += try await read(streams: investigations).filter { !SupplyChain.folds($0.event) }
        }
        return events.sorted { $0.position < $1.position }
    }
}
