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
    /// postmortem's time. They are read while the fold snapshot is decoded (both take hundreds of milliseconds at a
    /// million events), and kept only for investigations the facts read open for the incident.
    public func postmortemFacts(of incident: Slug) async throws -> Postmortem.Facts {
        async let folded = foldFacts()
        let findings = try await findings(of: incident)
        let events = try await folded
        let investigations = Set(
            events.compactMap { event -> Slug? in
                guard case .investigationOpened(let opened) = event.event, opened.incident == incident else {
                    return nil
                }
                return opened.investigation
            })
        return Postmortem.Facts(events: events, findings: findings.filter { investigations.contains($0.investigation) })
    }

    /// The findings of every investigation ever opened for `incident`.
    private func findings(of incident: Slug) async throws -> [Postmortem.Finding] {
        var streams: [String] = []
        var findings: [Postmortem.Finding] = []
        do {
            for try await investigation in try await database.query(
                """
                SELECT DISTINCT data->>'investigation' FROM custody_events
                WHERE \(unescaped: EventRow.fact) AND type = \(InvestigationOpened.type)
                  AND data->>'incident' = \(incident.rawValue)
                """
            ).decode(String?.self) {
                if let id = investigation.flatMap({ try? Slug($0) }) {
                    streams.append(StreamName.investigation(id).description)
                }
            }
            guard !streams.isEmpty else { return [] }
            for try await row in try await database.query(
                """
                SELECT position, schema_version, occurred_at, recorded_at, metadata->>'actor',
                    metadata->>'source', data->>'investigation', data->>'finding'
                FROM custody_events
                WHERE stream_id = ANY(\(streams)) AND type = \(InvestigationFindingRecorded.type)
                """
            ) {
                var columns = RowColumns(row)
                let (position, version, occurred, recorded) = (
                    try columns.next(Int64.self), try columns.next(Int32.self), try columns.next(Micros.self),
                    try columns.next(Micros.self)
                )
                let (actor, source, investigation, finding) = (
                    try columns.next(String?.self), try columns.next(String?.self), try columns.next(String?.self),
                    try columns.next(String?.self)
                )
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
        return findings
    }
}
