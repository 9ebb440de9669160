import CustodyTestSupport
import Testing

@testable import CustodyCore

/// The projector writes exposure rows with `Exposure.jsonbText`, straight to text; it must be exactly the tree
/// encoder's jsonb text, for every combination of optional fields and for strings that need escapes.
@Suite struct ExposureTextTests {
    @Test(arguments: 0..<20)
    func theDirectTextIsTheEncodedTreesText(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed) + 4242)
        let texts = [
            "workload 0", "say \"hi\"", "back\\slash", "tab\tnew\nline\u{1}", "ünïcode ✓", "emoji 🦀", "line\u{2028}sep",
            "",
        ]
        func text() -> String { texts[Int(random.next() % UInt64(texts.count))] }
        func flip() -> Bool { random.next() % 2 == 0 }
        func pick<T: CaseIterable>(_: T.Type) -> T { Array(T.allCases)[Int(random.next() % UInt64(T.allCases.count))] }
        func time() -> Timestamp {
            Timestamp(microseconds: Int64(random.next() % 2_000_000_000_000_000) + (flip() ? 0 : 123))
        }
        for _ in 0..<50 {
            let response =
                flip()
                ? nil
                : ExposureResponse(
                    state: pick(ResponseState.self), owner: text(), since: time(),
                    scope: flip() ? "deployment" : "provider",
                    note: flip() ? text() : nil, justification: flip() ? pick(NotAffectedJustification.self) : nil,
                    reviewBy: flip() ? time() : nil)
            let row = Exposure(
                organization: Fixture.slug("o1"), deployment: Fixture.slug("d-\(random.next() % 100)"),
                workload: text(),
                criticality: pick(Criticality.self), model: Fixture.slug("m1"), provider: Fixture.slug("p1"),
                vendor: Fixture.slug("v1"),
                incident: Fixture.slug("i1"), status: pick(ExposureStatus.self), severity: pick(Severity.self),
                paused: flip(),
                resolved: flip(), since: time(), dataKinds: DataKind.allCases.filter { _ in flip() }, response: response
            )
            #expect(row.jsonbText == (try EventCoding.value(of: row)).jsonbText)
        }
    }

    /// An organization's summary text (`OrganizationSummary.jsonbText`) is the encoded tree's text, with and without
    /// the optional fields, for shares that are not whole.
    @Test(arguments: 0..<20)
    func theSummaryTextIsTheEncodedTreesText(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed) + 777)
        func flip() -> Bool { random.next() % 2 == 0 }
        func count() -> Int { Int(random.next() % 5000) }
        for _ in 0..<50 {
            let active = Int(random.next() % 40)
            var counts: [String: Int] = [:]
            for status in ExposureStatus.allCases where flip() { counts[status.rawValue] = count() }
            let summary = OrganizationSummary(
                activeDeployments: active, exposedDeployments: count(), statusCounts: counts,
                highestSeverity: flip() ? nil : Severity.allCases[Int(random.next() % 4)],
                providers: (0..<Int(random.next() % 4)).map { Fixture.slug("p\($0)") },
                vendors: (0..<Int(random.next() % 12)).map { Fixture.slug("v\($0)") }, singleProvider: flip(),
                openWeightShare: active == 0 ? 0 : Double(random.next() % UInt64(active + 1)) / Double(active),
                needsResponse: count(),
                oldestUnanswered: flip() ? nil : Timestamp(microseconds: Int64(random.next() % 2_000_000_000_000_000)))
            #expect(summary.jsonbText == (try EventCoding.value(of: summary)).jsonbText)
        }
    }
}
