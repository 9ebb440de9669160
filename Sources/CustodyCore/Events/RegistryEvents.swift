// The supply-chain registry: who makes data, who trains models, who deploys them, and the links between them.

/// A training-data vendor was registered.
public struct VendorRegistered: EventPayload {
    public static let type = "VendorRegistered"
    public var event: DomainEvent { .vendorRegistered(self) }
    /// The vendor's id; its facts form the stream `vendor-<id>`.
    public var vendor: Slug
    /// The vendor's name, as shown.
    public var name: String
    /// A vendor registered.
    public init(vendor: Slug, name: String) { (self.vendor, self.name) = (vendor, name) }
    public var stream: StreamName { .vendor(vendor) }
}

/// A model provider (a lab) was registered.
public struct ProviderRegistered: EventPayload {
    public static let type = "ProviderRegistered"
    public var event: DomainEvent { .providerRegistered(self) }
    /// The provider's id; its facts form the stream `provider-<id>`.
    public var provider: Slug
    /// The provider's name, as shown.
    public var name: String
    /// A provider registered.
    public init(provider: Slug, name: String) { (self.provider, self.name) = (provider, name) }
    public var stream: StreamName { .provider(provider) }
}

/// A model of a provider was registered.
public struct ModelRegistered: EventPayload {
    public static let type = "ModelRegistered"
    public var event: DomainEvent { .modelRegistered(self) }
    /// The model's id; its facts form the stream `model-<id>`.
    public var model: Slug
    /// The model's name, as shown.
    public var name: String
    /// The provider that trains it.
    public var provider: Slug
    /// Whether its weights are published (anyone may deploy a copy).
    public var openWeights: Bool
    /// The model's package URL, by which a CycloneDX bill of materials may name it (absent: none recorded).
    public var purl: String?
    /// A model registered.
    public init(model: Slug, name: String, provider: Slug, openWeights: Bool, purl: String? = nil) {
        (self.model, self.name, self.provider, self.openWeights, self.purl) = (model, name, provider, openWeights, purl)
    }
    public var stream: StreamName { .model(model) }
    public var references: [StreamName] { [.provider(provider)] }
}

/// A vendor began supplying a provider with some kinds of data, for all its models or only some.
/// The link starts at the event's `occurredAt`.
public struct SupplyLinkRecorded: EventPayload {
    public static let type = "SupplyLinkRecorded"
    public var event: DomainEvent { .supplyLinkRecorded(self) }
    /// The vendor supplying.
    public var vendor: Slug
    /// The provider supplied.
    public var provider: Slug
    /// The kinds of data supplied; a breach reaches the link through them.
    public var dataKinds: [DataKind]
    /// Empty: every model of the provider.
    public var models: [Slug]
    /// A link begun; empty `models` means every model of the provider.
    public init(vendor: Slug, provider: Slug, dataKinds: [DataKind], models: [Slug]) {
        (self.vendor, self.provider, self.dataKinds, self.models) = (vendor, provider, dataKinds, models)
    }
    public var stream: StreamName { .supply(vendor: vendor, provider: provider) }
    public var references: [StreamName] { [.vendor(vendor), .provider(provider)] + models.map(StreamName.model) }
}

/// A supply link ended; data already delivered stays exposed.
public struct SupplyLinkEnded: EventPayload {
    public static let type = "SupplyLinkEnded"
    public var event: DomainEvent { .supplyLinkEnded(self) }
    /// The vendor that stopped supplying.
    public var vendor: Slug
    /// The provider it supplied.
    public var provider: Slug
    /// A link ended.
    public init(vendor: Slug, provider: Slug) { (self.vendor, self.provider) = (vendor, provider) }
    public var stream: StreamName { .supply(vendor: vendor, provider: provider) }
}

/// An organization that deploys models was registered.
public struct OrganizationRegistered: EventPayload {
    public static let type = "OrganizationRegistered"
    public var event: DomainEvent { .organizationRegistered(self) }
    /// The organization's id; its facts form the stream `organization-<id>`.
    public var organization: Slug
    /// The organization's name, as shown.
    public var name: String
    /// Its sector (education, healthcare, ...), as given.
    public var sector: String
    /// An organization registered.
    public init(organization: Slug, name: String, sector: String) {
        (self.organization, self.name, self.sector) = (organization, name, sector)
    }
    public var stream: StreamName { .organization(organization) }
}

/// An organization began running a model for a workload.
public struct ModelDeployed: EventPayload {
    public static let type = "ModelDeployed"
    public var event: DomainEvent { .modelDeployed(self) }
    /// The deployment's id; its facts form the stream `deployment-<id>`.
    public var deployment: Slug
    /// The organization running it.
    public var organization: Slug
    /// The model it runs.
    public var model: Slug
    /// What it is used for, in words.
    public var workload: String
    /// How much depends on it; exposures are ordered by it.
    public var criticality: Criticality
    /// A deployment begun.
    public init(deployment: Slug, organization: Slug, model: Slug, workload: String, criticality: Criticality) {
        (self.deployment, self.organization, self.model) = (deployment, organization, model)
        (self.workload, self.criticality) = (workload, criticality)
    }
    public var stream: StreamName { .deployment(deployment) }
    public var references: [StreamName] { [.organization(organization), .model(model)] }
}

/// A deployment was retired.
public struct DeploymentRetired: EventPayload {
    public static let type = "DeploymentRetired"
    public var event: DomainEvent { .deploymentRetired(self) }
    /// The deployment retired; its exposures leave the current view from this time.
    public var deployment: Slug
    /// A retirement.
    public init(deployment: Slug) { self.deployment = deployment }
    public var stream: StreamName { .deployment(deployment) }
}
