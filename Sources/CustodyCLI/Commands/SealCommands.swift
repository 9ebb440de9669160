import ArgumentParser
import Crypto
import CustodyCore
import CustodyStore
import Foundation

struct SealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract:
            "Sign a digest of the whole log, for an auditor to keep; check it later with `custody verify --seal`.",
        discussion: """
            Hash chains catch an edited event, not a stream deleted or a tail cut off. A seal holds the number of \
            events, a rolling digest over the whole log in order and every stream's head, signed with Ed25519. \
            Keep seals (and the public key) outside the database.
            Example: custody seal keygen seal.key && custody seal --key seal.key --out seal-2026-11-29.json
            """,
        subcommands: [Create.self, Keygen.self], defaultSubcommand: Create.self)

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Seal the log as it is now.")
        @Option(help: "The Ed25519 private key file (from `custody seal keygen`).") var key: String
        @Option(help: "Write the seal here instead of standard output.") var out: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let privateKey = try SealKeys.read(key)
            let (builder, position) = try await Runner.run(connection) { database in
                let store = EventStore(database)
                try await store.waitForHorizon()
                return try await store.sealBuilder()
            }
            let seal = try builder.seal(cursor: String(position), at: .now, key: privateKey)
            if let out {
                try Data((seal.json + "\n").utf8).write(to: URL(fileURLWithPath: out))
                Runner.warn(
                    "sealed \(seal.events) event(s) up to position \(position) into \(out); public key \(Data(seal.publicKey).base64EncodedString())"
                )
            } else {
                print(seal.json)
            }
        }
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen", abstract: "Create an Ed25519 key file for sealing (mode 0600).")
        @Argument(help: "Where to write the private key.") var file: String

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: file) else {
                throw CommandFailure(message: "\(file) exists; not overwriting a key")
            }
            let key = Curve25519.Signing.PrivateKey()
            guard
                FileManager.default.createFile(
                    atPath: file, contents: Data((key.rawRepresentation.base64EncodedString() + "\n").utf8),
                    attributes: [.posixPermissions: 0o600])
            else { throw CommandFailure(message: "cannot write \(file)") }
            print("public key: \(key.publicKey.rawRepresentation.base64EncodedString())")
        }
    }
}

enum SealKeys {
    static func read(_ file: String) throws -> Curve25519.Signing.PrivateKey {
        guard let data = FileManager.default.contents(atPath: file),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            let raw = Data(base64Encoded: text), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { throw CommandFailure(message: "\(file) is not a seal key (create one with `custody seal keygen FILE`)") }
        return key
    }
}

/// `custody verify --seal FILE`: the log against a seal an auditor kept.
enum SealCheck {
    static func run(_ file: String, trust: String?, connection: ConnectionOptions) async throws {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else {
            throw CommandFailure(message: "cannot read the seal file \(file)")
        }
        let seal: Seal
        let cursor: LogCursor?
        let position: Int64?
        do {
            let trusted = try trust.map { key throws(CustodyError) -> [UInt8] in
                guard let bytes = Data(base64Encoded: key) else {
                    throw CustodyError.invalidValue(what: "--trust", value: key, accepted: "a base64 public key")
                }
                return Array(bytes)
            }
            seal = try Seal(parsing: text, trusting: trusted)
            if seal.format == Seal.format {
                guard let sealed = Int64(seal.cursor), sealed >= 0 else {
                    throw CustodyError.malformedEvent("seal: the cursor is not a position")
                }
                (cursor, position) = (nil, sealed)
            } else {
                (cursor, position) = (try LogCursor(parsing: seal.cursor), nil)
            }
        } catch let error as CustodyError {
            throw CommandFailure(message: "\(file): \(error.message)")
        }
        let builder = try await Runner.run(connection) { database in
            let store = EventStore(database)
            try await store.waitForHorizon()
            if let position { return try await store.sealBuilder(through: position) }
            return try await store.sealBuilder(upTo: cursor ?? .start)
        }
        let differences = builder.differences(from: seal)
        if connection.json {
            print(
                JSONValue.object([
                    "seal": .string(file), "cursor": .string(seal.cursor), "events": .integer(seal.events),
                    "intact": .bool(differences.isEmpty), "differences": .array(differences.map(JSONValue.string)),
                    "signerChecked": .bool(trust != nil),
                    "publicKey": .string(Data(seal.publicKey).base64EncodedString()),
                ]).jsonbText)
        } else if differences.isEmpty {
            print(
                "log matches the seal: \(seal.events) event(s) up to \(seal.format == Seal.format ? "position " : "")\(seal.cursor), signed \(seal.sealedAt)"
            )
            if trust == nil {
                print(
                    "the signer was NOT checked: the seal is signed by key \(Data(seal.publicKey).base64EncodedString()), "
                        + "which is only its own claim; give --trust with the auditor's public key")
            }
        } else {
            for difference in differences { print("differs: \(difference)") }
        }
        if !differences.isEmpty {
            throw CommandFailure(
                message: "the log does not match the seal \(file) (\(differences.count) difference(s) listed above)")
        }
    }
}
