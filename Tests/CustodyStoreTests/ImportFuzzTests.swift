import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// Seeded files with one hostile line among good ones: the import names that line and writes nothing.
@Suite struct ImportFuzzTests {
    static let hostile: [String] = [
        "{truncated", "[]", "null", "{\"id\":1}", String(repeating: "[", count: 3000),
        #"{"id":"6f1c1a52-0000-4000-8000-00000000ffff","type":"VendorRegistered","data":{"vendor":"x","name":"X","extra":1},"occurredAt":"2026-01-01"}"#,
        #"{"id":"6f1c1a52-0000-4000-8000-00000000ffff","type":"VendorRegistered","data":{"vendor":"x","name":1},"occurredAt":"2026-01-01"}"#,
        #"{"id":"6f1c1a52-0000-4000-8000-00000000ffff","type":"Vendorregistered","data":{"vendor":"x","name":"X"},"occurredAt":"2026-01-01"}"#,
        #"{"id":"6f1c1a52-0000-4000-8000-00000000ffff","type":"VendorRegistered","data":{"vendor":"x","name":"X"},"occurredAt":"2026-13-01"}"#,
        #"{"id":"6f1c1a52-0000-4000-8000-00000000ffff","type":"VendorRegistered","data":{"vendor":"x","name":"X\u0000"},"occurredAt":"2026-01-01"}"#,
        #"{"id":"6f1c1a52-0000-4000-8000-00000000ffff","type":"VendorRegistered","data":{"vendor":"x","name":"X"},"occurredAt":"2026-01-01","version":1e400}"#,
        #"{"id":"6f1c1a52-0000-4000-8000-00000000ffff","type":"VendorRegistered","data":{"vendor":"X Y","name":"X"},"occurredAt":"2026-01-01"}"#,
    ]

    func good(_ index: Int) -> String {
        let id = String(format: "6f1c1a52-0000-4000-8000-%012d", index)
        return
            #"{"id":"\#(id)","type":"VendorRegistered","data":{"vendor":"v\#(index)","name":"V\#(index)"},"occurredAt":"2026-01-01"}"#
    }

    @Test func everyBadLineIsNamedAndNothingIsWritten() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "custody-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await TestDatabase.with { database in
            var random = SeededGenerator(seed: 7)
            var cases = 0
            for round in 0..<300 {
                let count = 2 + Int(random.next() % 30)
                var lines = (0..<count).map { good(round * 100 + $0) }
                let badAt = Int(random.next() % UInt64(count + 1))
                var bad = Array(Self.hostile[Int(random.next() % UInt64(Self.hostile.count))].utf8)
                if random.next() % 4 == 0 {
                    bad.insert(contentsOf: [0xC3, 0x28], at: Int(random.next() % UInt64(bad.count)))
                }
                lines.insert(String(decoding: bad, as: UTF8.self), at: badAt)
                var data = Data(lines.joined(separator: "\n").utf8)
                if random.next() % 5 == 0 {
                    // Raw bytes, not repaired by String: invalid UTF-8 on the bad line itself.
                    var raw = lines.prefix(badAt).map { Array($0.utf8) + [10] }.flatMap { $0 }
                    raw += bad.prefix(3) + [0xFF, 0xFE] + bad.dropFirst(3) + [10]
                    raw += lines.dropFirst(badAt + 1).map { Array($0.utf8) + [10] }.flatMap { $0 }
                    data = Data(raw)
                }
                let path = directory.appendingPathComponent("\(round).jsonl").path
                try data.write(to: URL(fileURLWithPath: path))
                cases += 1
                do {
                    _ = try await Importer(database).importFile(
                        at: path, metadata: EventMetadata(actor: "fuzz", source: "import"))
                    Issue.record(
                        "round \(round): imported a file with a bad line at \(badAt + 1): \(String(decoding: bad.prefix(200), as: UTF8.self))"
                    )
                } catch StoreError.importRefused(let line, let reason) {
                    #expect(
                        line == badAt + 1, "round \(round): named line \(line), the bad one is \(badAt + 1): \(reason)")
                    #expect(!reason.contains("\n") && reason.utf8.count < 1000)
                }
            }
            #expect(cases == 300)
            #expect(
                try await EventStore(database).readLog(after: .start, limit: 10).entries.isEmpty,
                "a refused import wrote")
        }
    }
}
