/// How the current exposures changed between two moments.
public struct ExposureDiff: Hashable, Sendable, Codable {
    /// One exposure present at both moments whose status, severity or pause changed.
    public struct Change: Hashable, Sendable, Codable {
        /// The row at the first moment.
        public var before: Exposure
        /// The row at the second.
        public var after: Exposure
    }

    /// The first moment.
    public var from: Timestamp
    /// The second.
    public var to: Timestamp
    /// `world` (as of each moment, as known now) or `record` (as known at each moment).
    public var clock: String
    /// Rows current at the second moment only.
    public var appeared: [Exposure]
    /// Rows current at the first moment only.
    public var disappeared: [Exposure]
    /// Status, severity or pause changed.
    public var changed: [Change]

    /// The difference between the current rows at two moments.
    public init(from: Timestamp, to: Timestamp, clock: String, before: [Exposure], after: [Exposure]) {
        (self.from, self.to, self.clock) = (from, to, clock)
        func key(_ row: Exposure) -> String { row.deployment.rawValue + "/" + row.incident.rawValue }
        let old = Dictionary(before.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(after.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        appeared = after.filter { old[key($0)] == nil }
        disappeared = before.filter { new[key($0)] == nil }
        changed = after.compactMap { row in
            guard let previous = old[key(row)],
                previous.status != row.status || previous.severity != row.severity || previous.paused != row.paused
            else { return nil }
            return Change(before: previous, after: row)
        }
    }
}
