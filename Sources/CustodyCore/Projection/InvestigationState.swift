/// Where a provider's investigation of an incident stands, as the read models keep it: one row per pair whose
/// status is not `potential` at the time they were evaluated at. Exposure rows are stored without their `status`
/// and read with it composed from these rows (as `paused` is from `VendorPause`), so opening or closing an
/// investigation writes one row instead of rewriting the ~2,000 exposure rows through the pair, and the
/// organizations' summaries, which count statuses, are counted when read.
public struct InvestigationState: Hashable, Sendable, Comparable {
    /// The provider investigating.
    public var provider: Slug
    /// The incident investigated.
    public var incident: Slug
    /// Where it stands: never `potential` (no row means that).
    public var status: ExposureStatus

    /// A pair's standing.
    public init(provider: Slug, incident: Slug, status: ExposureStatus) {
        (self.provider, self.incident, self.status) = (provider, incident, status)
    }

    /// The pair whose standing it is.
    var pair: SupplyChain.Pair { SupplyChain.Pair(first: provider, second: incident) }

    /// By incident, then provider, then status.
    public static func < (lhs: InvestigationState, rhs: InvestigationState) -> Bool {
        (lhs.incident, lhs.provider, lhs.status.rawValue) < (rhs.incident, rhs.provider, rhs.status.rawValue)
    }
}

extension SupplyChain {
    /// Every pair whose status is not `potential` at `time`, each evaluated as an exposure row's status is.
    public func investigationStates(at time: Timestamp) -> Set<InvestigationState> {
        var pairs: Set<Pair> = []
        for facts in investigations.values {
            for opened in facts.opened.facts {
                pairs.insert(Pair(first: opened.value.provider, second: opened.value.incident))
            }
        }
        var states: Set<InvestigationState> = []
        for pair in pairs {
            let status = status(provider: pair.first, incident: pair.second, at: time)
            if status != .potential {
                states.insert(InvestigationState(provider: pair.first, incident: pair.second, status: status))
            }
        }
        return states
    }
}
