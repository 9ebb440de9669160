// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

// SwiftPM links executables with every symbol exported (~51,000): the dynamic loader then resolves against that
// table, and the runtime's start-up `dladdr` scans it, ~2 ms of every process (`custody --version` 8.0–8.9 →
// 6.4–7.1 ms). Nothing looks an executable's symbols up at run time.
let unexported: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "--no-export-dynamic"], .when(configuration: .release))]

let package = Package(
    name: "custody",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "custody", targets: ["custody"]),
        .executable(name: "custody-server", targets: ["custody-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Default traits off: swift-configuration support is not used, and FoundationEssentials is enough.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // The webhook deliverer's HTTP client (timeouts, no redirects, TLS, pooled connections).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "CustodyCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The numbered SQL migrations live in schema/ as plain files a DBA can read; they are embedded in the
        // binary so an installed `custody` needs no source tree.
        .target(
            name: "CustodySchema",
            path: "schema",
            exclude: ["README.md"],
            resources: [
                .embedInCode("001_event_log.sql"),
                .embedInCode("002_projections.sql"),
                .embedInCode("003_access.sql"),
                .embedInCode("004_responses.sql"),
                .embedInCode("005_access_log.sql"),
                .embedInCode("006_incremental_projector.sql"),
                .embedInCode("007_fold_snapshots.sql"),
                .embedInCode("008_read_model_swap.sql"),
                .embedInCode("009_deployment_registry.sql"),
                .embedInCode("010_consistent_appends.sql"),
                .embedInCode("011_roles.sql"),
                .embedInCode("012_known_events.sql"),
                .embedInCode("013_derived_stream_heads.sql"),
                .embedInCode("014_exact_micros.sql"),
                .embedInCode("015_rebuild_tables.sql"),
                .embedInCode("016_webhooks.sql"),
                .embedInCode("017_webhook_outbox.sql"),
                .embedInCode("018_webhook_overdue.sql"),
                .embedInCode("019_webhook_disabled.sql"),
                .embedInCode("020_webhook_outbox_columns.sql"),
                .embedInCode("021_vendor_pauses.sql"),
                .embedInCode("022_fact_index.sql"),
                .embedInCode("023_fold_snapshot_gzip.sql"),
                .embedInCode("024_investigation_states.sql"),
                .embedInCode("025_rebuild_indexes_after_load.sql"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CustodyStore",
            dependencies: [
                "CustodyCore",
                "CustodySchema",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: strict
        ),
        // The read-only HTTP API over the projections (`custody serve`).
        .target(
            name: "CustodyServer",
            dependencies: [
                "CustodyCore",
                "CustodyStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("openapi.yaml")],
            swiftSettings: strict
        ),
        // The commands and what they share; `custody` is the CLI without the server commands, which are in
        // `custody-server` (ServerCommand says why).
        .target(
            name: "CustodyCLI",
            dependencies: [
                "CustodyCore",
                "CustodyStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "custody",
            dependencies: ["CustodyCLI"],
            swiftSettings: strict,
            linkerSettings: unexported
        ),
        .executableTarget(
            name: "custody-server",
            dependencies: [
                "CustodyCLI", "CustodyCore", "CustodyStore", "CustodyServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            linkerSettings: unexported
        ),
        .executableTarget(
            name: "custody-bench",
            dependencies: [
                "CustodyCore", "CustodyStore", "CustodyServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Fixtures and a fresh database per suite, shared by the integration and end-to-end tests.
        .target(
            name: "CustodyTestSupport",
            dependencies: [
                "CustodyCore", "CustodyStore", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/CustodyTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "CustodyCoreTests", dependencies: ["CustodyCore", "CustodyTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "CustodyStoreTests",
            dependencies: [
                "CustodyCore", "CustodyStore", "CustodyTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CustodyCLITests",
            dependencies: ["CustodyCore", "CustodyStore", "CustodyTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CustodyAPITests",
            dependencies: [
                "CustodyCore", "CustodyStore", "CustodyServer", "CustodyTestSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
