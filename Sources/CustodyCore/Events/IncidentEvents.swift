// Incidents and the responses of the labs: breaches, pauses, investigations, resolutions.

/// A vendor was breached. The event's `occurredAt` is when the breach itself happened.
public struct BreachReported: EventPayload {
    public static let type = "BreachReported"
    public var event: DomainEvent { .breachReported(self) }
    /// The incident's id, chosen by whoever reports it; its facts form the stream `incident-<id>`.
    public var incident: Slug
    /// The breached vendor.
    public var vendor: Slug
    /// How bad the breach is, as reported; a scope revision may change it.
    public var severity: Severity
    /// What happened, in a sentence.
    public var summary: String
    /// Empty: unknown, so every kind counts.
    public var dataKinds: [DataKind]
    /// Empty: every client of the vendor.
    public var providers: [Slug]
    /// Where the report comes from (advisories, articles), as given.
    public var sources: [String]
    /// When the vendor or the press made the breach public.
    public var disclosedAt: Timestamp?
    /// A report with every field given; empty `dataKinds` and `providers` mean unknown (everything counts).
    public init(
        incident: Slug, vendor: Slug, severity: Severity, summary: String, dataKinds: [DataKind], providers: [Slug],
        sources: [String], disclosedAt: Timestamp?
    ) {
        (self.incident, self.vendor, self.severity, self.summary) = (incident, vendor, severity, summary)
        (self.dataKinds, self.providers, self.sources, self.disclosedAt) = (dataKinds, providers, sources, disclosedAt)
    }
    public var stream: StreamName { .incident(incident) }
    public var references: [StreamName] { [.vendor(vendor)] + providers.map(StreamName.provider) }
}

/// The known scope of a breach was corrected; fields left out keep their value.
public struct BreachScopeRevised: EventPayload {
    public static let type = "BreachScopeRevised"
    public var event: DomainEvent { .breachScopeRevised(self) }
    /// The incident whose scope is corrected.
    public var incident: Slug
    /// The data kinds now known to be affected; nil keeps them.
    public var dataKinds: [DataKind]?
    /// The clients now known to be affected; nil keeps them.
    public var providers: [Slug]?
    /// The corrected severity; nil keeps it.
    public var severity: Severity?
    /// Why the scope changed.
    public var reason: String
    /// A revision; nil fields keep their value.
    public init(incident: Slug, dataKinds: [DataKind]?, providers: [Slug]?, severity: Severity?, reason: String) {
        (self.incident, self.dataKinds, self.providers, self.severity, self.reason) =
            (incident, dataKinds, providers, severity, reason)
    }
    public var stream: StreamName { .incident(incident) }
    public var references: [StreamName] { (providers ?? []).map(StreamName.provider) }
}

/// A provider paused its work with a vendor, optionally because of an incident.
public struct VendorPaused: EventPayload {
    public static let type = "VendorPaused"
    public var event: DomainEvent { .vendorPaused(self) }
    /// The provider that paused.
    public var provider: Slug
    /// The vendor it paused work with.
    public var vendor: Slug
    /// The incident that caused the pause, when there is one.
    public var incident: Slug?
    /// A pause, optionally because of an incident.
    public init(provider: Slug, vendor: Slug, incident: Slug?) {
        (self.provider, self.vendor, self.incident) = (provider, vendor, incident)
    }
    public var stream: StreamName { .pause(provider: provider, vendor: vendor) }
    public var references: [StreamName] {
        [.provider(provider), .vendor(vendor)] + (incident.map { [StreamName.incident($0)] } ?? [])
    }
}

/// A provider resumed work with a vendor.
public struct VendorResumed: EventPayload {
    public static let type = "VendorResumed"
    public var event: DomainEvent { .vendorResumed(self) }
    /// The provider that resumed.
    public var provider: Slug
    /// The vendor it works with again.
    public var vendor: Slug
    /// A resumption.
    public init(provider: Slug, vendor: Slug) { (self.provider, self.vendor) = (provider, vendor) }
    public var stream: StreamName { .pause(provider: provider, vendor: vendor) }
}

/// A provider opened an investigation of an incident.
public struct InvestigationOpened: EventPayload {
    public static let type = "InvestigationOpened"
    public var event: DomainEvent { .investigationOpened(self) }
    /// The investigation's id; its facts form the stream `investigation-<id>`.
    public var investigation: Slug
    /// The incident investigated.
    public var incident: Slug
    /// The provider investigating, for its own models.
    public var provider: Slug
    /// An investigation opened.
    public init(investigation: Slug, incident: Slug, provider: Slug) {
        (self.investigation, self.incident, self.provider) = (investigation, incident, provider)
    }
    public var stream: StreamName { .investigation(investigation) }
    public var references: [StreamName] { [.incident(incident), .provider(provider)] }
}

/// An open investigation recorded a finding.
public struct InvestigationFindingRecorded: EventPayload {
    public static let type = "InvestigationFindingRecorded"
    public var event: DomainEvent { .investigationFindingRecorded(self) }
    /// The open investigation the finding belongs to.
    public var investigation: Slug
    /// What was found, as written.
    public var finding: String
    /// A finding in an open investigation.
    public init(investigation: Slug, finding: String) { (self.investigation, self.finding) = (investigation, finding) }
    public var stream: StreamName { .investigation(investigation) }
}

/// An investigation closed with an outcome.
public struct InvestigationClosed: EventPayload {
    public static let type = "InvestigationClosed"
    public var event: DomainEvent { .investigationClosed(self) }
    /// The investigation closed.
    public var investigation: Slug
    /// What it concluded; it sets the status of the provider's exposures.
    public var outcome: InvestigationOutcome
    /// The conclusion in words, when given.
    public var summary: String?
    /// A closing with its outcome.
    public init(investigation: Slug, outcome: InvestigationOutcome, summary: String?) {
        (self.investigation, self.outcome, self.summary) = (investigation, outcome, summary)
    }
    public var stream: StreamName { .investigation(investigation) }
}

/// An incident was resolved; its exposures leave the current view.
public struct IncidentResolved: EventPayload {
    public static let type = "IncidentResolved"
    public var event: DomainEvent { .incidentResolved(self) }
    /// The incident resolved.
    public var incident: Slug
    /// How it was resolved, when given.
    public var summary: String?
    /// A resolution.
    public init(incident: Slug, summary: String?) { (self.incident, self.summary) = (incident, summary) }
    public var stream: StreamName { .incident(incident) }
}

/// The report of an incident was wrong: as known now, it never happened.
public struct IncidentRetracted: EventPayload {
    public static let type = "IncidentRetracted"
    public var event: DomainEvent { .incidentRetracted(self) }
    /// The incident retracted.
    public var incident: Slug
    /// Why the report was wrong.
    public var reason: String
    /// A retraction.
    public init(incident: Slug, reason: String) { (self.incident, self.reason) = (incident, reason) }
    public var stream: StreamName { .incident(incident) }
}
