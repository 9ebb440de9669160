import CustodyCore
import CustodyTestSupport
import Foundation
import Testing

/// A one-shot command opens its connection while its command line is still being parsed (`EarlyConnection`):
/// whichever way the command names its database, that database answers and takes its facts.
@Suite struct EarlyConnectionTests {
    @Test func theDatabaseTheCommandNamesIsTheOneItUses() async throws {
        let scenario = try await ExampleScenario.registry()
        let empty = try await TestDatabase.create(on: .endToEnd)
        let question = ["exposure", "--deployment", "mh-triage"]
        let fromEnvironment = try await scenario.run(question)
        #expect(fromEnvironment.status == 0 && fromEnvironment.stdout.contains("mh-triage"), "\(fromEnvironment)")
        // The environment names the scenario's database, the option the empty one, both ways of writing it.
        for named in [["--database-url", empty.text], ["--database-url=\(empty.text)"]] {
            let fromOption = try await scenario.run(question + named)
            #expect(fromOption.status == 1, "\(named): \(fromOption.stdout)")
            #expect(fromOption.stderr.contains("unknown deployment 'mh-triage'"), "\(named): \(fromOption.stderr)")
        }
        // Given twice, the option's last value is the command's while the early connection went to the first:
        // that connection is not the command's, and is not taken.
        let twice = try await scenario.run(
            question + ["--database-url", scenario.databaseURL?.text ?? "", "--database-url", empty.text])
        #expect(twice.stderr.contains("unknown deployment 'mh-triage'"), "\(twice)")
        // A fact goes where the option says, not where the environment does.
        let added = try await scenario.run([
            "vendor", "add", "early-vendor", "--name", "Early", "--database-url", empty.text,
        ])
        #expect(added.status == 0, "\(added.stderr)")
        let there = try await CLI(databaseURL: empty).run(["vendors"])
        let here = try await scenario.run(["vendors"])
        #expect(there.stdout.contains("early-vendor") && !here.stdout.contains("early-vendor"), "\(there) / \(here)")
        // An option naming a server that is not there is refused, not answered from the environment's database.
        var once = scenario
        once.environment["CUSTODY_CONNECT_ATTEMPTS"] = "1"
        let nowhere = try await once.run(question + ["--database-url", "postgres://custody@127.0.0.1:1/none"])
        #expect(nowhere.status != 0 && nowhere.stderr.contains("cannot reach"), "\(nowhere.stderr)")
    }
}
