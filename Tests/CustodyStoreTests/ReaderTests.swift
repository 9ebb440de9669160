import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// What a follower saw, in order.
actor Collected {
    var events: [RecordedEvent] = []
    func add(_ new: [RecordedEvent]) -> Int {
        events.append(contentsOf: new)
        return events.count
    }
}

@Suite struct ReaderTests {
    @Test func aFollowerSeesEveryEventOnceInStreamOrderUnderConcurrentWriters() async throws {
        try await TestDatabase.with(maximumConnections: 24) { database in
            let store = EventStore(database)
            let writers = 8
            let perWriter = 40
            let total = writers * perWriter
            let seen = Collected()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await Follower(store, pollInterval: .milliseconds(20)).follow(after: .start, pageSize: 50) {
                        page in
                        let count = await seen.add(page.entries.map(\.event))
                        if count >= total { throw CancellationError() }
                    }
                }
                for writer in 0..<writers {
                    group.addTask {
                        // Writers share streams pairwise, so versions race as well as positions.
                        for index in 0..<perWriter {
                            _ = try await store.append([Fixture.finding("inv-\(writer % 4)", "w\(writer)-\(index)")])
                        }
                    }
                }
                do {
                    while try await group.next() != nil {}
                } catch is CancellationError {
                    group.cancelAll()
                }
            }
            let events = await seen.events
            #expect(events.count == total)
            #expect(Set(events.map(\.id)).count == total)
            for stream in Set(events.map(\.stream)) {
                let versions = events.filter { $0.stream == stream }.map(\.version)
                #expect(versions == Array(1...Int64(versions.count)), "\(stream) out of order")
            }
        }
    }

    @Test func readingAStreamFromTheLogFiltersIt() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            _ = try await store.append([Fixture.vendor("a"), Fixture.finding("inv", "x"), Fixture.vendor("b")])
            _ = try await store.waitForLog(count: 3)
            let page = try await store.readLog(after: .start, stream: .vendor(Fixture.slug("b")), limit: 10)
            #expect(page.entries.map(\.event.stream.description) == ["vendor-b"])
            let rest = try await store.readLog(after: page.next, stream: .vendor(Fixture.slug("b")), limit: 10)
            #expect(rest.entries.isEmpty)
            #expect(rest.next == page.next)
        }
    }
}
