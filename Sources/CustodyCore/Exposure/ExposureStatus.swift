/// Where a provider's investigation of an incident stands, as seen by the provider's downstream deployments.
public enum ExposureStatus: String, Vocabulary {
    /// No investigation yet.
    case potential
    /// An investigation is open.
    case investigating
    /// The latest closed investigation confirmed the exposure.
    case confirmed
    /// The latest closed investigation cleared it: the exposure leaves the current view.
    case cleared
    /// The latest closed investigation could not tell.
    case inconclusive

    /// The word error messages use for it.
    public static let noun = "status"

    /// Current exposures are listed confirmed first, then investigating, inconclusive, potential.
    public var urgency: Int {
        switch self {
        case .confirmed: return 0
        case .investigating: return 1
        case .inconclusive: return 2
        case .potential: return 3
        case .cleared: return 4
        }
    }

    init(_ outcome: InvestigationOutcome) {
        switch outcome {
        case .confirmed: self = .confirmed
        case .cleared: self = .cleared
        case .inconclusive: self = .inconclusive
        }
    }
}
