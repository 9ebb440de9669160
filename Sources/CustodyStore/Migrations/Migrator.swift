import CustodySchema
import Logging
import PostgresNIO

/// Applies `schema/`'s numbered migrations, each once, in order, under an advisory lock so two migrators racing
/// each other are safe: the second waits, then finds nothing left to do.
public struct Migrator: Sendable {
    let database: Database

    /// A migrator of `database`.
    public init(_ database: Database) { self.database = database }

    /// The newest migration this binary carries.
    public static var latestVersion: Int { Migrations.all.map(\.version).max() ?? 0 }

    private static let lockKey: Int64 = 7_350_123_900_001

    /// Applies what is pending; returns the versions applied.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await database.withConnection { connection in
            let logger = database.logger
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS custody_migrations (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                    """, logger: logger)
                var applied = Set<Int>()
                for try await version in try await connection.query(
                    "SELECT version FROM custody_migrations", logger: logger
                ).decode(Int.self) {
                    applied.insert(version)
                }
                var done: [Int] = []
                for migration in Migrations.all.sorted(by: { $0.version < $1.version })
                where !applied.contains(migration.version) {
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        // A file holds many statements; PostgresNIO speaks the extended protocol, which takes one,
                        // so the file runs as the body of one dynamic EXECUTE (plpgsql runs every statement in it).
                        try await connection.query(
                            PostgresQuery(
                                unsafeSQL:
                                    "DO $custody_migration$ BEGIN EXECUTE \(Self.quoted(migration.sql)); END $custody_migration$"
                            ),
                            logger: logger)
                        try await connection.query(
                            "INSERT INTO custody_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                            logger: logger)
                        try await connection.query("COMMIT", logger: logger)
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                    logger.info(
                        "applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                    done.append(migration.version)
                }
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return done
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// The version the database is at, as an expression (0 when no migration was applied); trusted text, for
    /// `unescaped:`. Present views ask it in the statement that asks whether the read models are current.
    static let version = "(SELECT coalesce(max(version), 0) FROM custody_migrations)::bigint"

    /// The version the database is at; 0 when it was never migrated.
    ///
    /// One round trip: every command checks this first, so the table's absence is learnt from the statement's
    /// error (undefined table) instead of from a catalog query before it.
    public func currentVersion() async throws -> Int {
        try await database.withConnection { connection in
            do {
                for try await version in try await connection.query(
                    "SELECT \(unescaped: Self.version)", logger: database.logger
                ).decode(Int.self) {
                    return version
                }
                return 0
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
                return 0
            }
        }
    }

    /// A dollar-quoted literal of trusted SQL from schema/.
    static func quoted(_ sql: String) -> String {
        let tag = "$custody_migration_sql$"
        precondition(!sql.contains(tag), "a migration must not contain \(tag)")
        return tag + sql + tag
    }

    /// Throws a clear error when the database is behind (or ahead of) this binary.
    public func requireCurrent() async throws { try Self.requireCurrent(try await currentVersion()) }

    /// Throws a clear error when `current`, the version a database is at, is not this binary's.
    static func requireCurrent(_ current: Int) throws {
        if current < Self.latestVersion {
            throw StoreError.schemaBehind(current: current, required: Self.latestVersion)
        }
        if current > Self.latestVersion {
            throw StoreError.schemaAhead(current: current, supported: Self.latestVersion)
        }
    }
}
