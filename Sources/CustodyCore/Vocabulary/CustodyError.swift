/// Everything the pure core refuses, with a message a person can act on.
public enum CustodyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value that is not one of the accepted ones (a slug, a data kind, a time).
    case invalidValue(what: String, value: String, accepted: String)
    /// A reference to something the registry does not know.
    case unknown(what: String, id: String)
    /// A fact that contradicts the current record (closing an investigation that is not open).
    case conflict(String)
    /// A malformed stored or imported event.
    case malformedEvent(String)

    /// One line, naming the bad value and what is accepted.
    public var message: String {
        switch self {
        case .invalidValue(let what, let value, let accepted):
            return "invalid \(what) '\(Self.printable(value))': expected \(accepted)"
        case .unknown(let what, let id):
            return "unknown \(what) '\(Self.printable(id))'"
        case .conflict(let text), .malformedEvent(let text):
            // Texts built from nested errors (a decoder's description) may quote what was given in full.
            return text.count > 400 ? String(text.prefix(397)) + "..." : text
        }
    }

    /// The message, as the CLI prints it.
    public var description: String { message }

    /// Keeps one-line errors on one line and short, whatever the user typed.
    static func printable(_ value: String) -> String {
        let escaped = value.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0)
        }
        .joined()
        return escaped.count > 80 ? String(escaped.prefix(77)) + "..." : escaped
    }
}
