import CustodyCore
import Foundation
import Testing

/// The tree coders replace a round trip through Foundation's JSON text; hashes and stored documents depend on
/// them giving exactly what that round trip gave.
@Suite struct TreeCodingTests {
    let now = LogBuilder.time("2026-11-01")
    /// Foundation's encoder, as the reference the tree encoder must agree with (the product no longer uses it).
    let foundation: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Every kind of value the log and the read models encode: each event of a log that exercises the fold, and
    /// the exposure rows and organization views (with fractions and nested optionals) it folds into.
    func log() -> LogBuilder {
        var log = LogBuilder.chain()
        log.breach("b1", severity: .critical)
        log.add(
            VendorPaused(
                provider: LogBuilder.slug("meta"), vendor: LogBuilder.slug("mercor"), incident: LogBuilder.slug("b1")),
            at: "2026-04-01")
        log.add(
            InvestigationOpened(
                investigation: LogBuilder.slug("oi"), incident: LogBuilder.slug("b1"),
                provider: LogBuilder.slug("openai")), at: "2026-04-02")
        log.add(
            InvestigationFindingRecorded(
                investigation: LogBuilder.slug("oi"), finding: "tab\there \"quoted\" \u{1} é ✓"), at: "2026-04-03")
        log.add(
            ExposureResponseRecorded(
                organization: LogBuilder.slug("uni"), incident: LogBuilder.slug("b1"),
                deployment: LogBuilder.slug("uni-gpt"),
                provider: nil, state: .riskAccepted, owner: "ciso", note: "n", reviewBy: LogBuilder.time("2026-12-01")),
            at: "2026-04-04")
        log.add(
            ExposureResponseRecorded(
                organization: LogBuilder.slug("hospital"), incident: LogBuilder.slug("b1"),
                deployment: LogBuilder.slug("h-llama4"),
                provider: nil, state: .notAffected, owner: "cmo", justification: .noSensitiveWorkload), at: "2026-04-05"
        )
        return log
    }

    @Test func encodingGivesTheTreeThatJSONTextGave() throws {
        let log = log()
        for recorded in log.events {
            let payload = recorded.event.payload
            #expect(
                try JSONTreeEncoder.encode(payload) == JSONParser.parse(foundation.encode(payload)),
                "\(recorded.event.type)")
        }
        let chain = log.chain()
        let rows = chain.exposures(at: now)
        #expect(rows.contains { $0.response?.reviewBy != nil } && rows.contains { $0.response?.justification != nil })
        for row in rows {
            #expect(try JSONTreeEncoder.encode(row) == JSONParser.parse(foundation.encode(row)))
        }
        let views = chain.organizationViews(at: now)
        #expect(views.count == 2)
        for view in views.values {
            #expect(try JSONTreeEncoder.encode(view) == JSONParser.parse(foundation.encode(view)))
        }
        let fractions: [String: Double] = ["half": 0.5, "third": 1.0 / 3, "whole": 2, "tiny": 1e-7, "zero": 0]
        #expect(try JSONTreeEncoder.encode(fractions) == JSONParser.parse(foundation.encode(fractions)))
    }

    @Test func decodingGivesWhatJSONDecoderGave() throws {
        let log = log()
        for recorded in log.events {
            let data = recorded.event.data
            let decoded = try DomainEvent(type: recorded.event.type, schemaVersion: 1, data: data)
            #expect(decoded == recorded.event)
            let fromText = try DomainEvent(
                type: recorded.event.type, schemaVersion: 1, json: Array(data.jsonbText.utf8))
            #expect(fromText == recorded.event)
        }
        for row in log.chain().exposures(at: now) {
            let tree = try JSONTreeEncoder.encode(row)
            #expect(
                try JSONTreeDecoder.decode(Exposure.self, from: tree)
                    == EventCoding.decode(Exposure.self, from: Data(tree.jsonbText.utf8)))
        }
    }

    @Test func decodingErrorsNameTheField() throws {
        func refusal(_ json: String) -> String {
            do {
                _ = try DomainEvent(type: "VendorRegistered", schemaVersion: 1, data: EventCoding.value(ofJSON: json))
                return "accepted"
            } catch {
                return error.message
            }
        }
        #expect(refusal(#"{"vendor": "v", "name": 7}"#).contains("'name': expected String"))
        #expect(refusal(#"{"vendor": "v"}"#).contains("missing field 'name'"))
        #expect(refusal(#"{"vendor": "v", "name": null}"#).contains("'name': expected String, found null"))
        #expect(refusal(#"{"vendor": "Not A Slug", "name": "n"}"#).contains("'vendor'"))
        #expect(refusal(#"{"vendor": "v", "name": "n", "extra": 1}"#).contains("unknown field(s): extra"))
        #expect(refusal(#"["v", "n"]"#).contains("expected"))
        #expect(refusal(#"{"vendor": "v", "name": "n"}"#) == "accepted")
    }

    @Test func integersAreStrict() throws {
        struct Count: Codable, Equatable { var n: Int32 }
        #expect(try JSONTreeDecoder.decode(Count.self, from: .object(["n": .integer(7)])) == Count(n: 7))
        #expect(throws: DecodingError.self) {
            try JSONTreeDecoder.decode(Count.self, from: .object(["n": .integer(1 << 40)]))
        }
        #expect(throws: DecodingError.self) {
            try JSONTreeDecoder.decode(Count.self, from: .object(["n": .number("1.5")]))
        }
        #expect(throws: DecodingError.self) {
            try JSONTreeDecoder.decode(Count.self, from: .object(["n": .string("7")]))
        }
    }
}
