import Testing

@testable import CustodyCore

@Suite struct TimestampTests {
    @Test func aDateIsMidnightUTC() throws {
        #expect(try Timestamp(parsing: "2026-03-27").description == "2026-03-27T00:00:00Z")
    }

    @Test func offsetsAreConvertedToUTC() throws {
        #expect(try Timestamp(parsing: "2026-03-27T14:30:00+02:00").description == "2026-03-27T12:30:00Z")
        #expect(try Timestamp(parsing: "2026-03-27T00:30:00-01:30").description == "2026-03-27T02:00:00Z")
        #expect(try Timestamp(parsing: "2026-03-27T14:30Z").description == "2026-03-27T14:30:00Z")
    }

    @Test func microsecondsRoundTrip() throws {
        let time = try Timestamp(parsing: "2026-11-29T04:06:55.308555Z")
        #expect(time.description == "2026-11-29T04:06:55.308555Z")
        #expect(try Timestamp(parsing: time.description) == time)
        #expect(try Timestamp(parsing: "1969-12-31T23:59:59.5Z").microseconds == -500_000)
    }

    /// The text written digit by digit is the text built from padded parts, and parses back to the same time,
    /// across the four-digit years, with and without a fraction.
    @Test func theWrittenTextIsThePaddedTextAndParsesBack() throws {
        var random = SeededGenerator(seed: 11)
        let first = try Timestamp(parsing: "0001-01-01").microseconds
        let last = try Timestamp(parsing: "9999-12-31T23:59:59.999999Z").microseconds
        for index in 0..<20_000 {
            var micros = first + Int64(random.next() % UInt64(last - first + 1))
            if index % 3 == 0 { micros -= micros % 1_000_000 }
            let time = Timestamp(microseconds: micros)
            let (days, inDay) = micros.floorDivided(by: 86_400_000_000)
            let (y, m, d) = CivilDate.fromDays(days)
            #expect(time.description == Timestamp.padded(y, m, d, inDay / 1_000_000, inDay % 1_000_000))
            #expect(try Timestamp(parsing: time.description) == time)
        }
    }

    /// A report appends times to its bytes without making strings: the same text, years of any width included.
    @Test(arguments: [Int64.min / 2, -1, 0, 1_700_000_000_123_456, 253_402_300_800_000_000, Int64.max / 2])
    func anAppendedTimeIsItsDescription(micros: Int64) {
        var bytes = Array("at ".utf8)
        Timestamp(microseconds: micros).appendDescription(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "at " + Timestamp(microseconds: micros).description)
    }

    @Test func aDateTimeWithoutZoneIsRefused() {
        #expect(throws: CustodyError.self) { try Timestamp(parsing: "2026-03-27T10:00:00") }
        do {
            _ = try Timestamp(parsing: "2026-03-27T10:00:00", what: "--at")
            Issue.record("accepted a time without a zone")
        } catch {
            #expect(error.message.contains("add Z (UTC) or an offset"))
        }
    }

    @Test(arguments: [
        "2026-02-30", "2026-02-29", "2026-13-01", "2026-04-31", "2026-03-27T24:00:00Z", "yesterday", "2026-3-1", "",
    ])
    func impossibleOrMalformedTimesAreRefused(text: String) {
        #expect(throws: CustodyError.self) { try Timestamp(parsing: text) }
    }

    @Test func leapDaysExist() throws {
        #expect(try Timestamp(parsing: "2024-02-29").description == "2024-02-29T00:00:00Z")
        #expect(try Timestamp(parsing: "2000-02-29").description == "2000-02-29T00:00:00Z")
    }
}
