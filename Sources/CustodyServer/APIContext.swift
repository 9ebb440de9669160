import CustodyCore
import Hummingbird
import NIOConcurrencyHelpers

/// The request context: Hummingbird's core storage plus who is calling, set once the token is checked.
public struct APIContext: RequestContext {
    /// Hummingbird's own request storage.
    public var coreContext: CoreRequestContextStorage
    /// Who is calling, once `AuthenticationMiddleware` checked the token: shared by every middleware and the
    /// handler of one request (the context is copied down the chain, and access recording, which runs outside
    /// authentication, must see what it found).
    private let callerNote = CallerNote()

    /// The caller's token id and scope; nil on open routes and under `--no-auth` (which acts as admin).
    var caller: Caller? {
        get { callerNote.value.withLockedValue { $0 } }
        nonmutating set { callerNote.value.withLockedValue { $0 = newValue } }
    }

    /// A context for a request from `source`.
    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// What the caller may see: admin when no token is involved (open routes, `--no-auth`).
    var scope: AccessScope { caller?.scope ?? .admin }

    /// Nothing is uploaded to a read-only API.
    public var maxUploadSize: Int { 0 }
}

/// Who a valid token belongs to: the token's id (as the access log names it) and what it may see.
struct Caller: Sendable {
    var tokenId: String
    var scope: AccessScope
}

/// The caller, shared by reference between the copies of one request's context.
final class CallerNote: Sendable {
    let value = NIOLockedValueBox<Caller?>(nil)
}
