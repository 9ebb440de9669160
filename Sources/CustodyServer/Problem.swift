import CustodyCore
import CustodyStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// An error answered as an RFC 9457 problem document (`application/problem+json`) with a `detail` a person
/// can act on. Every failure of the API ends as one of these: never a stack trace, never a bare 500 for bad input.
struct Problem: Error, HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var detail: String
    var headers: HTTPFields = [:]
    /// Thrown before any route ran, so no route recorded it in the access log.
    var recordedHere = false

    /// The same problem, marked as refused before any route ran.
    var refusedBeforeRouting: Problem {
        var marked = self
        marked.recordedHere = true
        return marked
    }

    /// The status's standard phrase ("Not Found"), the same for every problem of that status.
    var title: String { status.reasonPhrase }

    init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) {
        (self.status, self.detail, self.headers) = (status, detail, headers)
    }

    static func notFound(_ what: String, _ id: String) -> Problem {
        Problem(.notFound, "no \(what) '\(id)' is known (or it is outside this token's organization)")
    }

    static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, detail) }

    static func unavailable(_ detail: String) -> Problem {
        var headers = HTTPFields()
        headers[.retryAfter] = "5"
        return Problem(.serviceUnavailable, detail, headers: headers)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let document = JSONValue.object([
            "type": .string("about:blank"), "title": .string(title), "status": .integer(Int64(status.code)),
            "detail": .string(detail), "instance": .string(request.uri.path),
        ])
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(
            status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: document.jsonbText + "\n")))
    }
}

/// A database call that took longer than the API waits.
struct DatabaseDeadline: Error {}

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
}
