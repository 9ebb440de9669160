import Foundation

/// Every fact the log records, one case per event type.
public enum DomainEvent: Hashable, Sendable {
    case vendorRegistered(VendorRegistered)
    case providerRegistered(ProviderRegistered)
    case modelRegistered(ModelRegistered)
    case supplyLinkRecorded(SupplyLinkRecorded)
    case supplyLinkEnded(SupplyLinkEnded)
    case organizationRegistered(OrganizationRegistered)
    case modelDeployed(ModelDeployed)
    case deploymentRetired(DeploymentRetired)
    case breachReported(BreachReported)
    case breachScopeRevised(BreachScopeRevised)
    case vendorPaused(VendorPaused)
    case vendorResumed(VendorResumed)
    case investigationOpened(InvestigationOpened)
    case investigationFindingRecorded(InvestigationFindingRecorded)
    case investigationClosed(InvestigationClosed)
    case incidentResolved(IncidentResolved)
    case incidentRetracted(IncidentRetracted)
    case exposureResponseRecorded(ExposureResponseRecorded)
    case deploymentSwitched(DeploymentSwitched)
    case deploymentUpdated(DeploymentUpdated)
    case supplyLinkRetracted(SupplyLinkRetracted)
    case webhookSubscribed(WebhookSubscribed)
    case webhookRemoved(WebhookRemoved)

    /// The event's data.
    public var payload: any EventPayload {
        switch self {
        case .vendorRegistered(let p): return p
        case .providerRegistered(let p): return p
        case .modelRegistered(let p): return p
        case .supplyLinkRecorded(let p): return p
        case .supplyLinkEnded(let p): return p
        case .organizationRegistered(let p): return p
        case .modelDeployed(let p): return p
        case .deploymentRetired(let p): return p
        case .breachReported(let p): return p
        case .breachScopeRevised(let p): return p
        case .vendorPaused(let p): return p
        case .vendorResumed(let p): return p
        case .investigationOpened(let p): return p
        case .investigationFindingRecorded(let p): return p
        case .investigationClosed(let p): return p
        case .incidentResolved(let p): return p
        case .incidentRetracted(let p): return p
        case .exposureResponseRecorded(let p): return p
        case .deploymentSwitched(let p): return p
        case .deploymentUpdated(let p): return p
        case .supplyLinkRetracted(let p): return p
        case .webhookSubscribed(let p): return p
        case .webhookRemoved(let p): return p
        }
    }

    /// The event type catalog, in the order the README documents it.
    public static let catalog: [any EventPayload.Type] = [
        VendorRegistered.self, ProviderRegistered.self, ModelRegistered.self, SupplyLinkRecorded.self,
        SupplyLinkEnded.self, OrganizationRegistered.self, ModelDeployed.self, DeploymentRetired.self,
        BreachReported.self, BreachScopeRevised.self, VendorPaused.self, VendorResumed.self,
        InvestigationOpened.self, InvestigationFindingRecorded.self, InvestigationClosed.self,
        IncidentResolved.self, IncidentRetracted.self, ExposureResponseRecorded.self, DeploymentSwitched.self,
        DeploymentUpdated.self, SupplyLinkRetracted.self, WebhookSubscribed.self, WebhookRemoved.self,
    ]

    /// Wraps a payload in its case.
    public init(_ payload: any EventPayload) { self = payload.event }

    /// The event's type, as stored in `type`.
    public var type: String { Swift.type(of: payload).type }
    /// The version of its data's shape, as stored in `schema_version`.
    public var schemaVersion: Int { Swift.type(of: payload).schemaVersion }
    public var stream: StreamName { payload.stream }
    public var references: [StreamName] { payload.references }
}

// MARK: - Stored form

extension DomainEvent {
    /// The event's data as stored in the log.
    public var data: JSONValue {
        // Encoding our own payload types into JSON cannot fail: they hold only strings, integers and booleans.
        (try? EventCoding.value(of: payload)) ?? .object([:])
    }

