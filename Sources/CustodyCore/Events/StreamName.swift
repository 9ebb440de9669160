/// A stream of the log: a kind and an id, written `kind-id` (`vendor-mercor`, `incident-mercor-2026-03`).
///
/// Relationships between two entities use both ids joined by a dot, which slugs never contain:
/// `supply-mercor.openai` (vendor.provider), `pause-meta.mercor` (provider.vendor).
public struct StreamName: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The stream kinds, one per thing whose history the log keeps.
    public enum Kind: String, CaseIterable, Sendable {
        case vendor, provider, model, supply, organization, deployment, incident, pause, investigation, response,
            webhook
    }

    /// What the stream is the history of.
    public let kind: Kind
    /// The entity's id, or two ids joined by a dot for a relationship.
    public let id: String

    /// `kind-id`, as stored in `stream_id`.
    public var description: String { kind.rawValue + "-" + id }

    /// Ordered by their text.
    public static func < (lhs: StreamName, rhs: StreamName) -> Bool { lhs.description < rhs.description }

    /// A vendor's stream.
    public static func vendor(_ id: Slug) -> StreamName { StreamName(kind: .vendor, id: id.rawValue) }
    /// A provider's stream.
    public static func provider(_ id: Slug) -> StreamName { StreamName(kind: .provider, id: id.rawValue) }
    /// A model's stream.
    public static func model(_ id: Slug) -> StreamName { StreamName(kind: .model, id: id.rawValue) }
    /// An organization's stream.
    public static func organization(_ id: Slug) -> StreamName { StreamName(kind: .organization, id: id.rawValue) }
    /// A deployment's stream.
    public static func deployment(_ id: Slug) -> StreamName { StreamName(kind: .deployment, id: id.rawValue) }
    /// An incident's stream.
    public static func incident(_ id: Slug) -> StreamName { StreamName(kind: .incident, id: id.rawValue) }
    /// A webhook subscription's stream.
    public static func webhook(_ id: Slug) -> StreamName { StreamName(kind: .webhook, id: id.rawValue) }
    /// An investigation's stream.
    public static func investigation(_ id: Slug) -> StreamName {
        StreamName(kind: .investigation, id: id.rawValue)
    }
    /// A supply link's stream: `supply-vendor.provider`.
    public static func supply(vendor: Slug, provider: Slug) -> StreamName {
        StreamName(kind: .supply, id: vendor.rawValue + "." + provider.rawValue)
    }
    /// A provider's pauses of a vendor: `pause-provider.vendor`.
    public static func pause(provider: Slug, vendor: Slug) -> StreamName {
        StreamName(kind: .pause, id: provider.rawValue + "." + vendor.rawValue)
    }
    /// An organization's responses to an incident: `response-organization.incident`.
    public static func response(organization: Slug, incident: Slug) -> StreamName {
        StreamName(kind: .response, id: organization.rawValue + "." + incident.rawValue)
    }

    /// Parses `kind-id`, as users type it in `custody events --stream`.
    public init(parsing text: String) throws(CustodyError) {
        var accepted: String { "KIND-ID with KIND one of " + Kind.allCases.map(\.rawValue).joined(separator: ", ") }
        guard let dash = text.firstIndex(of: "-"), let kind = Kind(rawValue: String(text[..<dash])) else {
            throw .invalidValue(what: "stream", value: text, accepted: accepted)
        }
        let id = String(text[text.index(after: dash)...])
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        let expectedParts = (kind == .supply || kind == .pause || kind == .response) ? 2 : 1
        guard parts.count == expectedParts, (try? parts.map { try Slug(String($0)) }) != nil else {
            throw .invalidValue(what: "stream", value: text, accepted: accepted)
        }
        self.init(kind: kind, id: id)
    }

    init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }
}

/// What the writer believes a stream's version is; the append fails when the stream has moved on.
public enum ExpectedVersion: Hashable, Sendable, CustomStringConvertible {
    /// No check.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream must be at exactly this version.
    case exact(Int64)

    /// The encoding `custody_append` takes: -1 any, 0 no stream, n exact.
    public var sqlValue: Int64 {
        switch self {
        case .any: return -1
        case .noStream: return 0
        case .exact(let version): return version
        }
    }

    /// Parses `any`, `no-stream` or a version number, as `--expect-version` takes them.
    public init(parsing text: String) throws(CustodyError) {
        switch text {
        case "any": self = .any
        case "no-stream", "0": self = .noStream
        default:
            guard let version = Int64(text), version > 0 else {
                throw .invalidValue(what: "expected version", value: text, accepted: "any, no-stream or a version ≥ 1")
            }
            self = .exact(version)
        }
    }

    /// `any`, `no-stream` or the version, as the CLI's `--expect-version` takes it.
    public var description: String {
        switch self {
        case .any: return "any"
        case .noStream: return "no-stream"
        case .exact(let version): return String(version)
        }
    }
}
