/// An incident's path as a picture: vendor → providers → models → the deployments the report holds (those the
/// viewer may see), each deployment coloured and labelled by its status, a paused link dashed and labelled.
extension IncidentReport {
    /// The incident's reach as an SVG picture: vendor, providers, models, deployments.
    public var picture: String {
        let columns = [16.0, 246.0, 476.0, 706.0]
        let box = (width: 220.0, height: 24.0)
        let row = 32.0
        let top = 40.0
        func f(_ value: Double) -> String { String(Int(value.rounded())) }
        // Deployments in provider, model, deployment order; each model and provider centred on its deployments.
        let rows = exposures.sorted { ($0.provider, $0.model, $0.deployment) < ($1.provider, $1.model, $1.deployment) }
        var providers = Dictionary(grouping: rows, by: \.provider)
        for provider in incident.providers where providers[provider] == nil { providers[provider] = [] }
        var y = top
        var providerY: [(Slug, Double, Bool)] = []
        var modelY: [(provider: Slug, model: Slug, y: Double)] = []
        var deploymentY: [(Exposure, Double)] = []
        for provider in providers.keys.sorted() {
            let list = providers[provider] ?? []
            let startY = y
            for (model, deployments) in Dictionary(grouping: list, by: \.model).sorted(by: { $0.key < $1.key }) {
                let modelStart = y
                for exposure in deployments {
                    deploymentY.append((exposure, y))
                    y += row
                }
                modelY.append((provider, model, (modelStart + y - row) / 2))
            }
            if list.isEmpty { y += row }
            providerY.append((provider, (startY + y - row) / 2, list.contains { $0.paused }))
        }
        let height = max(y, top + row) + 12
        let vendorY = (top + height - 12 - row) / 2
        let vendor = incident.vendor.rawValue
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="incident-path" viewBox="0 0 960 \(f(height))" width="960" \
            height="\(f(height))" role="img" aria-labelledby="path-title path-desc" font-family="system-ui, sans-serif" font-size="12">
            <title id="path-title">How \(Markup.escape(incident.id.rawValue)) reaches deployments</title>
            <desc id="path-desc">\(Markup.escape(describe()))</desc>
            <rect x="0" y="0" width="960" height="\(f(height))" fill="#ffffff"/>
            <text x="16" y="20" fill="#333333">vendor</text><text x="246" y="20" fill="#333333">providers</text>\
            <text x="476" y="20" fill="#333333">models</text><text x="706" y="20" fill="#333333">deployments</text>

            """
        func node(_ column: Int, _ y: Double, _ label: String, fill: String = "#eef1f5", stroke: String = "#4a5568")
            -> String
        {
            "<rect x=\"\(f(columns[column]))\" y=\"\(f(y))\" width=\"\(f(box.width))\" height=\"\(f(box.height))\" rx=\"4\" fill=\"\(fill)\" stroke=\"\(stroke)\"/>"
                + "<text x=\"\(f(columns[column] + 8))\" y=\"\(f(y + 16))\" fill=\"#1a1a1a\">\(Markup.escape(label))</text>"
        }
        func edge(
            _ from: Int, _ fromY: Double, _ to: Int, _ toY: Double, dashed: Bool = false, stroke: String = "#4a5568"
        ) -> String {
            "<line x1=\"\(f(columns[from] + box.width))\" y1=\"\(f(fromY + box.height / 2))\" x2=\"\(f(columns[to]))\" y2=\"\(f(toY + box.height / 2))\" "
                + "stroke=\"\(stroke)\" stroke-width=\"1.5\"\(dashed ? " stroke-dasharray=\"5 4\"" : "")/>"
        }
        svg +=
            "<g class=\"vendor\" data-vendor=\"\(Markup.escape(vendor))\">"
            + node(0, vendorY, "\(vendor) (breached)", fill: "#f9d3d3", stroke: "#9b1c1c") + "</g>\n"
        for (provider, y, paused) in providerY {
            svg +=
                "<g class=\"provider\" data-provider=\"\(Markup.escape(provider.rawValue))\" data-paused=\"\(paused)\">"
                + edge(0, vendorY, 1, y, dashed: paused)
                + node(1, y, provider.rawValue + (paused ? " (paused the vendor)" : ""))
            if paused {
                svg +=
                    "<text x=\"\(f(columns[1] - 6))\" y=\"\(f(y - 2))\" text-anchor=\"end\" fill=\"#1a1a1a\" font-size=\"10\">paused</text>"
            }
            svg += "</g>\n"
        }
        for (provider, model, y) in modelY {
            let parent = providerY.first { $0.0 == provider }?.1 ?? y
            svg +=
                "<g class=\"model\" data-model=\"\(Markup.escape(model.rawValue))\">" + edge(1, parent, 2, y)
                + node(2, y, model.rawValue) + "</g>\n"
        }
        for (exposure, y) in deploymentY {
            let parent = modelY.first { $0.provider == exposure.provider && $0.model == exposure.model }?.y ?? y
            let (fill, stroke) = Markup.colours(exposure.status)
            let path = [vendor, exposure.provider.rawValue, exposure.model.rawValue, exposure.deployment.rawValue]
                .joined(separator: "/")
            svg +=
                "<g class=\"path\" data-path=\"\(Markup.escape(path))\" data-status=\"\(exposure.status.rawValue)\">"
                + "<title>\(Markup.escape("\(path): \(exposure.status.rawValue)\(exposure.paused ? ", paused" : "")"))</title>"
                + edge(2, parent, 3, y, stroke: stroke)
                + node(3, y, "\(exposure.deployment) · \(exposure.status.rawValue)", fill: fill, stroke: stroke)
                + "</g>\n"
        }
        return svg + "</svg>\n"
    }

    /// The picture in words.
    func describe() -> String {
        let paths = exposures.map {
            "\(incident.vendor) → \($0.provider) → \($0.model) → \($0.deployment) (\($0.status.rawValue)\($0.paused ? ", paused" : ""))"
        }
        return "Breach of \(incident.vendor). "
            + (paths.isEmpty ? "No deployment you may see is reached." : paths.joined(separator: "; ") + ".")
    }
}
