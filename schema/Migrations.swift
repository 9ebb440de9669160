/// The numbered migrations of `schema/`, in order, embedded in the binary.
///
/// Adding a migration: write `NNN_name.sql`, list it in Package.swift's resources and here (SwiftPM names the
/// embedded bytes after the file, its leading digit replaced by `_`: `001_x.sql` is `_01_x_sql`).
public enum Migrations {
    public struct Migration: Sendable {
        /// The number of the file; applied in ascending order, each once.
        public let version: Int
        public let name: String
        public let sql: String
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "event_log", sql: String(decoding: PackageResources._01_event_log_sql, as: UTF8.self)),
        Migration(version: 2, name: "projections", sql: String(decoding: PackageResources._02_projections_sql, as: UTF8.self)),
        Migration(version: 3, name: "access", sql: String(decoding: PackageResources._03_access_sql, as: UTF8.self)),
        Migration(version: 4, name: "responses", sql: String(decoding: PackageResources._04_responses_sql, as: UTF8.self)),
        Migration(version: 5, name: "access_log", sql: String(decoding: PackageResources._05_access_log_sql, as: UTF8.self)),
        Migration(
            version: 6, name: "incremental_projector",
            sql: String(decoding: PackageResources._06_incremental_projector_sql, as: UTF8.self)),
        Migration(version: 7, name: "fold_snapshots", sql: String(decoding: PackageResources._07_fold_snapshots_sql, as: UTF8.self)),
        Migration(version: 8, name: "read_model_swap", sql: String(decoding: PackageResources._08_read_model_swap_sql, as: UTF8.self)),
        Migration(
            version: 9, name: "deployment_registry",
            sql: String(decoding: PackageResources._09_deployment_registry_sql, as: UTF8.self)),
        Migration(
            version: 10, name: "consistent_appends",
            sql: String(decoding: PackageResources._10_consistent_appends_sql, as: UTF8.self)),
        Migration(version: 11, name: "roles", sql: String(decoding: PackageResources._11_roles_sql, as: UTF8.self)),
        Migration(version: 12, name: "known_events", sql: String(decoding: PackageResources._12_known_events_sql, as: UTF8.self)),
        Migration(version: 13, name: "derived_stream_heads", sql: String(decoding: PackageResources._13_derived_stream_heads_sql, as: UTF8.self)),
        Migration(version: 14, name: "exact_micros", sql: String(decoding: PackageResources._14_exact_micros_sql, as: UTF8.self)),
        Migration(version: 15, name: "rebuild_tables", sql: String(decoding: PackageResources._15_rebuild_tables_sql, as: UTF8.self)),
        Migration(version: 16, name: "webhooks", sql: String(decoding: PackageResources._16_webhooks_sql, as: UTF8.self)),
        Migration(version: 17, name: "webhook_outbox", sql: String(decoding: PackageResources._17_webhook_outbox_sql, as: UTF8.self)),
        Migration(version: 18, name: "webhook_overdue", sql: String(decoding: PackageResources._18_webhook_overdue_sql, as: UTF8.self)),
        Migration(version: 19, name: "webhook_disabled", sql: String(decoding: PackageResources._19_webhook_disabled_sql, as: UTF8.self)),
        Migration(
            version: 20, name: "webhook_outbox_columns",
            sql: String(decoding: PackageResources._20_webhook_outbox_columns_sql, as: UTF8.self)),
        Migration(version: 21, name: "vendor_pauses", sql: String(decoding: PackageResources._21_vendor_pauses_sql, as: UTF8.self)),
        Migration(version: 22, name: "fact_index", sql: String(decoding: PackageResources._22_fact_index_sql, as: UTF8.self)),
        Migration(
            version: 23, name: "fold_snapshot_gzip",
            sql: String(decoding: PackageResources._23_fold_snapshot_gzip_sql, as: UTF8.self)),
        Migration(
            version: 24, name: "investigation_states",
            sql: String(decoding: PackageResources._24_investigation_states_sql, as: UTF8.self)),
        Migration(
            version: 25, name: "rebuild_indexes_after_load",
            sql: String(decoding: PackageResources._25_rebuild_indexes_after_load_sql, as: UTF8.self)),
    ]
}
