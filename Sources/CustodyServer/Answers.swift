import CompressNIO
import Crypto
import CustodyCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// A document ready to send, with the ETag that names it: kept plain when small, gzipped only when worth it.
///
/// A long-running server keeps an answer per organization; at a million events a thousand organizations'
/// answers were 50 MB plain and 5 MB gzipped, a third of the server's memory. Most clients accept gzip; for the
/// others the plain text is inflated per request, which costs far less than computing the answer again.
struct Answer: Sendable {
    private enum Form {
        case plain(ByteBuffer)
        case gzipped(ByteBuffer, plainBytes: Int)
    }
    private let form: Form
    var contentType: String
    var etag: String

    init(_ text: String, contentType: String = "application/json", version: String, key: String) {
        let body = ByteBuffer(string: text)
        self.contentType = contentType
        // Weak: the plain and gzip forms carry the same ETag. Derived from the log and checkpoint version, and
        // from what was asked and by whom, so a scoped token never matches an admin's answer.
        let digest = SHA256.hash(data: Data((version + "\n" + key).utf8))
        etag = "W/\"" + ChainHash.hex(Array(digest.prefix(12))) + "\""
        var gzipped: ByteBuffer?
        if body.readableBytes >= 1024 {
            var input = body
            gzipped = try? input.compress(with: .gzip())
        }
        form = gzipped.map { .gzipped($0, plainBytes: body.readableBytes) } ?? .plain(body)
    }

    /// The plain text, inflated when only the gzip form is kept.
    private func plain() throws -> ByteBuffer {
        switch form {
        case .plain(let body): return body
        case .gzipped(var gzipped, let plainBytes):
            var body = ByteBufferAllocator().buffer(capacity: plainBytes)
            try gzipped.decompress(to: &body, with: .gzip())
            return body
        }
    }

    /// The response for `request`: 304 when it already holds this version, gzip when it accepts it.
    func response(to request: Request) throws -> Response {
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.vary] = "Accept, Accept-Encoding, Authorization"
        headers[.cacheControl] = "private, no-cache"
        if let held = request.headers[.ifNoneMatch],
            held == "*" || held.split(separator: ",").contains(where: { Self.weakMatch($0, etag) })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        if case .gzipped(let gzipped, _) = form, Self.acceptsGzip(request) {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: gzipped))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: try plain()))
    }

    private static func weakMatch(_ candidate: Substring, _ etag: String) -> Bool {
        let trimmed = candidate.trimmingCharacters(in: .whitespaces)
        let bare = { (tag: String) in tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag }
        return bare(trimmed) == bare(etag)
    }

    private static func acceptsGzip(_ request: Request) -> Bool {
        guard let accepted = request.headers[.acceptEncoding] else { return false }
        // RFC 9110: a coding is acceptable unless its weight is 0 (q=0, q=0.0, q=0.000, any case and spacing).
        return accepted.split(separator: ",").contains { part in
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = fields.first, coding == "gzip" || coding == "x-gzip" else { return false }
            let weight =
                fields.dropFirst().compactMap { field -> Double? in
                    let pair = field.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    return pair.count == 2 && pair[0] == "q" ? Double(pair[1]) : nil
                }.first ?? 1
            return weight > 0
        }
    }
}

/// Answers by what was asked, valid while the log and checkpoint stay at one version: the first request after
/// a change computes, the rest are served from memory. Bounded, so a scan of many ids cannot grow it forever.
final class AnswerCache: Sendable {
    private let state = NIOLockedValueBox<(version: String, answers: [String: Answer])>(("", [:]))
    let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    func answer(_ key: String, version: String, compute: () async throws -> Answer) async throws -> Answer {
        if let hit = state.withLockedValue({ $0.version == version ? $0.answers[key] : nil }) { return hit }
        let answer = try await compute()
        state.withLockedValue { state in
            if state.version != version || state.answers.count >= capacity { state = (version, [:]) }
            state.answers[key] = answer
        }
        return answer
    }
}
