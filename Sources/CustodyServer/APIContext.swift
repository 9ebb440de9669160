import CustodyCore
import Hummingbird

/// The request context: Hummingbird's core storage plus who is calling, set once the token is checked.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's token id and scope; nil on open routes and under `--no-auth` (which acts as admin).
    var caller: Caller?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// What the caller may see: admin when no token is involved (open routes, `--no-auth`).
    var scope: AccessScope { caller?.scope ?? .admin }

    /// Nothing is uploaded to a read-only API.
    public var maxUploadSize: Int { 0 }
}

struct Caller: Sendable {
    var tokenId: String
    var scope: AccessScope
}
