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

    /// What a postmortem of `incident` reads: the facts that can bear on it, and the findings of its
    /// investigations. Findings are read as a timeline shows them (`Postmortem.Finding`), their fields taken out
    /// by PostgreSQL: a large incident has hundreds of thousands, and decoding each as an event was most of a
    /// postmortem's time. Both are read at once, each on a connection of its own.
    /// `Postmortem.of` keeps the findings of the investigations among the facts read, as it does for any facts.
    public func postmortemFacts(of incident: Slug) async throws -> Postmortem.Facts {
        async let scoped = facts(bearingOn: incident)
        let findings = try await findings(of: incident)
        return Postmortem.Facts(events: try await scoped, findings: findings)
    }

    /// Every fact that can bear on `incident`, and a few more: what `Postmortem` keeps of the whole log (its
    /// scope, `facts(bearingOn:vendor:in:)` in CustodyCore) chosen by PostgreSQL from the facts' fields, so that
    /// only those are sent and decoded (a postmortem decoded every fact of the fold snapshot: at a million events
    /// a quarter of its time). The whole registry but deployments is kept (a few thousand facts at most); of
    /// deployments, those ever on a model of a provider the incident's vendor ever supplied; of incidents'
    /// facts, this incident's, its vendor's pauses and its investigations'. A superset of the scope, which
    /// `Postmortem` narrows exactly; a test holds the two reports to be the same for every incident.
    func facts(bearingOn incident: Slug) async throws -> [RecordedEvent] {
        // The fields that decide the scope, of the facts that decide it; then every fact, kept when in scope (both
        // through the facts' partial index, schema/022). Written for schema version 1 of every event type.
        let rows = try await database.query(
            """
            WITH f AS MATERIALIZED (
                SELECT type, data->>'vendor' AS vendor, data->>'provider' AS provider, data->>'model' AS model,
                    data->>'incident' AS incident, data->>'deployment' AS deployment,
                    data->>'investigation' AS investigation
                FROM custody_events
                WHERE \(unescaped: EventRow.fact) AND type IN ('BreachReported', 'SupplyLinkRecorded',
                    'ModelRegistered', 'ModelDeployed', 'DeploymentSwitched', 'InvestigationOpened')
            ),
            vendors AS (SELECT vendor FROM f WHERE type = 'BreachReported' AND incident = \(incident.rawValue)),
            providers AS (
                SELECT provider FROM f WHERE type = 'SupplyLinkRecorded' AND vendor IN (SELECT vendor FROM vendors)
            ),
            models AS (
                SELECT model FROM f WHERE type = 'ModelRegistered' AND provider IN (SELECT provider FROM providers)
            ),
            deployments AS (
                SELECT deployment FROM f
                WHERE type IN ('ModelDeployed', 'DeploymentSwitched') AND model IN (SELECT model FROM models)
            ),
            investigations AS (
                SELECT investigation FROM f WHERE type = 'InvestigationOpened' AND incident = \(incident.rawValue)
            )
            \(unescaped: EventRow.select)
            WHERE \(unescaped: EventRow.fact) AND (
                type IN ('VendorRegistered', 'ProviderRegistered', 'ModelRegistered', 'SupplyLinkRecorded',
                    'SupplyLinkEnded', 'SupplyLinkRetracted', 'OrganizationRegistered')
                OR (type IN ('ModelDeployed', 'DeploymentRetired', 'DeploymentSwitched', 'DeploymentUpdated')
                    AND data->>'deployment' IN (SELECT deployment FROM deployments))
                OR (type IN ('BreachReported', 'BreachScopeRevised', 'IncidentResolved', 'IncidentRetracted',
                    'ExposureResponseRecorded') AND data->>'incident' = \(incident.rawValue))
                OR (type IN ('VendorPaused', 'VendorResumed') AND data->>'vendor' IN (SELECT vendor FROM vendors))
                OR (type IN ('InvestigationOpened', 'InvestigationClosed')
                    AND data->>'investigation' IN (SELECT investigation FROM investigations))
            )
            ORDER BY position
            """)
        do {
            var fetched: [PostgresRow] = []
            for try await row in rows { fetched.append(row) }
            return try await EventRow.decode(fetched).map(\.0)
        } catch {
            throw Database.translate(error)
        }
    }

    /// The findings of every investigation ever opened for `incident`. A finding's stream names its investigation
    /// (`investigation-<id>`), so each row's investigation is looked up among those, not read from its data and
    /// checked again: a large incident has over 100,000 findings.
    private func findings(of incident: Slug) async throws -> [Postmortem.Finding] {
        var investigations: [String: Slug] = [:]
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
                    investigations[StreamName.investigation(id).description] = id
                }
            }
            guard !investigations.isEmpty else { return [] }
            let streams = Array(investigations.keys)
            for try await row in try await database.query(
                """
                SELECT position, schema_version, occurred_at, recorded_at, stream_id, metadata->>'actor',
                    metadata->>'source', data->>'finding'
                FROM custody_events
                WHERE stream_id = ANY(\(streams)) AND type = \(InvestigationFindingRecorded.type)
                """
            ) {
                // Column by column: decoding the row as one tuple is not specialized, and asks the runtime for the
                // tuple's type on every row.
                var columns = RowColumns(row)
                let (position, version, occurred, recorded, stream) = (
                    try columns.next(Int64.self), try columns.next(Int32.self), try columns.next(Micros.self),
                    try columns.next(Micros.self), try columns.next(String.self)
                )
                let (actor, source, finding) = (
                    try columns.next(String?.self), try columns.next(String?.self), try columns.next(String?.self)
                )
                guard version >= 1, Int(version) <= InvestigationFindingRecorded.schemaVersion,
                    let actor, let source, let finding, let investigation = investigations[stream]
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
