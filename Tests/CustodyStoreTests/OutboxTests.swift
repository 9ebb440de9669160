import CustodyCore
import CustodyTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import CustodyStore

/// The projector writes a message for each change a subscriber is told of, in the transaction that makes the
/// change (schema/017): none for a change that did not commit, exactly one per subscription for one that did.
@Suite struct OutboxTests {
    struct Injected: Error {}

    struct Row: Equatable {
        var subscription: String
        var organization: String
        var type: String
        var deployment: String
        var causeType: String
    }

    static func outbox(_ database: Database) async throws -> [Row] {
        var rows: [Row] = []
        for try await (subscription, organization, type, body) in try await database.query(
            "SELECT subscription, organization, type, body FROM custody_webhook_outbox ORDER BY id"
        ).decode((String, String, String, String).self) {
            guard case .object(let top) = try JSONParser.parse(Array(body.utf8)), case .object(let data)? = top["data"],
                case .object(let row)? = data["exposure"] ?? data["previous"],
                case .string(let deployment)? = row["deployment"],
                case .object(let cause)? = data["cause"], case .string(let causeType)? = cause["type"],
                top["type"] == .string(type)
            else {
                Issue.record("a malformed body: \(body)")
                continue
            }
            rows.append(
                Row(
                    subscription: subscription, organization: organization, type: type, deployment: deployment,
                    causeType: causeType))
        }
        return rows
    }

    /// A deliverer reads the bell before looking in the outbox: a ring while it looked (a message committed after
    /// its look began) must end its wait at once, not at the next poll.
    @Test func aRingWhileTheOutboxWasReadEndsTheWaitAtOnce() async throws {
        let bell = OutboxBell()
        let seen = bell.rings
        bell.ring()
        let started = ContinuousClock.now
        try await bell.wait(after: seen, upTo: .seconds(5))
        #expect(ContinuousClock.now - started < .seconds(1))
        // Nothing rung since: the wait lasts its timeout.
        let quiet = ContinuousClock.now
        try await bell.wait(after: bell.rings, upTo: .milliseconds(50))
        #expect(ContinuousClock.now - quiet >= .milliseconds(50))
    }

    @Test func aCommittedChangeGetsItsMessagesAndAFailedOneNone() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let s = Fixture.slug
            let world = Array(Workload.mixed(organizations: 2).prefix { !"\($0.event)".contains("BreachReported") })
            _ = try await store.append(world)
            _ = try await store.append([
                Fixture.proposed(
                    WebhookSubscribed(
                        subscription: s("all"), organization: s("org-0"), url: "https://a.example/x", messages: [],
                        overdueAfterSeconds: nil), at: "2025-12-01"),
                Fixture.proposed(
                    WebhookSubscribed(
                        subscription: s("leaving"), organization: s("org-0"), url: "https://b.example/x",
                        messages: ["exposure.left"], overdueAfterSeconds: nil), at: "2025-12-01"),
                Fixture.proposed(
                    WebhookSubscribed(
                        subscription: s("gone"), organization: s("org-1"), url: "https://c.example/x", messages: [],
                        overdueAfterSeconds: nil), at: "2025-12-01"),
                Fixture.proposed(WebhookRemoved(subscription: s("gone")), at: "2025-12-02"),
            ])
            _ = try await store.waitForLog(count: world.count + 4)
            let projection = ExposureProjection(store)
            try await projection.start()
            try await projection.catchUp()
            #expect(try await Self.outbox(database).isEmpty, "no exposure yet, no message")

