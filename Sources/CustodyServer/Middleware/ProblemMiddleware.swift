import CustodyCore
import CustodyStore
import Hummingbird

/// Turns whatever a handler throws into a problem document, logs server-side failures with the request id, and
/// tags every response with that id so a user's report can be matched to the log.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIContext

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response)
        async throws -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let problem = Self.problem(for: error)
            if problem.status.code >= 500 {
                context.logger.error(
                    "request failed", metadata: ["status": "\(problem.status.code)", "error": "\(error)"])
            }
            response = try problem.response(from: request, context: context)
        }
        response.headers[.requestID] = context.id
        return response
    }

    static func problem(for error: any Error) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as HTTPError:
            let title = error.status.reasonPhrase
            let detail = error.status == .notFound ? "no such route; see /openapi.yaml" : (error.body ?? title)
            return Problem(error.status, detail, headers: error.headers)
        case let error as CustodyError:
            return .badRequest(error.message)
        case StoreError.unavailable:
            // The cause (a driver's error, with its internal type names) goes to the server log, not to the caller.
            return .unavailable("the database is unavailable; try again shortly")
        case let error as StoreError:
            switch error {
            case .schemaBehind, .schemaAhead: return .unavailable(error.description)
            default: return Problem(.internalServerError, "the database failed to answer; see the server log")
            }
        case is DatabaseDeadline:
            return .unavailable("the database did not answer in time; try again shortly")
        default:
            return Problem(.internalServerError, "the request failed; see the server log")
        }
    }
}
