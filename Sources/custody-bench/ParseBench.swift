import ArgumentParser
import CustodyCore
import Foundation

extension Bench {
    /// The JSON parser alone, against Foundation's, on the generated workload's lines (issue 15): the figures
    /// behind keeping a parser of our own are measured here, not inferred from the import's total.
    struct Parse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Parses N generated event lines with each JSON reader; prints JSON {reader: {seconds, linesPerSecond}}.",
            discussion: """
                Readers: `custody` (JSONParser to a JSONValue tree), `JSONSerialization` (to Foundation objects),
                `JSONDecoder` (to a JSONValue through its Codable conformance, the try-each-type cascade), and
                `EventLine` (what an import does per line: the parser, the typed decode and the unknown-field check).
                Lines are built in memory first; only parsing is timed, best of --runs.
                """)
        @Option var events = 1_000_000
        @Option var runs = 3

        func run() async throws {
            var scenario = Scenario(seed: 42)
            var lines: [Data] = []
            lines.reserveCapacity(events)
            for index in 0..<events { lines.append(Data(scenario.line(index).utf8)) }
            let decoder = JSONDecoder()
            let readers: [(String, (Data) throws -> Void)] = [
                ("custody", { _ = try JSONParser.parse($0) }),
                ("JSONSerialization", { _ = try JSONSerialization.jsonObject(with: $0) }),
                ("JSONDecoder", { _ = try decoder.decode(JSONValue.self, from: $0) }),
                ("EventLine", { _ = try EventLine(parsing: $0) }),
            ]
            var report: [String: JSONValue] = [:]
            for (name, read) in readers {
                var best = Double.infinity
                for _ in 0..<runs {
                    let started = ContinuousClock.now
                    for line in lines { try read(line) }
                    best = min(best, (ContinuousClock.now - started).seconds)
                }
                report[name] = .object([
                    "seconds": .number(String(format: "%.3f", best)),
                    "linesPerSecond": .integer(Int64(Double(events) / best)),
                ])
            }
            report["lines"] = .integer(Int64(events))
            report["bytes"] = .integer(Int64(lines.reduce(0) { $0 + $1.count }))
            print(JSONValue.object(report).jsonbText)
        }
    }
}
