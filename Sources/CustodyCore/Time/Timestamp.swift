import Foundation

/// An instant with the microsecond precision PostgreSQL stores, so times round-trip exactly through the log and
/// through the hash chain (a `Date` is a `Double` and loses microseconds at today's epoch offsets).
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64

    /// An instant from microseconds since the epoch.
    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// An instant from a `Date`, rounded to the microsecond.
    public init(_ date: Date) { microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The current time.
    public static var now: Timestamp { Timestamp(Date()) }

    /// The instant as a `Date` (which may lose the last microsecond).
    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// Earlier first.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// This instant moved by a number of seconds.
    public func adding(seconds: Int64) -> Timestamp { Timestamp(microseconds: microseconds + seconds * 1_000_000) }

    /// The clock skew allowed between a writer and this program: a fact may be stamped up to this far ahead of
    /// now, and no further (on every path: `--at`, questions' clocks, import and restore lines).
    public static let allowedSkewSeconds: Int64 = 60

    /// Whether this time lies in the future of `now`, beyond the allowed skew.
    public func isInTheFuture(of now: Timestamp) -> Bool { self > now.adding(seconds: Self.allowedSkewSeconds) }

    /// RFC 3339 in UTC; fractional seconds only when there are any.
    public var description: String {
        // Written digit by digit into the string's own storage: every document, row and report prints times
        // (a postmortem's timeline two per step), and building the text from a dozen small strings was most of it.
        let text = String(unsafeUninitializedCapacity: 27) { write(into: $0) ?? 0 }
        guard text.isEmpty else { return text }
        let (days, inDay) = microseconds.floorDivided(by: 86_400_000_000)
        let (y, m, d) = CivilDate.fromDays(days)
        return Self.padded(y, m, d, inDay / 1_000_000, inDay % 1_000_000)
    }

    /// Appends `description` to `bytes`, with no string made on the way (a report of 100,000 steps writes 200,000).
    public func appendDescription(to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { buffer in
            if let count = write(into: buffer) {
                bytes.append(contentsOf: UnsafeMutableBufferPointer(rebasing: buffer[..<count]))
            } else {
                bytes.append(contentsOf: description.utf8)
            }
        }
    }

    /// Writes `description` into `text` (27 bytes at most), returning its length; nil, writing nothing, when the
    /// year does not take four digits.
    private func write(into text: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        let (days, inDay) = microseconds.floorDivided(by: 86_400_000_000)
        let (y, m, d) = CivilDate.fromDays(days)
        let seconds = inDay / 1_000_000
        let fraction = inDay % 1_000_000
        guard (0...9999).contains(y) else { return nil }
        var end = 0
        func digits(_ value: Int64, _ width: Int) {
            var value = value
            for index in stride(from: end + width - 1, through: end, by: -1) {
                text[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            end += width
        }
        func byte(_ character: Unicode.Scalar) {
            text[end] = UInt8(ascii: character)
            end += 1
        }
        digits(y, 4)
        byte("-")
        digits(m, 2)
        byte("-")
        digits(d, 2)
        byte("T")
        digits(seconds / 3600, 2)
        byte(":")
        digits(seconds / 60 % 60, 2)
        byte(":")
        digits(seconds % 60, 2)
        if fraction != 0 {
            byte(".")
            digits(fraction, 6)
        }
        byte("Z")
        return end
    }

    /// `description` for a year that does not take four digits.
    static func padded(_ y: Int64, _ m: Int64, _ d: Int64, _ seconds: Int64, _ fraction: Int64) -> String {
        var text =
            Self.pad(y, 4) + "-" + Self.pad(m, 2) + "-" + Self.pad(d, 2) + "T" + Self.pad(seconds / 3600, 2) + ":"
            + Self.pad(seconds / 60 % 60, 2) + ":" + Self.pad(seconds % 60, 2)
        if fraction != 0 { text += "." + Self.pad(fraction, 6) }
        return text + "Z"
    }

    /// For people: to the second, and the date alone at midnight (`2026-03-27`, `2026-12-01 11:08:07Z`). JSON
    /// and the log keep `description`, exact to the microsecond.
    public var readable: String {
        let text = description
        if text.hasSuffix("T00:00:00Z") { return String(text.prefix(10)) }
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(8)) + "Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Decodes the ISO 8601 text `description` writes.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Timestamp(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    /// Encodes as ISO 8601 text with microseconds when there are any.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Timestamp {
    static let accepted = "an ISO 8601 date (2026-03-27, midnight UTC) or date-time with a zone (2026-03-27T14:30:00Z)"

    /// Parses an ISO 8601 date (taken as midnight UTC) or an RFC 3339 date-time with a zone.
    ///
    /// A date-time without a zone is refused rather than guessed: the log is evidence, and a silent local-time
    /// guess would shift facts by hours.
    public init(parsing text: String, what: String = "time") throws(CustodyError) {
        let invalid = CustodyError.invalidValue(what: what, value: text, accepted: Self.accepted)
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(4), scanner.take("-"), let month = scanner.number(2), scanner.take("-"),
            let day = scanner.number(2)
        else { throw invalid }
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year) else {
            throw .invalidValue(what: what, value: text, accepted: "a real calendar date")
        }
        var micros = CivilDate.days(year: year, month: month, day: day) * 86_400_000_000
        if scanner.atEnd {
            try self.init(checking: micros, text, what: what)
            return
        }
        guard scanner.take("T") || scanner.take("t") || scanner.take(" "), let hour = scanner.number(2),
            scanner.take(":"), let minute = scanner.number(2)
        else { throw invalid }
        var second: Int64 = 0
        var fraction: Int64 = 0
        if scanner.take(":") {
            guard let s = scanner.number(2) else { throw invalid }
            second = s
            if scanner.take(".") || scanner.take(",") {
                guard let (value, digits) = scanner.fraction(), digits > 0 else { throw invalid }
                fraction = digits <= 6 ? value * Self.power(6 - digits) : value / Self.power(digits - 6)
            }
        }
        guard hour < 24, minute < 60, second < 60 else {
            throw .invalidValue(what: what, value: text, accepted: "a real time of day")
        }
        micros += ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction
        if scanner.take("Z") || scanner.take("z") {
        } else if let sign = scanner.sign() {
            guard let offsetHours = scanner.number(2) else { throw invalid }
            _ = scanner.take(":")
            guard let offsetMinutes = scanner.number(2), offsetHours < 24, offsetMinutes < 60 else { throw invalid }
            micros -= sign * (offsetHours * 60 + offsetMinutes) * 60_000_000
        } else if scanner.atEnd {
            throw .invalidValue(
                what: what, value: text, accepted: "a date-time with a zone: add Z (UTC) or an offset like +02:00")
        } else {
            throw invalid
        }
        guard scanner.atEnd else { throw invalid }
        try self.init(checking: micros, text, what: what)
    }

    /// The times the log can hold: years 1 to 9999, what PostgreSQL stores and prints back as it was given.
    public static let representable =
        Timestamp(
            microseconds: CivilDate.days(year: 1, month: 1, day: 1) * 86_400_000_000)...Timestamp(
            microseconds: CivilDate.days(year: 10_000, month: 1, day: 1) * 86_400_000_000 - 1)

    private init(checking micros: Int64, _ text: String, what: String) throws(CustodyError) {
        self.init(microseconds: micros)
        guard Self.representable.contains(self) else {
            throw .invalidValue(what: what, value: text, accepted: "a time in the years 1 to 9999 (UTC)")
        }
    }

    private static func power(_ exponent: Int) -> Int64 { (0..<exponent).reduce(1) { acc, _ in acc * 10 } }
}

/// Reads fixed-width digit groups from ASCII bytes.
private struct DigitScanner {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(character.value) else { return false }
        index += 1
        return true
    }

    mutating func number(_ width: Int) -> Int64? {
        guard index + width <= bytes.count else { return nil }
        var value: Int64 = 0
        for b in bytes[index..<index + width] {
            guard b >= 0x30, b <= 0x39 else { return nil }
            value = value * 10 + Int64(b - 0x30)
        }
        index += width
        return value
    }

    mutating func fraction() -> (Int64, Int)? {
        var value: Int64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            if digits < 9 { value = value * 10 + Int64(bytes[index] - 0x30) } else { return nil }
            digits += 1
            index += 1
        }
        return (value, digits)
    }

    mutating func sign() -> Int64? {
        if take("+") { return 1 }
        if take("-") { return -1 }
        return nil
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's days-from-civil), exact and allocation-free.
enum CivilDate {
    static func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func fromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> (Int64, Int64) {
        let q = self / divisor
        let r = self % divisor
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}

extension Timestamp {
    /// A time a user asks about (`--as-of`, `?known_at=`): like `--at`, never in the future (a minute of clock
    /// skew allowed).
    public init(asking text: String, what: String, now: Timestamp = .now) throws(CustodyError) {
        let time = try Timestamp(parsing: text, what: what)
        guard !time.isInTheFuture(of: now) else {
            throw .invalidValue(what: what, value: text, accepted: "a time that is not in the future (now is \(now))")
        }
        self = time
    }
}
