/// What a deploying organization has done about an exposure.
public enum ResponseState: String, Vocabulary {
    /// Seen; nothing decided yet.
    case acknowledged
    /// Measures are being taken.
    case mitigating
    /// The measures are in place.
    case mitigated
    /// Left as it is, knowingly (with a date to look at it again).
    case riskAccepted = "risk-accepted"
    /// The exposure does not apply, for a stated justification.
    case notAffected = "not-affected"

    /// The word error messages use for a value of this vocabulary.
    public static let noun = "response state"
}

/// Why an exposure does not apply (required with `not-affected`), in the spirit of VEX justifications.
public enum NotAffectedJustification: String, Vocabulary {
    /// The deployed model was trained before the vendor's engagement with the provider.
    case modelPredatesEngagement = "model-predates-engagement"
    /// The deployment handles nothing sensitive the breached data could affect.
    case noSensitiveWorkload = "no-sensitive-workload"
    /// The provider has confirmed in writing that this model is unaffected.
    case providerConfirmedUnaffected = "provider-confirmed-unaffected"
    /// The breached kind of data was not used for this model.
    case dataKindNotUsed = "data-kind-not-used"

    /// The word error messages use for a value of this vocabulary.
    public static let noun = "justification"
}

/// An organization's response to its exposure to an incident: for one deployment, or (`provider` set,
/// `deployment` nil) for every deployment of the organization on that provider, one analysis reused.
public struct ExposureResponseRecorded: EventPayload {
    public static let type = "ExposureResponseRecorded"
    public var event: DomainEvent { .exposureResponseRecorded(self) }
    /// The organization responding; only its own exposures can be answered.
    public var organization: Slug
    /// The incident responded to.
    public var incident: Slug
    /// The deployment answered for; nil with `provider` set answers for all of them on that provider.
    public var deployment: Slug?
    /// With `deployment` nil: every deployment of the organization on this provider.
    public var provider: Slug?
    /// Where the response stands.
    public var state: ResponseState
    /// Who is responsible for it, as given.
    public var owner: String
    /// What was done or decided, in words.
    public var note: String?
    /// Why the exposure does not apply; required with `not-affected`, refused otherwise.
    public var justification: NotAffectedJustification?
    /// When an accepted risk is to be looked at again.
    public var reviewBy: Timestamp?

    /// A response for one deployment or, with `provider` and no `deployment`, for all on that provider.
    public init(
        organization: Slug, incident: Slug, deployment: Slug?, provider: Slug?, state: ResponseState, owner: String,
        note: String? = nil, justification: NotAffectedJustification? = nil, reviewBy: Timestamp? = nil
    ) {
        (self.organization, self.incident, self.deployment, self.provider) = (
            organization, incident, deployment, provider
        )
        (self.state, self.owner, self.note, self.justification, self.reviewBy) = (
            state, owner, note, justification, reviewBy
        )
    }

    public var stream: StreamName { .response(organization: organization, incident: incident) }
    public var references: [StreamName] {
        [.organization(organization), .incident(incident)] + (deployment.map { [.deployment($0)] } ?? [])
            + (provider.map { [.provider($0)] } ?? [])
    }
}

/// A deployment moved its workload to another model (the case for an LLM-agnostic architecture): exposures
/// through the old model end at the switch, those through the new one begin.
public struct DeploymentSwitched: EventPayload {
    public static let type = "DeploymentSwitched"
    public var event: DomainEvent { .deploymentSwitched(self) }
    /// The deployment that switched.
    public var deployment: Slug
    /// The model it runs from now on.
    public var model: Slug
    /// A switch to another model.
    public init(deployment: Slug, model: Slug) { (self.deployment, self.model) = (deployment, model) }
    public var stream: StreamName { .deployment(deployment) }
    public var references: [StreamName] { [.model(model)] }
}

/// A deployment's workload or criticality changed (its model did not).
public struct DeploymentUpdated: EventPayload {
    public static let type = "DeploymentUpdated"
    public var event: DomainEvent { .deploymentUpdated(self) }
    /// The deployment updated.
    public var deployment: Slug
    /// Its new workload; nil keeps it.
    public var workload: String?
    /// Its new criticality; nil keeps it.
    public var criticality: Criticality?
    /// An update; nil fields keep their value.
    public init(deployment: Slug, workload: String?, criticality: Criticality?) {
        (self.deployment, self.workload, self.criticality) = (deployment, workload, criticality)
    }
    public var stream: StreamName { .deployment(deployment) }
}

/// A supply link was recorded by mistake: as known from now on, it never existed. Earlier `--known-at` views
/// still show it, because then it was believed.
public struct SupplyLinkRetracted: EventPayload {
    public static let type = "SupplyLinkRetracted"
    public var event: DomainEvent { .supplyLinkRetracted(self) }
    /// The vendor of the link recorded by mistake.
    public var vendor: Slug
    /// The provider of that link.
    public var provider: Slug
    /// Why it was a mistake.
    public var reason: String
    /// A retraction of a link.
    public init(vendor: Slug, provider: Slug, reason: String) {
        (self.vendor, self.provider, self.reason) = (vendor, provider, reason)
    }
    public var stream: StreamName { .supply(vendor: vendor, provider: provider) }
}
