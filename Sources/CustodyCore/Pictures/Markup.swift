/// Text inside HTML and SVG: every value Custody did not write itself goes through `escape`, in element text and
/// in quoted attribute values alike.
public enum Markup {
    /// `text` safe inside HTML or SVG text and attributes.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { [0x26, 0x3C, 0x3E, 0x22, 0x27].contains($0) }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The colours of an exposure status: a light fill and a dark border, both with black text at well above
    /// WCAG AA contrast; the status is always written beside its colour, never shown by colour alone.
    public static func colours(_ status: ExposureStatus) -> (fill: String, stroke: String) {
        switch status {
        case .confirmed: return ("#f9d3d3", "#9b1c1c")
        case .investigating: return ("#fde7b0", "#7a4d00")
        case .inconclusive: return ("#e8dcf5", "#5b2a86")
        case .potential: return ("#dde6f3", "#2f4a70")
        case .cleared: return ("#d4eed9", "#1d6b2c")
        }
    }
}