            // A breach at mercor reaches org-0's deployments on its providers' models.
            let breach = Fixture.proposed(
                BreachReported(
                    incident: s("b1"), vendor: s("mercor"), severity: .high, summary: "s", dataKinds: [], providers: [],
                    sources: [],
                    disclosedAt: nil), at: "2026-03-27")
            _ = try await store.append([breach])
            _ = try await store.waitForLog(count: world.count + 5)
            let page = try await store.readLog(
                after: try #require(try await ExposureProjection.checkpoint(database)).cursor, limit: 10)
            await projection.injectFailure { if $0 == "checkpoint" { throw Injected() } }
            await #expect(throws: (any Error).self) { try await projection.apply(page) }
            #expect(try await Self.outbox(database).isEmpty, "a change that did not commit sent nothing")
            await projection.injectFailure(nil)
            try await projection.apply(page)

            let sent = try await Self.outbox(database)
            let exposed =
                try await ExposureProjection.organizationView(database, s("org-0"))?.exposures.map(
                    \.deployment.rawValue) ?? []
            #expect(!exposed.isEmpty)
            #expect(
                sent.map(\.deployment).sorted() == exposed.sorted(), "one message per row that entered, for 'all' only")
            #expect(
                sent.allSatisfy {
                    $0.subscription == "all" && $0.organization == "org-0" && $0.type == "exposure.entered"
                        && $0.causeType == "BreachReported"
                })

            // Resolving it: every row leaves, told to both of org-0's subscriptions.
            _ = try await store.append([
                Fixture.proposed(IncidentResolved(incident: s("b1"), summary: nil), at: "2026-05-01")
            ])
            _ = try await store.waitForLog(count: world.count + 6)
            try await projection.catchUp()
            let after = try await Self.outbox(database).dropFirst(sent.count)
            #expect(after.count == 2 * exposed.count)
            #expect(after.allSatisfy { $0.type == "exposure.left" && $0.causeType == "IncidentResolved" })
            #expect(Set(after.map(\.subscription)) == ["all", "leaving"])
        }
    }

    @Test func anUnansweredExposureIsOverdueOncePerRowAndSubscription() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let s = Fixture.slug
            let events = Workload.mixed(organizations: 2)
            _ = try await store.append(events)
            _ = try await store.append([
                Fixture.proposed(
                    WebhookSubscribed(
                        subscription: s("late"), organization: s("org-0"), url: "https://a.example/x", messages: [],
                        overdueAfterSeconds: 3600), at: "2025-12-01"),
                Fixture.proposed(
                    WebhookSubscribed(
                        subscription: s("never"), organization: s("org-0"), url: "https://b.example/x",
                        messages: ["exposure.left"], overdueAfterSeconds: 3600), at: "2025-12-01"),
                Fixture.proposed(
                    WebhookSubscribed(
                        subscription: s("patient"), organization: s("org-0"), url: "https://c.example/x", messages: [],
                        overdueAfterSeconds: 86_400 * 36_500), at: "2025-12-01"),
            ])
            _ = try await store.waitForLog(count: events.count + 3)
            _ = try await ExposureProjection.rebuild(store)
            let current = try #require(try await ExposureProjection.organizationView(database, s("org-0"))).exposures
                .filter { $0.response == nil }
            #expect(!current.isEmpty)
            let outbox = WebhookOutbox(database)
            #expect(try await outbox.queueOverdue(at: .now) == current.count, "one per unanswered row, for 'late' only")
            #expect(try await outbox.queueOverdue(at: .now) == 0, "never twice")
            let sent = try await Self.rows(database, "SELECT subscription || ' ' || type FROM custody_webhook_outbox")
            #expect(Set(sent) == ["late response.overdue"])
        }
    }

    static func rows(_ database: Database, _ sql: String) async throws -> [String] {
        var rows: [String] = []
        for try await row in try await database.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) {
            rows.append(row)
        }
        return rows
    }

    @Test func anEndpointThatOnlyFailsIsDisabledUntilADeliverySucceeds() async throws {
        try await TestDatabase.with { database in
            let store = EventStore(database)
            let s = Fixture.slug
            let events = Workload.mixed(organizations: 1)
            _ = try await store.append(events)
            _ = try await store.subscribe(
                Fixture.proposed(
                    WebhookSubscribed(
                        subscription: s("soc"), organization: s("org-0"), url: "https://a.example/x", messages: [],
                        overdueAfterSeconds: nil), at: "2025-12-01"),
                secret: try #require(WebhookSecret(key: Array(repeating: 3, count: 32))))
            _ = try await store.waitForLog(count: events.count + 1)
            let subscription = try #require(try await store.supplyChain().webhookSubscriptions().first)
            let outbox = WebhookOutbox(database)
            _ = try await outbox.queueTest(subscription, at: .now)
            _ = try await outbox.queueTest(subscription, at: .now)
            let first = try #require(try await outbox.lease(for: .seconds(30)))
            #expect(first.url == "https://a.example/x")
            #expect(
                try await outbox.lease(for: .seconds(30)) == nil,
                "the second waits for the first: one subscription, in order")
            try await outbox.failed(first, status: 500, error: "the receiver answered 500", retryAt: nil)
            #expect(
                try await outbox.disableIfOnlyFailing(s("soc"), for: .seconds(3600)) == false, "not failing long enough"
            )
            #expect(try await outbox.disableIfOnlyFailing(s("soc"), for: .zero))
            #expect(try await outbox.disabled().keys.contains(s("soc")))
            // A delivery that succeeds (a test message, which is still tried) enables it again.
            let second = try #require(try await outbox.lease(for: .seconds(30)))
            try await outbox.delivered(second, status: 204)
            #expect(try await outbox.disabledSince(s("soc")) == nil)
            #expect(
                try await outbox.disableIfOnlyFailing(s("soc"), for: .zero) == false,
                "a delivery since the last failure")
            let listed = try await outbox.deliveries(organization: s("org-0"), failedOnly: false).map(\.state)
            #expect(listed == ["delivered", "failed"])
        }
    }
}

