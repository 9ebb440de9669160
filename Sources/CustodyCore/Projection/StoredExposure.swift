extension Exposure {
    /// The row as the read model stores it: its `paused` flag and its `status` are composed when it is read, from
    /// the pauses (`VendorPause`) and the investigations' states (`InvestigationState`).
    public var stored: Exposure {
        var row = self
        row.paused = false
        row.status = .potential
        return row
    }

    /// The row's stored document: `jsonbText` without `paused` and `status`.
    public var storedJSONBText: String { jsonbText(composed: false) }

    /// The stored row as a reader gets it, with what is composed at read time.
    public func composing(paused: Bool, status: ExposureStatus) -> Exposure {
        var row = self
        (row.paused, row.status) = (paused, status)
        return row
    }
}
