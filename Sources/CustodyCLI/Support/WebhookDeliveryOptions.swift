import ArgumentParser

/// How a process delivers webhooks (`serve`, `notify run`).
package struct WebhookDeliveryOptions: ParsableArguments {
    @Option(
        name: .customLong("webhook-allow"),
        help: ArgumentHelp(
            "An internal address block webhook destinations may be in (repeatable): 127.0.0.1/32, 10.0.0.0/8.",
            discussion: "By default loopback, private, shared, link-local and multicast addresses are refused.",
            valueName: "cidr"))
    package var allow: [String] = []

    @Option(
        name: .customLong("webhook-retry-base"),
        help: "Seconds before the first retry of a failed delivery; each next one waits twice as long (±50 %).")
    package var retryBase: Double = 5

    @Option(
        name: .customLong("webhook-retry-max"),
        help: "The longest wait between two attempts, in seconds (default 12 h, which the default base never reaches).")
    package var retryMaximum: Int64 = 12 * 3600

    @Option(
        name: .customLong("webhook-disable-after"),
        help: "Disable an endpoint whose messages have only been dead-lettered this long: 72h, 3d.")
    package var disableAfter = "72h"

    @Option(
        name: .customLong("webhook-timeout"),
        help: "Seconds a delivery may take; a deliverer that dies holds its message about 3 times this long.")
    package var timeout: Int64 = 5

    package init() {}
}
