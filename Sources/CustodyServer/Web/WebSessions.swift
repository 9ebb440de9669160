import CustodyCore
import CustodyStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// Sign-in sessions of the web pages, in this server's memory: a random id in an `HttpOnly`, `SameSite=Strict`
/// cookie names the session; the session holds the token's id and scope, never the token. The token is checked
/// again at most every `recheck`, so a revoked or expired token ends its sessions within that time. Sessions do
/// not survive a restart and are not shared between `serve` instances (sign in again).
final class WebSessions: Sendable {
    struct Session: Sendable {
        var tokenId: String
        var scope: AccessScope
        var checked: ContinuousClock.Instant
        var lastSeen: ContinuousClock.Instant
    }

    static let cookie = "custody_session"
    /// Sessions unused this long end.
    static let idle = Duration.seconds(12 * 3600)
    static let capacity = 10_000

    private let sessions = NIOLockedValueBox<[String: Session]>([:])
    let tokens: TokenStore
    let gate: DatabaseGate
    let recheck: Duration

    init(tokens: TokenStore, gate: DatabaseGate, recheck: Duration = .seconds(2)) {
        (self.tokens, self.gate, self.recheck) = (tokens, gate, recheck)
    }

    /// A new session for a valid token, and its id; nil when the token is unknown, revoked or expired.
    func signIn(_ text: String) async throws -> (id: String, scope: AccessScope)? {
        guard let token = AccessToken(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let (stored, scope) = try await gate.run({ [tokens] in try await tokens.authenticate(token) })
        else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let id = ChainHash.hex(bytes)
        let now = ContinuousClock.now
        sessions.withLockedValue { sessions in
            if sessions.count >= Self.capacity {
                // Full: the least recently used go first.
                for (key, _) in sessions.sorted(by: { $0.value.lastSeen < $1.value.lastSeen }).prefix(
                    Self.capacity / 10)
                {
                    sessions[key] = nil
                }
            }
            sessions[id] = Session(tokenId: stored.id, scope: scope, checked: now, lastSeen: now)
        }
        return (id, scope)
    }

    func signOut(_ id: String) { sessions.withLockedValue { $0[id] = nil } }

    /// The session a request's cookie names, while it and its token are valid; an ended one is forgotten.
    func session(of request: Request) async throws -> Session? {
        guard let id = Self.sessionId(request) else { return nil }
        let now = ContinuousClock.now
        guard var session = sessions.withLockedValue({ $0[id] }) else { return nil }
        guard now - session.lastSeen < Self.idle else {
            signOut(id)
            return nil
        }
        if now - session.checked >= recheck {
            let tokenId = session.tokenId
            guard let scope = try await gate.run({ [tokens] in try await tokens.scope(ofValidToken: tokenId) }) else {
                signOut(id)
                return nil
            }
            (session.scope, session.checked) = (scope, now)
        }
        session.lastSeen = now
        sessions.withLockedValue { $0[id] = session }
        return session
    }

    static func sessionId(_ request: Request) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == cookie, pair[1].utf8.count == 64, pair[1].utf8.allSatisfy({ isHexDigit($0) })
            {
                return pair[1]
            }
        }
        return nil
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
    }

    /// The cookie that carries a session id (or, with `nil`, removes it); `Secure` when the request came over TLS
    /// (a TLS-terminating proxy says so in `X-Forwarded-Proto`).
    static func setCookie(_ id: String?, for request: Request) -> String {
        let secure =
            request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
            || request.uri.scheme == .https
        return "\(cookie)=\(id ?? ""); Path=/web; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
            + (id == nil ? "; Max-Age=0" : "")
    }
}
