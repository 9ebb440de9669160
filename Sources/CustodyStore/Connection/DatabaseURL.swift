import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database` URL, with `?host=/socket/dir` for a unix socket and
/// `?sslmode=disable|prefer|require`. As in libpq, several hosts may be given — `h1:5432,h2:5433` in the URL, or
/// `?host=/dir1,/dir2&port=5432,5433` — with `target_session_attrs` saying which one to use: the first that
/// answers (`any`, the default), the primary (`read-write` or `primary`), a standby (`read-only` or `standby`),
/// or a standby if one answers and else any (`prefer-standby`).
public struct DatabaseURL: Sendable, CustomStringConvertible {
    /// The URL as given (with its password, so never printed: `description` hides it).
    public let text: String
    let username: String
    let password: String?
    let database: String
    /// Every host given, in order; `endpoint` is the one this URL connects to.
    private(set) var endpoints: [Endpoint]
    let endpoint: Endpoint
    let tls: TLSMode
    private(set) var target: TargetSessionAttributes

    enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    /// libpq's `target_session_attrs`.
    public enum TargetSessionAttributes: String, Sendable, CaseIterable {
        case any
        case readWrite = "read-write"
        case readOnly = "read-only"
        case primary, standby
        case preferStandby = "prefer-standby"

        /// Whether a server in (or out of) recovery is what is asked for; `prefer-standby` takes any at last.
        func accepts(inRecovery: Bool, readOnly: Bool) -> Bool {
            switch self {
            case .any, .preferStandby: return true
            case .readWrite: return !inRecovery && !readOnly
            case .primary: return !inRecovery
            case .readOnly: return inRecovery || readOnly
            case .standby: return inRecovery
            }
        }
    }

    /// Parses `postgres://user[:password]@host[:port]/database?params`, refusing what it cannot use, in one line.
    public init(_ text: String) throws(StoreError) {
        func refuse(_ why: String) -> StoreError {
            .configuration(
                "invalid database URL (\(why)): expected postgres://user[:password]@host[:port][,host2[:port2]…]/database"
                    + "[?host=/socket/dir][&sslmode=disable|prefer|require][&target_session_attrs="
                    + TargetSessionAttributes.allCases.map(\.rawValue).joined(separator: "|") + "]")
        }
        // URLComponents reads one host: the others (`h1:5432,h2:5433`) are taken out first and read here.
        let (single, authorityHosts) = Self.splitHosts(text)
        guard let components = URLComponents(string: single), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else { throw refuse("not a postgres:// URL") }
        guard let user = components.user, !user.isEmpty else { throw refuse("no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw refuse("no database name") }
        var hosts: [(String, Int?)] = []
        for entry in authorityHosts ?? [] {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw refuse("an empty host in the host list") }
            if parts.count == 2 {
                guard let port = Int(parts[1]) else { throw refuse("invalid port '\(parts[1])'") }
                hosts.append((name, port))
            } else {
                hosts.append((name, nil))
            }
        }
        if hosts.isEmpty { hosts = [(components.host ?? "localhost", components.port)] }
        var socketDirectories: [String]?
        var ports: [Int]?
        var tls = TLSMode.prefer
        var target = TargetSessionAttributes.any
        for item in components.queryItems ?? [] {
            switch item.name {
            case "host": socketDirectories = item.value?.split(separator: ",").map(String.init)
            case "port":
                ports = try (item.value ?? "").split(separator: ",").map { text throws(StoreError) in
                    guard let port = Int(text) else { throw refuse("invalid port '\(text)'") }
                    return port
                }
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw refuse("sslmode must be disable, prefer or require")
                }
                tls = mode
            case "target_session_attrs":
                guard let value = item.value, let attributes = TargetSessionAttributes(rawValue: value) else {
                    throw refuse(
                        "target_session_attrs must be "
                            + TargetSessionAttributes.allCases.map(\.rawValue).joined(separator: ", "))
                }
                target = attributes
            default: throw refuse("unknown parameter '\(item.name)'")
            }
        }
        // `?host=` names the hosts (or socket directories) in place of the URL's; `?port=` their ports, one for
        // all or one each.
        let names = socketDirectories ?? hosts.map(\.0)
        let given = ports ?? hosts.map { $0.1 ?? 5432 }
        guard given.count == 1 || given.count == names.count else {
            throw refuse("\(names.count) hosts but \(given.count) ports")
        }
        endpoints = names.enumerated().map { index, name in
            let port = given.count == 1 ? given[0] : given[index]
            return name.hasPrefix("/") ? .socket(path: name + "/.s.PGSQL.\(port)") : .tcp(host: name, port: port)
        }
        endpoint = endpoints[0]
        self.text = text
        // `user` and `password` are already percent-decoded: decoding again would turn `p%2541` into `pA`.
        username = user
        password = components.password
        self.database = database
        self.tls = tls
        self.target = target
    }

    private init(_ url: DatabaseURL, endpoint: Endpoint) {
        (text, username, password, database, endpoints, tls, target) = (
            url.text, url.username, url.password, url.database, url.endpoints, url.tls, url.target
        )
        self.endpoint = endpoint
    }

    /// Reads from the first of `replicas` that is a standby and answers, else from any host of them or of
    /// `primary` that answers (`prefer-standby` over all their hosts, the replicas first), with the first
    /// replica's user, password, database and TLS mode.
    public static func reading(from replicas: [DatabaseURL], else primary: DatabaseURL) -> DatabaseURL {
        guard let first = replicas.first else { return primary }
        var url = DatabaseURL(first, endpoint: first.endpoint)
        url.endpoints = replicas.flatMap(\.endpoints) + primary.endpoints
        url.target = .preferStandby
        return url
    }

    /// Whether connecting means choosing among hosts, or asking what the one host is.
    var choosesHost: Bool { endpoints.count > 1 || target != .any }

    /// The same URL, connecting to one of its hosts.
    func connecting(to endpoint: Endpoint) -> DatabaseURL { DatabaseURL(self, endpoint: endpoint) }

    /// The text with its authority's host list cut to the first host, and the list (nil with one host).
    static func splitHosts(_ text: String) -> (String, [String]?) {
        guard let schemeEnd = text.range(of: "://") else { return (text, nil) }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let at = authority.lastIndex(of: "@")
        let hostPart = at.map { authority[authority.index(after: $0)...] } ?? authority
        guard hostPart.contains(",") else { return (text, nil) }
        let hosts = hostPart.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let first = hosts.first ?? ""
        return (String(text[..<hostPart.startIndex]) + first + String(rest[authorityEnd...]), hosts)
    }

    /// The URL without its password, safe to print: the password is masked as it is written in the URL
    /// (percent-encoded), not as it is sent.
    public var description: String {
        guard let components = URLComponents(string: Self.splitHosts(text).0),
            let written = components.percentEncodedPassword,
            !written.isEmpty
        else { return text }
        return text.replacingOccurrences(of: ":" + written + "@", with: ":***@")
    }

    /// Where the server is expected, for messages: `the socket /tmp/…/.s.PGSQL.5432` or `localhost:5432`.
    public var server: String {
        guard endpoints.count > 1 else { return Self.name(endpoint) }
        return "any of " + endpoints.map(Self.name).joined(separator: ", ") + " (\(target.rawValue))"
    }

    static func name(_ endpoint: Endpoint) -> String {
        switch endpoint {
        case .socket(let path): return "the socket \(path)"
        case .tcp(let host, let port): return "\(host):\(port)"
        }
    }

    /// The same server with another database: tests make one database per suite.
    public func with(database name: String) throws(StoreError) -> DatabaseURL {
        let (single, hosts) = Self.splitHosts(text)
        guard var components = URLComponents(string: single) else { throw .configuration("invalid database URL") }
        components.path = "/" + name
        guard var url = components.string else { throw .configuration("invalid database name \(name)") }
        if let hosts, let first = hosts.first, let range = url.range(of: "@" + first) ?? url.range(of: "://" + first) {
            url.replaceSubrange(
                range, with: url[range].replacingOccurrences(of: first, with: hosts.joined(separator: ",")))
        }
        return try DatabaseURL(url)
    }

    var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .socket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            let tlsConfiguration: PostgresClient.Configuration.TLS
            switch tls {
            case .disable: tlsConfiguration = .disable
            case .prefer: tlsConfiguration = .prefer(.makeClientConfiguration())
            case .require: tlsConfiguration = .require(.makeClientConfiguration())
            }
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database,
                tls: tlsConfiguration)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}

extension DatabaseURL {
    /// One direct connection with the same settings, for a quick reachability probe.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        switch endpoint {
        case .socket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            let context = try NIOSSLContext(configuration: .makeClientConfiguration())
            let tlsMode: PostgresConnection.Configuration.TLS
            switch tls {
            case .disable: tlsMode = .disable
            case .prefer: tlsMode = .prefer(context)
            case .require: tlsMode = .require(context)
            }
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database, tls: tlsMode)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
