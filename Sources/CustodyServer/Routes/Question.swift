import CustodyCore
import CustodyStore
import Foundation
import Hummingbird

/// The two clocks of a question, from `?as_of=` and `?known_at=`, exactly as the CLI's `--as-of` and `--known-at`.
struct Question: Sendable {
    var asOf: Timestamp
    var knownAt: Timestamp?
    var present: Bool

    init(_ request: Request, allowing allowed: Set<String> = ["as_of", "known_at"]) throws {
        let query = request.uri.queryParameters
        for (name, _) in query where !allowed.contains(String(name)) {
            let accepted = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
            throw Problem.badRequest("unknown query parameter '\(name)' (accepted: \(accepted))")
        }
        try self.init(asOf: query["as_of"].map(String.init), knownAt: query["known_at"].map(String.init))
    }

    /// The clocks as given (nil: not asked), from a query or a form's fields.
    init(asOf: String?, knownAt: String?) throws {
        let now = Timestamp.now
        do {
            self.knownAt = try knownAt.map { text throws(CustodyError) in
                try Timestamp(asking: text, what: "known_at", now: now)
            }
            self.asOf =
                try asOf.map { text throws(CustodyError) in try Timestamp(asking: text, what: "as_of", now: now) }
                ?? self.knownAt ?? now
        } catch {
            throw Problem.badRequest(error.message)
        }
        present = asOf == nil && knownAt == nil
    }
}

extension Question {
    /// The clocks as query fields, as a link that asks the same question carries them (none for the present).
    var fields: [(String, String)] {
        guard !present else { return [] }
        return [("as_of", asOf.description)] + (knownAt.map { [("known_at", $0.description)] } ?? [])
    }
}

extension Endpoints {
    /// The id in the path, refused with a 400 when it cannot be an id at all.
    func id(_ context: APIContext, _ what: String) throws -> Slug {
        let text = context.parameters.get("id") ?? ""
        do { return try Slug(text, what: "\(what) id") } catch { throw Problem.badRequest(error.message) }
    }

    /// The fold that answers `question`: the live one, or a replay of what was recorded by `known_at`.
    func chain(for question: Question, _ snapshot: LiveState.Snapshot) async throws -> SupplyChain {
        guard let knownAt = question.knownAt else { return snapshot.chain }
        let store = EventStore(database)
        try await gate.reachable(database)
        return try await replays.run { try await store.supplyChain(knownAt: knownAt) }
    }
}
