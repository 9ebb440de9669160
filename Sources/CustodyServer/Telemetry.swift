import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// The server's Prometheus registry: Hummingbird's per-route request counts and latency histograms (through
/// swift-metrics), and Custody's own gauges for the projection and the database pool.
final class Telemetry: Sendable {
    let registry = PrometheusCollectorRegistry()
    let projectionBehind: Prometheus.Gauge
    let projectionEvents: Prometheus.Gauge
    let databaseInFlight: Prometheus.Gauge
    let databasePoolSize: Prometheus.Gauge
    let webhooksPending: Prometheus.Gauge
    let webhooksOldestPending: Prometheus.Gauge
    private let inFlight = NIOLockedValueBox(0)

    init(poolSize: Int) {
        projectionBehind = registry.makeGauge(
            name: "custody_projection_behind_events",
            help: "Visible events the exposure read models have not applied yet")
        projectionEvents = registry.makeGauge(
            name: "custody_projection_applied_events", help: "Events applied by the exposure read models")
        databaseInFlight = registry.makeGauge(
            name: "custody_database_requests_in_flight",
            help: "API requests holding or awaiting a pooled database connection")
        databasePoolSize = registry.makeGauge(
            name: "custody_database_pool_size", help: "Connections the API's pool may open")
        databasePoolSize.set(Int64(poolSize))
        webhooksPending = registry.makeGauge(
            name: "custody_webhook_pending_messages", help: "Webhook messages neither delivered nor dead-lettered")
        webhooksOldestPending = registry.makeGauge(
            name: "custody_webhook_oldest_pending_seconds", help: "Age of the oldest pending webhook message")
    }

    /// Counts a delivery attempt by what came of it: delivered, retried, dead, refused, removed.
    func webhookDelivery(_ outcome: String) {
        registry.makeCounter(
            name: "custody_webhook_deliveries_total", labels: [("outcome", outcome)],
            help: "Webhook delivery attempts by outcome"
        ).increment()
    }

    /// Routes swift-metrics (Hummingbird's MetricsMiddleware) into this registry; once per process.
    func bootstrap() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
    }

    func databaseRequest(started: Bool) {
        let count = inFlight.withLockedValue { count in
            count += started ? 1 : -1
            return count
        }
        databaseInFlight.set(Int64(count))
    }

    var text: String { registry.emitToString() }
}
