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
}
