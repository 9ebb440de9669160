import CustodyCore
import Foundation
import Testing

/// The pictures (SVG text): one bar per exposure window with its dates, every path of an incident drawn, and
/// every value escaped.
@Suite struct PictureTests {
    let slug = LogBuilder.slug
    let time = LogBuilder.time

    func attributes(_ svg: String, _ element: String, _ names: [String]) -> [[String]] {
        svg.components(separatedBy: "<g class=\"\(element)\"").dropFirst().map { chunk in
            names.map { name in
                guard let start = chunk.range(of: "\(name)=\"") else { return "" }
                return String(chunk[start.upperBound...].prefix { $0 != "\"" })
            }
        }
    }

    @Test func thePostmortemChartHasABarPerWindowWithItsDates() throws {
        var log = LogBuilder.chain()
        log.breach("b1", kinds: [.rlhf, .redTeaming])
        log.add(VendorPaused(provider: slug("meta"), vendor: slug("mercor"), incident: slug("b1")), at: "2026-04-01")
        log.add(DeploymentRetired(deployment: slug("uni-gpt")), at: "2026-06-01")
        let postmortem = try #require(Postmortem.of(slug("b1"), events: log.events, now: time("2026-11-01")))
        let svg = postmortem.chart(now: time("2026-11-01"))
        let bars = attributes(svg, "window", ["data-deployment", "data-from", "data-to"]).sorted { $0[0] < $1[0] }
        let expected = postmortem.windows.map {
            [$0.deployment.rawValue, $0.from.description, $0.to?.description ?? "open"]
        }.sorted { $0[0] < $1[0] }
        #expect(bars == expected && bars.count == 2, "\(bars)")
        #expect(bars.contains(["uni-gpt", "2026-03-27T00:00:00Z", "2026-06-01T00:00:00Z"]), "\(bars)")
        #expect(svg.contains("data-kind=\"paused\"") && svg.contains("meta paused the vendor after 5d 0h"))
        #expect(svg.contains("role=\"img\"") && svg.contains("<desc id=\"chart-desc\">"), "a text alternative")
    }

    @Test func theIncidentPictureDrawsEveryPathAndEscapesNames() throws {
        var log = LogBuilder.chain()
        log.breach("b1", kinds: [.rlhf, .redTeaming])
        log.add(VendorPaused(provider: slug("meta"), vendor: slug("mercor"), incident: slug("b1")), at: "2026-04-01")
        let report = try #require(log.chain().report(ofIncident: slug("b1"), at: time("2026-11-01")))
        let svg = report.picture
        let paths = Set(attributes(svg, "path", ["data-path"]).map { $0[0] })
        #expect(
            paths == Set(report.exposures.map { "mercor/\($0.provider)/\($0.model)/\($0.deployment)" })
                && paths.count == 2, "\(paths)")
        #expect(
            svg.contains("data-provider=\"meta\" data-paused=\"true\"") && svg.contains("stroke-dasharray"),
            "a paused link is dashed")
        #expect(svg.contains("h-llama4 · potential"), "the status is written, not shown by colour alone")
        #expect(
            Markup.escape("<a href=\"x\">O'Neil & Co</a>")
                == "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; Co&lt;/a&gt;")
    }
}
