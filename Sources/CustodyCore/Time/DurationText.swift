/// Durations as people type them: `45s`, `30m`, `72h`, `7d` (one number and one unit).
public enum DurationText {
    /// The duration in seconds, naming the accepted forms when `text` is not one of them.
    public static func seconds(parsing text: String, what: String) throws(CustodyError) -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count > 0,
            count <= Int64.max / unit / 1_000_000
        else {
            throw .invalidValue(what: what, value: text, accepted: "a positive number and a unit: 45s, 30m, 72h or 7d")
        }
        return count * unit
    }
}
