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
    /// investigations. Findings are read as a timeline shows them (`Postmortem.Finding`), their fields taken out
    /// by PostgreSQL: a large incident has hundreds of thousands, and decoding each as an event was most of a
    /// postmortem's time.
    public func postmortemFacts(of incident: Slug) async throws -> Postmortem.Facts {
        let events = try await foldFacts()
        let investigations = events.compactMap { event -> String? in
            guard case .investigationOpened(let opened) = event.event, opened.incident == incident else { return nil }
            return StreamName.investigation(opened.investigation).description
        }
        guard !investigations.isEmpty else { return Postmortem.Facts(events: events, findings: []) }
        var findings: [Postmortem.Finding] = []
        do {
            for try await (position, version, occurred, recorded, actor, source, investigation, finding)
                in try await database.query(
                    """
                    SELECT position, schema_version, occurred_at, recorded_at, metadata->>'actor',
                        metadata->>'source', data->>'investigation', data->>'finding'
                    FROM custody_events
                    WHERE stream_id = ANY(\(investigations)) AND type = \(InvestigationFindingRecorded.type)
                    """
                ).decode((Int64, Int32, Micros, Micros, String?, String?, String?, String?).self)
            {
                guard version >= 1, Int(version) <= InvestigationFindingRecorded.schemaVersion,
                    let actor, let source, let finding, let investigation = investigation.flatMap({ try? Slug($0) })
                else {
                    throw CustodyError.malformedEvent(
                        "the finding at position \(position) (schema version \(version)) cannot be read; "
                            + "`custody verify` lists every such event")
                }
                findings.append(
                    Postmortem.Finding(
                        position: position, occurredAt: occurred.timestamp, recordedAt: recorded.timestamp,
                        investigation: investigation, finding: finding, actor: actor, source: source))
            }
        } catch {
            // The store's and the core's own errors (the unreadable finding above) pass through unchanged.
            throw Database.translate(error)
        }
        return Postmortem.Facts(events: events, findings: findings)
    }
}
