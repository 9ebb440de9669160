import Crypto

/// What Custody's CycloneDX documents share: the envelope, properties, and a deployed model as a component.
public enum CycloneDX {
    /// The CycloneDX version written.
    public static let specVersion = "1.6"

    /// A BOM around `fields`, with a serial number that is a name-based UUID of its content, so the same facts
    /// give the same document byte for byte (the API's and the CLI's answers compare equal).
    static func bom(_ fields: [String: JSONValue]) -> JSONValue {
        var document = fields
        document["bomFormat"] = .string("CycloneDX")
        document["specVersion"] = .string(specVersion)
        document["version"] = .integer(1)
        var digest = Array(Insecure.SHA1.hash(data: Array(JSONValue.object(document).jsonbText.utf8)).prefix(16))
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        let hex = ChainHash.hex(digest)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(
                hex[
                    hex.index(
                        hex.startIndex, offsetBy: range.lowerBound)..<hex.index(
                            hex.startIndex, offsetBy: range.upperBound)])
        }
        document["serialNumber"] = .string("urn:uuid:" + parts.joined(separator: "-"))
        return .object(document)
    }

    static func properties(_ pairs: [(String, String)]) -> JSONValue {
        .array(pairs.map { .object(["name": .string($0.0), "value": .string($0.1)]) })
    }

    static func property(_ name: String, _ value: String) -> JSONValue {
        .object(["name": .string(name), "value": .string(value)])
    }

    /// A deployment's model as a `machine-learning-model` component: supplier = the provider, the purl when
    /// one was recorded, and the properties an inventory reads back (`custody:model`); `describing` adds the
    /// deployment's own properties (VEX names deployments, not only models).
    static func modelComponent(
        ref: String, deployment id: Slug, running deployment: ModelDeployed, in chain: SupplyChain, describing: Bool
    ) -> JSONValue {
        let model = chain.model(deployment.model)
        var properties = [("custody:model", deployment.model.rawValue)]
        if describing {
            properties += [
                ("custody:deployment", id.rawValue), ("custody:workload", deployment.workload),
                ("custody:criticality", deployment.criticality.rawValue),
            ]
        }
        var fields: [String: JSONValue] = [
            "type": .string("machine-learning-model"), "bom-ref": .string(ref),
            "name": .string(model?.name ?? deployment.model.rawValue),
            "properties": Self.properties(properties),
        ]
        if let provider = model?.provider {
            fields["supplier"] = .object(["name": .string(chain.providerName(provider) ?? provider.rawValue)])
            fields["group"] = .string(provider.rawValue)
        }
        if let purl = model?.purl { fields["purl"] = .string(purl) }
        return .object(fields)
    }

    /// One deployment as the application BOM `custody inventory apply` reads back to the same deployment.
    public static func applicationBOM(
        organization: Slug, deployment id: Slug, running deployment: ModelDeployed, in chain: SupplyChain
    ) -> JSONValue {
        let application: [String: JSONValue] = [
            "type": .string("application"), "bom-ref": .string("deployment/\(id)"), "name": .string(id.rawValue),
            "description": .string(deployment.workload),
            "properties": properties([
                ("custody:deployment", id.rawValue), ("custody:criticality", deployment.criticality.rawValue),
                ("custody:organization", organization.rawValue),
            ]),
        ]
        return bom([
            "metadata": .object([
                "tools": .object([
                    "components": .array([.object(["type": .string("application"), "name": .string("custody")])])
                ]),
                "component": .object(application),
            ]),
            "components": .array([
                modelComponent(
                    ref: "model/\(deployment.model)", deployment: id, running: deployment, in: chain, describing: false)
            ]),
        ])
    }
}

extension SupplyChain {
    func providerName(_ id: Slug) -> String? { providers[id]?.last?.value }
}
