// Incidents and the responses of the labs: breaches, pauses, investigations, resolutions.

/// A vendor was breached. The event's `occurredAt` is when the breach itself happened.
public struct BreachReported: EventPayload {
    public static let type = "BreachReported"
    public var event: DomainEvent { .breachReported(self) }
    public var incident: Slug
    public var vendor: Slug
    public var severity: Severity
    public var summary: String
    /// Empty: unknown, so every kind counts.
    public var dataKinds: [DataKind]
    /// Empty: every client of the vendor.
    public var providers: [Slug]
    public var sources: [String]
    /// When the vendor or the press made the breach public.
    public var disclosedAt: Timestamp?
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
    public var incident: Slug
    public var dataKinds: [DataKind]?
    public var providers: [Slug]?
    public var severity: Severity?
    public var reason: String
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
    public var provider: Slug
    public var vendor: Slug
    public var incident: Slug?
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
    public var provider: Slug
    public var vendor: Slug
    public init(provider: Slug, vendor: Slug) { (self.provider, self.vendor) = (provider, vendor) }
    public var stream: StreamName { .pause(provider: provider, vendor: vendor) }
}

/// A provider opened an investigation of an incident.
public struct InvestigationOpened: EventPayload {
    public static let type = "InvestigationOpened"
    public var event: DomainEvent { .investigationOpened(self) }
    public var investigation: Slug
    public var incident: Slug
    public var provider: Slug
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
    public var investigation: Slug
    public var finding: String
    public init(investigation: Slug, finding: String) { (self.investigation, self.finding) = (investigation, finding) }
    public var stream: StreamName { .investigation(investigation) }
}

/// An investigation closed with an outcome.
public struct InvestigationClosed: EventPayload {
    public static let type = "InvestigationClosed"
    public var event: DomainEvent { .investigationClosed(self) }
    public var investigation: Slug
    public var outcome: InvestigationOutcome
    public var summary: String?
    public init(investigation: Slug, outcome: InvestigationOutcome, summary: String?) {
        (self.investigation, self.outcome, self.summary) = (investigation, outcome, summary)
    }
    public var stream: StreamName { .investigation(investigation) }
}

/// An incident was resolved; its exposures leave the current view.
public struct IncidentResolved: EventPayload {
    public static let type = "IncidentResolved"
    public var event: DomainEvent { .incidentResolved(self) }
    public var incident: Slug
    public var summary: String?
    public init(incident: Slug, summary: String?) { (self.incident, self.summary) = (incident, summary) }
    public var stream: StreamName { .incident(incident) }
}

/// The report of an incident was wrong: as known now, it never happened.
public struct IncidentRetracted: EventPayload {
    public static let type = "IncidentRetracted"
    public var event: DomainEvent { .incidentRetracted(self) }
    public var incident: Slug
    public var reason: String
    public init(incident: Slug, reason: String) { (self.incident, self.reason) = (incident, reason) }
    public var stream: StreamName { .incident(incident) }
}
