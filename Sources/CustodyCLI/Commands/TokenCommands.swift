import ArgumentParser
import CustodyCore
import CustodyStore
import Foundation

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke the HTTP API's bearer tokens.",
        discussion: """
            A token is printed once, when created; only its SHA-256 hash is stored. A token scoped to an \
            organization (--org) sees only that organization's exposure; --admin sees everything, including the \
            global event feed.
            Examples: custody token create --org state-university --label "SOC dashboard"
                      custody token revoke 3f9a1c2b4d5e6f70
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Create a token and print it (once).")
        @Option(help: "The organization the token is limited to.") var org: String?
        @Flag(help: "A token that sees every organization and the event feed.") var admin = false
        @Option(help: "What the token is for, shown in listings.") var label = ""
        @Option(name: .customLong("expires"), help: "When the token stops working: 2027-01-01 or 2027-01-01T00:00:00Z.")
        var expires: String?
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard admin != (org != nil) else { throw ValidationError("give exactly one of --org or --admin") }
            guard label.utf8.count <= 200 else { throw ValidationError("--label is limited to 200 bytes") }
        }

        func run() async throws {
            let scope: AccessScope
            let expiresAt: Timestamp?
            do {
                scope = try org.map { .organization(try Slug($0, what: "organization id")) } ?? .admin
                expiresAt = try expires.map { text throws(CustodyError) in
                    try Timestamp(parsing: text, what: "--expires")
                }
            } catch let error as CustodyError {
                throw CommandFailure(message: error.message)
            }
            if let expiresAt, expiresAt <= .now { throw CommandFailure(message: "--expires must be in the future") }
            let label = self.label
            let (stored, token) = try await Runner.run(connection) { database in
                try await TokenStore(database).create(scope, label: label, expiresAt: expiresAt)
            }
            if connection.json {
                let document = JSONValue.object([
                    "id": .string(stored.id), "token": .string(token.text), "scope": .string(stored.scope),
                    "expiresAt": stored.expiresAt.map { .string($0.description) } ?? .null,
                ])
                print(document.jsonbText)
            } else {
                print(token.text)
                Runner.warn("token \(stored.id) (\(stored.scope)) created; it is shown only now: store it safely")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List tokens (never their secrets).")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let tokens = try await Runner.run(connection) { database in try await TokenStore(database).list() }
            if connection.json {
                print(try EventCoding.document(tokens))
                return
            }
            var table = Table(headers: ["ID", "SCOPE", "LABEL", "CREATED", "EXPIRES", "STATE"])
            let now = Timestamp.now
            for token in tokens {
                let state =
                    token.revokedAt != nil
                    ? "revoked" : (token.expiresAt.map { $0 <= now } ?? false) ? "expired" : "active"
                table.rows.append([
                    token.id, token.scope, token.label, token.createdAt.description,
                    token.expiresAt?.description ?? "never", state,
                ])
            }
            print(tokens.isEmpty ? "no tokens (create one with `custody token create`)" : table.text)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke a token by its id; the API refuses it within a few seconds.")
        @Argument(help: "The token's id (as `custody token list` shows it).") var id: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let id = self.id
            let revoked = try await Runner.run(connection) { database in try await TokenStore(database).revoke(id: id) }
            guard revoked else { throw CommandFailure(message: "no active token with id '\(id)'") }
            print(connection.json ? JSONValue.object(["revoked": .string(id)]).jsonbText : "revoked token \(id)")
        }
    }
}

struct AccessLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access-log",
        abstract: "Who read what through the HTTP API (refused requests included), newest first.",
        discussion: """
            With --org: requests made with the organization's tokens, and requests about it by anyone (admins \
            included), so the organization can be told who read its exposure.
            Example: custody access-log --org state-university --since 2026-11-01
            """)
    @Option(help: "Only reads by or about this organization.") var org: String?
    @Option(help: "Only reads at or after this time.") var since: String?
    @Option(help: "At most this many records.") var limit = 100
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 100000") }
    }

    func run() async throws {
        let organization: Slug?
        let from: Timestamp?
        do {
            organization = try org.map { text throws(CustodyError) in try Slug(text, what: "organization id") }
            from = try since.map { text throws(CustodyError) in try Timestamp(parsing: text, what: "--since") }
        } catch {
            throw CommandFailure(message: error.message)
        }
        let limit = self.limit
        let records = try await Runner.run(connection) { database in
            try await AccessLog(database).records(organization: organization, since: from, limit: limit)
        }
        if connection.json {
            print(try EventCoding.document(records))
            return
        }
        guard !records.isEmpty else {
            return print("no API reads recorded" + (organization.map { " by or about \($0)" } ?? ""))
        }
        var table = Table(headers: ["AT", "TOKEN", "SCOPE", "STATUS", "PATH"])
        for record in records {
            table.rows.append([
                record.at.description, record.tokenId ?? "-", record.scope, "\(record.status)", record.path,
            ])
        }
        print(table.text)
    }
}
