extension Duration {
    /// The duration in seconds, for rates and reports (events/s, "took 1.2 s").
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
