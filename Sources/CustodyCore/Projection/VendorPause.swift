/// A provider's pause of its work with a vendor, as the read models keep it: one row per pair paused at the time
/// they were evaluated at. Exposure rows are stored without their `paused` flag and read with it composed from
/// these rows, so a pause writes one row instead of rewriting every exposure row through the pair (thousands).
public struct VendorPause: Hashable, Sendable, Comparable {
    /// The provider that paused.
    public var provider: Slug
    /// The vendor it paused.
    public var vendor: Slug

    /// A paused pair.
    public init(provider: Slug, vendor: Slug) { (self.provider, self.vendor) = (provider, vendor) }

    /// By provider, then vendor.
    public static func < (lhs: VendorPause, rhs: VendorPause) -> Bool {
        (lhs.provider, lhs.vendor) < (rhs.provider, rhs.vendor)
    }
}

extension SupplyChain {
    /// Every pair paused at `time`.
    public func pauses(at time: Timestamp) -> Set<VendorPause> {
        var paused: Set<VendorPause> = []
        for (pair, timeline) in pauses where timeline.latest(at: time)?.value == true {
            paused.insert(VendorPause(provider: pair.first, vendor: pair.second))
        }
        return paused
    }
}
