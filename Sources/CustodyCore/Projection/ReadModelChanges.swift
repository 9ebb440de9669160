/// What the read models must change to go from one fold, evaluated at one time, to another fold at a later time,
/// within the part an impact names: the rows to write and the keys to delete, nothing else.
public struct ReadModelChanges: Sendable, Equatable {
    /// An exposure row's primary key.
    public struct Key: Hashable, Sendable, Comparable {
        /// The deployment.
        public var deployment: Slug
        /// The incident.
        public var incident: Slug

        /// A row's key.
        public init(deployment: Slug, incident: Slug) { (self.deployment, self.incident) = (deployment, incident) }

        /// By deployment, then incident.
        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.deployment, lhs.incident) < (rhs.deployment, rhs.incident)
        }
    }

    /// Exposure rows that are new or whose stored document (`Exposure.stored`) changed: the new ones first.
    public var exposures: [Exposure] = []
    /// How many of `exposures`, the first ones, are new: rows the tables do not hold.
    public var newExposureCount = 0
    /// Pairs paused now that were not (`paused` is composed from these when rows are read).
    public var pausesStarted: [VendorPause] = []
    /// Pairs no longer paused.
    public var pausesEnded: [VendorPause] = []
    /// Investigation states new or changed (`status` is composed from these when rows are read).
    public var statesSet: [InvestigationState] = []
    /// Investigation states gone (the pair is `potential` again), as they were.
    public var statesEnded: [InvestigationState] = []
    /// Rows to delete: no longer in the fold's view.
    public var removedExposures: [Key] = []
    /// The registry part of organizations' views to write; what their rows count is counted when read. None is
    /// ever deleted: an organization cannot be unregistered.
    public var organizations: [OrganizationRegistry] = []
    /// Registry entries of deployments to write (`custody deployments` answers from them). None is ever deleted:
    /// a deployment is retired, never unregistered.
    public var deployments: [DeploymentEntry] = []
    /// The row changes a subscriber is told of (`ExposureMessageType.of`), by key: what the notifications of a
    /// step say is exactly what it changed in the read models.
    public var notices: [ExposureNotice] = []

    /// No change.
    public init() {}

    /// Whether nothing is to be written.
    public var isEmpty: Bool {
        exposures.isEmpty && removedExposures.isEmpty && organizations.isEmpty && deployments.isEmpty
            && pausesStarted.isEmpty && pausesEnded.isEmpty && statesSet.isEmpty && statesEnded.isEmpty
    }

    /// Whether these changes and `other` write or delete a common exposure row. Two pages that do not can be
    /// written at once: neither then waits for a row the other has written and not yet committed.
    public func sharesExposureRows(with other: ReadModelChanges) -> Bool {
        let (smaller, larger) = exposureRowCount <= other.exposureRowCount ? (self, other) : (other, self)
        let keys = Set(larger.exposures.map(\.key)).union(larger.removedExposures)
        return smaller.exposures.contains { keys.contains($0.key) }
            || smaller.removedExposures.contains(where: keys.contains)
    }

    private var exposureRowCount: Int { exposures.count + removedExposures.count }

    /// The rows the tables do not hold: inserted without looking for one to replace (the look, an index probe
    /// per row, was a fifth of what writing a breach's thousands of rows cost PostgreSQL).
    public var newExposures: ArraySlice<Exposure> { exposures.prefix(newExposureCount) }

    /// The rows the tables hold with another stored document.
    public var changedExposures: ArraySlice<Exposure> { exposures.dropFirst(newExposureCount) }

    /// The difference, within `impact`, between `before` evaluated at `then` (what the tables hold) and `after`
    /// evaluated at `now`. Notices are made for the rows of `noticing` organizations (of every one when nil).
    public init(
        from before: SupplyChain, at then: Timestamp, to after: SupplyChain, at now: Timestamp,
        within impact: ExposureImpact, noticing: Set<Slug>? = nil
    ) {
        // Few pairs are ever paused or investigated (hundreds at a million events): comparing all of them is
        // cheaper than deriving which ones a step touched, and a fact coming true at its time (no event in the
        // step) is covered too.
        let (wasPaused, isPaused) = (before.pauses(at: then), after.pauses(at: now))
        pausesStarted = isPaused.subtracting(wasPaused).sorted()
        pausesEnded = wasPaused.subtracting(isPaused).sorted()
        let (wasStanding, isStanding) = (before.investigationStates(at: then), after.investigationStates(at: now))
        statesSet = isStanding.subtracting(wasStanding).sorted()
        let standingPairs = Set(isStanding.map(\.pair))
        statesEnded = wasStanding.filter { !standingPairs.contains($0.pair) }.sorted()
        guard !impact.isEmpty else { return }
        deployments = impact.deployments.sorted().compactMap { id in
            let entry = after.deploymentEntry(id, at: now)
            return entry == before.deploymentEntry(id, at: then) ? nil : entry
        }
        let old = Self.rows(before, at: then, within: impact, noticing: noticing)
        let new = Self.rows(after, at: now, within: impact, noticing: noticing)
        var noticed: [(Key, ExposureNotice)] = []
        // A row `old` lacks is one the tables lack: `old` holds every row `before` held of the impact's incidents
        // and deployments, and the organizations told of a change gain only deployments the step adds, which are
        // the impact's. (Should one be held all the same, the store upserts the page's new rows instead.)
        var changed: [Exposure] = []
        for (key, row) in new {
            // Looked up once: a breach's step compares thousands of rows.
            let previous = old[key]
            guard previous != row else { continue }
            if previous == nil { exposures.append(row) } else if previous?.stored != row.stored { changed.append(row) }
            if noticing?.contains(row.organization) ?? true,
                let type = ExposureMessageType.of(previous: previous, current: row)
            {
                noticed.append((key, ExposureNotice(type: type, previous: previous, current: row)))
            }
        }
        for (key, row) in old where new[key] == nil {
            removedExposures.append(key)
            if noticing?.contains(row.organization) ?? true,
                let type = ExposureMessageType.of(previous: row, current: nil)
            {
                noticed.append((key, ExposureNotice(type: type, previous: row, current: nil)))
            }
        }
        newExposureCount = exposures.count
        exposures += changed
        removedExposures.sort()
        notices = noticed.sorted { $0.0 < $1.0 }.map(\.1)
        // The views of the organizations named are written whether or not they changed: what names them (a
        // deployment, a supplier, a registration) nearly always changes the registry part.
        var supplying: [Slug: [Slug]] = [:]
        organizations = impact.organizations.sorted().compactMap {
            after.organizationRegistry($0, at: now, supplying: &supplying)
        }
    }

    private static func rows(
        _ chain: SupplyChain, at time: Timestamp, within impact: ExposureImpact, noticing: Set<Slug>?
    ) -> [Key: Exposure] {
        var found = chain.unorderedExposures(toIncidents: impact.incidents, among: nil, at: time)
        // Rows whose change nobody stores are evaluated only for the organizations told of it. A row also reached
        // in full above is evaluated twice, to the same value.
        let told = noticing.map {
            $0.reduce(into: Set<Slug>()) { $0.formUnion(chain.deploymentsByOrganization[$1] ?? []) }
        }
        if told?.isEmpty != true {
            for (incident, providers) in impact.flagsThrough {
                found += chain.unorderedExposures(toIncidents: [incident], among: told, through: providers, at: time)
            }
        }
        if !impact.deployments.isEmpty {
            found += chain.unorderedExposures(toIncidents: chain.incidentIds, among: impact.deployments, at: time)
        }
        // Sized once: growing a dictionary of thousands of rows step by step was a tenth of a pause's cost.
        var rows: [Key: Exposure] = Dictionary(minimumCapacity: found.count)
        for row in found { rows[row.key] = row }
        return rows
    }
}

extension Exposure {
    /// Its row's primary key in the read model.
    public var key: ReadModelChanges.Key { ReadModelChanges.Key(deployment: deployment, incident: incident) }
}