/// A page caught up in bulk commits without waiting for the disk; a live page, or one carrying webhook messages,
/// waits (`PreparedPage.waitsForDisk`).
@Suite struct PageCommitTests {
    static func page(subscribed: Bool, findings: Int) throws -> ExposureProjection.PreparedPage {
        let s = Fixture.slug
        var proposed = Workload.mixed(organizations: 2).filter { !"\($0.event)".contains("BreachReported") }
        if subscribed {
            proposed.append(
                Fixture.proposed(
                    WebhookSubscribed(
                        subscription: s("all"), organization: s("org-0"), url: "https://a.example/x", messages: [],
                        overdueAfterSeconds: nil), at: "2025-12-01"))
        }
        proposed += (0..<findings).map { _ in
            Fixture.proposed(InvestigationFindingRecorded(investigation: s("n1"), finding: "f"), at: "2026-03-01")
        }
        proposed.append(
            Fixture.proposed(
                BreachReported(
                    incident: s("b1"), vendor: s("mercor"), severity: .high, summary: "s", dataKinds: [], providers: [],
                    sources: [], disclosedAt: nil), at: "2026-03-27"))
        let events = Fixture.recorded(proposed)
        let step = ExposureProjector(evaluatedAt: .now).step(events, at: .now)
        return try ExposureProjection.PreparedPage(
            step, expected: .start, next: .start, events: Int64(events.count), count: events.count, decided: .zero)
    }

    @Test func onlyAPageCaughtUpInBulkWithoutMessagesCommitsWithoutWaitingForTheDisk() throws {
        let bulk = try Self.page(subscribed: false, findings: ExposureProjection.PreparedPage.catchingUp)
        #expect(bulk.step.changes.exposures.count > 0 && bulk.outbox.messages.isEmpty)
        #expect(!bulk.waitsForDisk)
        let told = try Self.page(subscribed: true, findings: ExposureProjection.PreparedPage.catchingUp)
        #expect(!told.outbox.messages.isEmpty)
        #expect(told.waitsForDisk)
        let live = try Self.page(subscribed: false, findings: 0)
        #expect(live.count < ExposureProjection.PreparedPage.catchingUp && live.waitsForDisk)
    }
}
