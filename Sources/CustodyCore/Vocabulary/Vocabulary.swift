/// A closed set of values that users type on the command line and that events store as strings.
public protocol Vocabulary: RawRepresentable, CaseIterable, Codable, Hashable, Sendable where RawValue == String {
    /// What the value is called in errors ("data kind", "severity").
    static var noun: String { get }
}

extension Vocabulary {
    /// The values, as users type them, comma-separated: for errors and help texts. A closure, not a key path:
    /// every command's help is built when `custody` starts, and the first key path had its types instantiated
    /// by name (~1.2 ms of every process).
    public static var accepted: String { allCases.map { $0.rawValue }.joined(separator: ", ") }

    /// Parses user input, naming the accepted values when it is not one of them.
    public static func parse(_ text: String) throws(CustodyError) -> Self {
        guard let value = Self(rawValue: text) else { throw .invalidValue(what: noun, value: text, accepted: accepted) }
        return value
    }
}

/// The kind of human-made training data a vendor supplies.
public enum DataKind: String, Vocabulary, Comparable {
    case rlhf
    case redTeaming = "red-teaming"
    case domainFinetuning = "domain-finetuning"
    case instructionFollowing = "instruction-following"

    /// The word error messages use for it.
    public static let noun = "data kind"
    /// Alphabetical, so lists print in a stable order.
    public static func < (lhs: DataKind, rhs: DataKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How bad a breach is; ordered from low to critical.
public enum Severity: String, Vocabulary, Comparable {
    case low, medium, high, critical

    /// The word error messages use for it.
    public static let noun = "severity"
    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    /// Low before critical.
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// How much an organization relies on a deployment; ordered from low to critical.
public enum Criticality: String, Vocabulary, Comparable {
    case low, medium, high, critical

    /// The word error messages use for it.
    public static let noun = "criticality"
    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    /// Low before critical.
    public static func < (lhs: Criticality, rhs: Criticality) -> Bool { lhs.rank < rhs.rank }
}

/// How a provider's investigation of an incident ended.
public enum InvestigationOutcome: String, Vocabulary {
    case confirmed, cleared, inconclusive

    /// The word error messages use for it.
    public static let noun = "outcome"
}
