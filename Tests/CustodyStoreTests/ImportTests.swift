import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite struct ImportTests {
    let metadata = EventMetadata(actor: "test", source: "import")

    func temporaryFile(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("custody-\(UUID().uuidString).jsonl")
            .path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Exports a database's whole log as JSON Lines.
    func export(_ store: EventStore, count: Int = 9) async throws -> [String] {
        try await store.waitForLog(count: count).map { EventLine.render($0.event, cursor: $0.cursor.description) }
    }

    func seed(_ store: EventStore) async throws {
        _ = try await store.append(
            [Fixture.vendor("mercor"), Fixture.provider("openai")] + Fixture.investigations(["inv"]))
        for index in 1...5 { _ = try await store.append([Fixture.finding("inv", "finding \"\(index)\"\n\\ tab\t")]) }
    }

    /// The export of a seeded database, as lines.
    func seededExport() async throws -> [String] {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            try await seed(store)
            return try await export(store)
        }
    }

    @Test func anExportRestoresIntoAnEmptyLogExactlyAndVerifies() async throws {
        let lines = try await seededExport()
        let path = try temporaryFile(lines)
        try await TestDatabase.with { database in
            let summary = try await Importer(database).importFile(at: path, metadata: metadata)
            #expect(summary.lines == 9 && summary.imported == 9 && summary.alreadyStored == 0 && summary.restored)
            let restored = try await export(EventStore(database))
            #expect(restored.count == lines.count)
            // Cursors hold cluster-local transaction ids; everything else must be identical.
            func withoutCursor(_ line: String) -> String {
                line.replacingOccurrences(of: #""cursor": "[0-9-]+", "#, with: "", options: .regularExpression)
            }
            #expect(restored.map(withoutCursor) == lines.map(withoutCursor))
            #expect(try await Verifier(database).verify().intact)
            // The sequence continues after the restored positions.
            let next = try await EventStore(database).append([Fixture.vendor("appen")])
            #expect(next.first?.recorded.position == 10)
        }
    }

    @Test func importingIntoALiveLogAppendsWithFreshHashesAndSkipsStoredIds() async throws {
        let lines = try await seededExport()
        let path = try temporaryFile(lines)
        try await TestDatabase.with { database in
            let store = EventStore(database)
            _ = try await store.append([Fixture.finding("inv", "already here")])
            let summary = try await Importer(database).importFile(at: path, metadata: metadata)
            #expect(summary.imported == 9)
            #expect(summary.restored == false)
            let investigation = try await store.read(streams: [.investigation(Fixture.slug("inv"))])
            #expect(investigation.map(\.version) == [1, 2, 3, 4, 5, 6, 7])
            // Hashes computed in Swift for COPY must agree with the SQL definition.
            #expect(try await Verifier(database).verify().intact)
            let again = try await Importer(database).importFile(at: path, metadata: metadata)
            #expect(again.imported == 0)
            #expect(again.alreadyStored == 9)
        }
    }

    /// An id used twice in one file is refused at its second line, into an empty log (a restore) and into a live
    /// one, and nothing is written; ids are kept as hashes, so this is what the confirming pass reports.
    @Test func anIdRepeatedInTheFileIsRefusedAtItsSecondLine() async throws {
        var lines = try await seededExport()
        lines.insert(lines[2], at: 6)
        let path = try temporaryFile(lines)
        let repeated = try EventLine(parsing: Array(lines[2].utf8)).id.uuidString.lowercased()
        for live in [false, true] {
            try await TestDatabase.with { database in
                let store = EventStore(database)
                if live { _ = try await store.append([Fixture.vendor("other")]) }
                let error = await #expect(throws: StoreError.self) {
                    _ = try await Importer(database).importFile(at: path, metadata: metadata)
                }
                guard case .importRefused(let line, let reason)? = error else {
                    Issue.record("unexpected \(String(describing: error))")
                    return
                }
                #expect(line == 7)
                #expect(reason == "event id \(repeated) appears twice in the file")
                // Counted directly: a reader's view of the log waits for the cluster's oldest open transaction.
                var stored = -1
                for try await count in try await database.query("SELECT count(*) FROM custody_events").decode(Int.self)
                {
                    stored = count
                }
                #expect(stored == (live ? 1 : 0))
            }
        }
    }

    /// One Unicode rule on every path: a fact's text is its exact characters, as PostgreSQL stores them. A retry
    /// of a stored event id whose text is a canonically equivalent re-spelling (NFD "Café") is a different fact,
    /// for the importer exactly as for a recording command; only the exact spelling counts as already stored.
    @Test func aReSpelledFactIsTheSameForImportAndRecord() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let id = UUID()
            let composed = "Caf\u{E9}"
            let decomposed = "Cafe\u{301}"
            #expect(composed == decomposed, "Swift's String equality is canonical equivalence: the trap")
            _ = try await store.record(
                Fixture.proposed(VendorRegistered(vendor: Fixture.slug("cafe"), name: composed), id: id))
            func line(_ name: String) -> String {
                #"{"id": "\#(id.uuidString.lowercased())", "type": "VendorRegistered", "schemaVersion": 1, "occurredAt": "2026-01-01T00:00:00Z", "#
                    + #""data": {"vendor": "cafe", "name": "\#(name)"}, "metadata": {"actor": "test", "source": "import"}}"#
            }
            do {
                _ = try await Importer(database).importFile(
                    at: try temporaryFile([line(decomposed)]), metadata: metadata)
                Issue.record("the import took a re-spelling for the stored fact")
            } catch {
                #expect("\(error)".contains("is already stored with different content"), "\(error)")
            }
            await #expect(throws: StoreError.conflictingEventId(id)) {
                try await store.record(
                    Fixture.proposed(VendorRegistered(vendor: Fixture.slug("cafe"), name: decomposed), id: id))
            }
            let same = try await Importer(database).importFile(
                at: try temporaryFile([line(composed)]), metadata: metadata)
            #expect(same.alreadyStored == 1 && same.imported == 0)
            _ = try await store.record(
                Fixture.proposed(VendorRegistered(vendor: Fixture.slug("cafe"), name: composed), id: id))
        }
    }

    @Test func aBadLineIsNamedAndNothingIsWritten() async throws {
        let good = EventLine.render(
            RecordedEvent(
                id: UUID(), stream: .vendor(Fixture.slug("a")), version: 1, position: 1,
                event: .vendorRegistered(VendorRegistered(vendor: Fixture.slug("a"), name: "A")),
                metadata: metadata, occurredAt: Fixture.at("2026-01-01"), recordedAt: Fixture.at("2026-01-02"), hash: []
            ),
            cursor: nil)
        let badLines = [
            #"{"id":"6f1c1a52-0000-4000-8000-000000000001","type":"VendorRegistered","data":{"vendor":"b","name":"B"},"occurredAt":"2026-02-30"}"#,
            #"{"id":"6f1c1a52-0000-4000-8000-000000000001","type":"NoSuchEvent","data":{},"occurredAt":"2026-02-01"}"#,
            "{truncated",
        ]
        for bad in badLines {
            let path = try temporaryFile([good.replacingOccurrences(of: #""hash": "", "#, with: ""), bad])
            try await TestDatabase.with { database in
                do {
                    _ = try await Importer(database).importFile(at: path, metadata: metadata)
                    Issue.record("imported a file with a bad line: \(bad)")
                } catch let error as StoreError {
                    guard case .importRefused(let line, _) = error else {
                        Issue.record("unexpected \(error)")
                        return
                    }
                    #expect(line == 2)
                }
                #expect(try await EventStore(database).readLog(after: .start, limit: 10).entries.isEmpty)
            }
        }
    }

    /// A file that starts as an export but also holds a new line is an import into an empty log, not a restore:
    /// the import finds out at that line, mid-COPY, and starts again assigning versions and hashes itself.
    @Test func anExportWithANewLineIsImportedNotRestored() async throws {
        var lines = try await seededExport()
        // An edited value breaks the exported chain, which matters only to a restore.
        lines[5] = lines[5].replacingOccurrences(of: #": "finding"#, with: #": "fiction"#)
        #expect(lines[5].contains("fiction"))
        lines.append(
            #"{"id": "\#(UUID().uuidString)", "type": "InvestigationFindingRecorded", "data": {"investigation": "inv", "finding": "new"}, "occurredAt": "2026-01-01T00:00:00Z"}"#
        )
        let path = try temporaryFile(lines)
        try await TestDatabase.with { database in
            let summary = try await Importer(database).importFile(at: path, metadata: metadata)
            #expect(summary.lines == 10 && summary.imported == 10 && summary.restored == false)
            let store = EventStore(database)
            let investigation = try await store.read(streams: [.investigation(Fixture.slug("inv"))])
            #expect(investigation.map(\.version) == [1, 2, 3, 4, 5, 6, 7])
            #expect(investigation.last?.metadata.actor == "test")
            #expect(try await store.waitForLog(count: 10).map(\.event.position) == Array(1...10))
            #expect(try await Verifier(database).verify().intact)
        }
    }

    /// A restore's history must be consistent with itself: a log written around the rules (appended directly)
    /// whose finding comes before its investigation was opened is refused at that line, and nothing is written.
    @Test func aRestoreOfAnInconsistentHistoryIsRefused() async throws {
        let lines = try await TestDatabase.with { database in
            let store = EventStore(database)
            _ = try await store.append(
                [Fixture.vendor("mercor"), Fixture.provider("openai")] + Fixture.investigations(["inv"]))
            _ = try await store.append([
                Fixture.proposed(
                    InvestigationFindingRecorded(investigation: Fixture.slug("inv"), finding: "early"), at: "2025-12-10"
                )
            ])
            return try await export(store, count: 5)
        }
        let path = try temporaryFile(lines)
        try await TestDatabase.with { database in
            await #expect(
                throws: StoreError.importRefused(
                    line: 5,
                    reason:
                        "investigation 'inv' was opened at 2025-12-15T00:00:00Z; a finding in it cannot be recorded at 2025-12-10T00:00:00Z"
                )
            ) {
                try await Importer(database).importFile(at: path, metadata: metadata)
            }
            let written = try await EventStore(database).readLog(after: .start, limit: 10).entries
            #expect(written.isEmpty)
        }
    }

    /// Metadata is checked like data and kept small; field names are bounded: each refused with its line.
    @Test func oversizedMetadataAndBadFieldNamesAreRefusedWithTheirLine() async throws {
        let actor = String(repeating: "a", count: 70_000)
        let lines = [
            #"{"id":"\#(UUID().uuidString)","type":"VendorRegistered","data":{"vendor":"a","name":"A"},"metadata":{"actor":"\#(actor)","source":"s"},"occurredAt":"2026-01-01"}"#,
            #"{"id":"\#(UUID().uuidString)","type":"VendorRegistered","data":{"vendor":"a","name":"A"},"metadata":{"actor":"x","source":"s","correlationId":"\u0007"},"occurredAt":"2026-01-01"}"#,
        ]
        for line in lines {
            let path = try temporaryFile([line])
            try await TestDatabase.with { database in
                await #expect(throws: StoreError.self) {
                    try await Importer(database).importFile(at: path, metadata: metadata)
                }
                let written = try await EventStore(database).readLog(after: .start, limit: 10).entries
                #expect(written.isEmpty)
            }
        }
        #expect(throws: CustodyError.self) { try Registry.checkTexts(in: .object(["bad\u{1}name": .string("x")])) }
    }

    /// A restore keeps only what this database could have written itself.
    @Test func aRestoreRefusesPositionsAndRecordTimesNoLogCouldHold() async throws {
        let lines = try await seededExport()
        let last = lines.count - 1
        let cases: [(Int, String, String)] = [
            (last, #""position": \d+"#, #""position": 9223372036854775807"#),
            (last, #""position": \d+"#, #""position": 1"#),
            (last, #""recordedAt": "[^"]+""#, #""recordedAt": "2099-01-01T00:00:00Z""#),
            (last, #""recordedAt": "[^"]+""#, #""recordedAt": "2020-01-01T00:00:00Z""#),
        ]
        for (index, pattern, replacement) in cases {
            var altered = lines
            altered[index] = altered[index].replacingOccurrences(
                of: pattern, with: replacement, options: .regularExpression)
            #expect(altered[index] != lines[index], "\(pattern) did not match")
            let path = try temporaryFile(altered)
            try await TestDatabase.with { database in
                do {
                    _ = try await Importer(database).importFile(at: path, metadata: metadata)
                    Issue.record("restored: \(replacement)")
                } catch let error as StoreError {
                    if case .importRefused(let line, _) = error {
                        #expect(line == index + 1, "\(error)")
                    } else {
                        Issue.record("\(error)")
                    }
                }
                let written = try await EventStore(database).readLog(after: .start, limit: 10).entries
                #expect(written.isEmpty)
            }
        }
    }

    @Test func anAlteredExportIsRefusedAsARestore() async throws {
        var lines = try await seededExport()
        lines[5] = lines[5].replacingOccurrences(of: "finding", with: "fiction")
        let path = try temporaryFile(lines)
        try await TestDatabase.with { database in
            await #expect(throws: StoreError.self) {
                try await Importer(database).importFile(at: path, metadata: metadata)
            }
            let written = try await EventStore(database).readLog(after: .start, limit: 10).entries
            #expect(written.isEmpty)
        }
    }

    @Test func anImportRacingSingleAppendsKeepsEveryStreamContiguous() async throws {
        let lines = (1...2000).map { index in
            let finding = Fixture.finding("inv-\(index % 10)", "imported \(index)")
            return
                #"{"id":"\#(finding.id.uuidString)","type":"InvestigationFindingRecorded","data":\#(finding.event.data.jsonbText),"occurredAt":"2026-01-01"}"#
        }
        let path = try temporaryFile(lines)
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let prelude =
                [Fixture.vendor("mercor"), Fixture.provider("openai")]
                + Fixture.investigations((0..<10).map { "inv-\($0)" })
            _ = try await store.append(prelude)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await Importer(database).importFile(at: path, metadata: metadata) }
                for writer in 0..<4 {
                    group.addTask {
                        for index in 0..<25 {
                            _ = try await store.append([
                                Fixture.finding("inv-\(index % 10)", "single \(writer)-\(index)")
                            ])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let entries = try await store.waitForLog(count: 2100 + prelude.count)
            #expect(entries.count == 2100 + prelude.count)
            for stream in Set(entries.map(\.event.stream)) {
                let versions = entries.filter { $0.event.stream == stream }.map(\.event.version)
                #expect(versions == Array(1...Int64(versions.count)), "\(stream) is not contiguous in log order")
            }
            #expect(try await Verifier(database).verify().intact)
        }
    }
}

@Suite struct MigrationTests {
    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        let url = try await TestDatabase.create(migrated: false)
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var quiet = Logger(label: "custody.test")
                    quiet.logLevel = .warning
                    return try await Database.with(url, logger: quiet, maximumConnections: 1) {
                        try await Migrator($0).migrate()
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == Array(1...Migrator.latestVersion))
        try await Database.with(url, maximumConnections: 1) { database in
            let version = try await Migrator(database).currentVersion()
            #expect(version == Migrator.latestVersion)
        }
    }

    @Test func aBehindSchemaIsReportedClearly() async throws {
        let url = try await TestDatabase.create(migrated: false)
        try await Database.with(url, maximumConnections: 1) { database in
            await #expect(throws: StoreError.schemaBehind(current: 0, required: Migrator.latestVersion)) {
                try await Migrator(database).requireCurrent()
            }
        }
    }
}