    /// Decodes stored or imported data, refusing unknown types, newer schema versions and unknown fields.
    public init(type: String, schemaVersion: Int, data: JSONValue) throws(CustodyError) {
        self = try Self.decoding(type: type, schemaVersion: schemaVersion, data: data).event
    }

    /// As `init(type:schemaVersion:data:)`, also giving the data in canonical form (what `data` would compute
    /// again): an import needs it for every line.
    public static func decoding(
        type: String, schemaVersion: Int, data: JSONValue
    ) throws(CustodyError) -> (event: DomainEvent, canonical: JSONValue) {
        guard let payloadType = Self.catalog.first(where: { $0.type == type }) else {
            throw .malformedEvent(
                "unknown event type '\(CustodyError.printable(type))'; known: "
                    + Self.catalog.map { $0.type }.joined(separator: ", "))
        }
        guard schemaVersion >= 1, schemaVersion <= payloadType.schemaVersion else {
            throw .malformedEvent(
                "\(type) has schema version \(schemaVersion); this custody reads up to \(payloadType.schemaVersion)")
        }
        let (payload, canonical) = try EventCoding.decode(payloadType, from: data)
        return (payload.event, canonical)
    }

    /// Decodes data read back from the log, which was validated when it was written.
    public init(type: String, schemaVersion: Int, json: some Collection<UInt8>) throws(CustodyError) {
        try self.init(type: type, schemaVersion: schemaVersion, trusted: try JSONParser.parse(json))
    }

    /// Decodes data that was validated when it was written (the log's, a checksummed snapshot's).
    public init(type: String, schemaVersion: Int, trusted data: JSONValue) throws(CustodyError) {
        guard let payloadType = Self.catalog.first(where: { $0.type == type }) else {
            throw .malformedEvent("unknown event type '\(CustodyError.printable(type))' in the log")
        }
        do {
            self.init(try JSONTreeDecoder.decode(payloadType, from: data))
        } catch {
            throw .malformedEvent("\(type) data does not decode: \(EventCoding.describe(error))")
        }
    }
}

/// JSON coding of payloads, shared by the log, the CLI and the import.
public enum EventCoding {
    /// Reads a document this program wrote (a read-model row, an API answer) with the one JSON stack: the strict
    /// parser and the tree decoder (Foundation's coders are not used; docs/benchmarks.md, "JSON").
    public static func decode<T: Decodable>(_ type: T.Type, from json: some Collection<UInt8>) throws -> T {
        try JSONTreeDecoder.decode(T.self, from: JSONParser.parse(json))
    }

    /// A value as a JSON tree.
    public static func value(of encodable: some Encodable) throws -> JSONValue {
        try JSONTreeEncoder.encode(encodable)
    }

    /// A value as the CLI prints it and the API serves it: the one JSON form of this program, PostgreSQL's
    /// `jsonb` text (`JSONValue.jsonbText`), which the read models also serve straight from their rows and the
    /// hash chain is defined over; so a script that reads one document reads them all alike.
    public static func document(_ encodable: some Encodable) throws -> String {
        try JSONTreeEncoder.encode(encodable).jsonbText
    }

    static func decode<T: EventPayload>(_ type: T.Type, from data: JSONValue) throws(CustodyError) -> (
        T, canonical: JSONValue
    ) {
        let payload: T
        do {
            payload = try JSONTreeDecoder.decode(T.self, from: data)
        } catch {
            throw .malformedEvent("\(T.type) data: \(describe(error))")
        }
        let known = (try? value(of: payload)) ?? .object([:])
        let unknown = data.unknownFields(comparedTo: known)
        guard unknown.isEmpty else {
            throw .malformedEvent("\(T.type) data has unknown field(s): \(unknown.joined(separator: ", "))")
        }
        return (payload, known)
    }

    /// One line about a decoding error: which field, and what was wrong with it.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "" : "'\(path)': "
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context))missing field '\(key.stringValue)'"
        case .typeMismatch(let type, let context):
            return "\(path(context))expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context))expected \(type), found null"
        case .dataCorrupted(let context):
            return "\(path(context))\(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

extension EventCoding {
    /// Parses JSON text into a tree.
    public static func value(ofJSON text: String) throws(CustodyError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }
}
