import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database` URL, with `?host=/socket/dir` for a unix socket and
/// `?sslmode=disable|prefer|require`.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public let text: String
    let username: String
    let password: String?
    let database: String
    let endpoint: Endpoint
    let tls: TLSMode

    enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public init(_ text: String) throws(StoreError) {
        func refuse(_ why: String) -> StoreError {
            .configuration(
                "invalid database URL (\(why)): expected postgres://user[:password]@host[:port]/database"
                    + "[?host=/socket/dir][&sslmode=disable|prefer|require]")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else { throw refuse("not a postgres:// URL") }
        guard let user = components.user, !user.isEmpty else { throw refuse("no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw refuse("no database name") }
        let port = components.port ?? 5432
        var socketDirectory: String?
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "host": socketDirectory = item.value
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw refuse("sslmode must be disable, prefer or require")
                }
                tls = mode
            default: throw refuse("unknown parameter '\(item.name)'")
            }
        }
        self.text = text
        // `user` and `password` are already percent-decoded: decoding again would turn `p%2541` into `pA`.
        username = user
        password = components.password
        self.database = database
        if let socketDirectory, socketDirectory.hasPrefix("/") {
            endpoint = .socket(path: socketDirectory + "/.s.PGSQL.\(port)")
        } else {
            endpoint = .tcp(host: socketDirectory ?? components.host ?? "localhost", port: port)
        }
        self.tls = tls
    }

    /// The URL without its password, safe to print: the password is masked as it is written in the URL
    /// (percent-encoded), not as it is sent.
    public var description: String {
        guard let components = URLComponents(string: text), let written = components.percentEncodedPassword, !written.isEmpty
        else { return text }
        return text.replacingOccurrences(of: ":" + written + "@", with: ":***@")
    }

    /// Where the server is expected, for messages: `the socket /tmp/…/.s.PGSQL.5432` or `localhost:5432`.
    public var server: String {
        switch endpoint {
        case .socket(let path): return "the socket \(path)"
        case .tcp(let host, let port): return "\(host):\(port)"
        }
    }

    /// The same server with another database: tests make one database per suite.
    public func with(database name: String) throws(StoreError) -> DatabaseURL {
        guard var components = URLComponents(string: text) else { throw .configuration("invalid database URL") }
        components.path = "/" + name
        guard let url = components.string else { throw .configuration("invalid database name \(name)") }
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
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tlsMode)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
