/// One application as a CycloneDX 1.5/1.6 bill of materials describes it (docs/cyclonedx.md): `metadata.component`
/// is the application, each `machine-learning-model` component a model it runs. Read from JSON without the supply
/// chain; `deployments(in:)` then matches its models to registered ones. Every mistake names the file and the JSON
/// pointer of the value at fault, and all of a file's mistakes are reported together.
public struct ApplicationBOM: Sendable, Equatable {
    /// A model component, as the BOM names it.
    public struct ModelReference: Sendable, Equatable {
        /// The component's JSON pointer in the file.
        public var pointer: String
        /// The `custody:model` property, and where it is.
        public var model: (id: Slug, pointer: String)?
        /// Its package URL, when given.
        public var purl: PackageURL?
        /// Its name, when given.
        public var name: String?

        /// Equal when they name the same model the same way at the same place.
        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.pointer == rhs.pointer && lhs.model?.id == rhs.model?.id && lhs.purl == rhs.purl && lhs.name == rhs.name
        }
    }

    /// The file it was read from.
    public var file: String
    /// The application, as a deployment id.
    public var application: Slug
    /// Its workload (`custody:workload`).
    public var workload: String
    /// Its criticality (`custody:criticality`).
    public var criticality: Criticality
    /// The models it runs.
    public var models: [ModelReference]

    /// The CycloneDX versions read.
    public static let specVersions = ["1.5", "1.6"]
    static let componentPointer = "/metadata/component"

    /// Whether a parsed JSON document claims to be a CycloneDX BOM (and so is read as one, strictly).
    public static func isBOM(_ json: JSONValue) -> Bool {
        guard case .object(let root) = json else { return false }
        return root["bomFormat"] != nil
    }

    /// Reads a parsed BOM, reporting every mistake of the file together.
    public init(_ json: JSONValue, file: String) throws(CustodyError) {
        var problems = Problems()
        func fail(_ pointer: String, _ message: String) { problems.add("\(file): \(pointer): \(message)") }
        guard case .object(let root) = json else {
            throw .conflict("\(file): /: expected a CycloneDX BOM (a JSON object)")
        }
        if root["bomFormat"] != .string("CycloneDX") { fail("/bomFormat", "expected \"CycloneDX\"") }
        if case .string(let version)? = root["specVersion"], Self.specVersions.contains(version) {
        } else {
            fail("/specVersion", "expected one of \(Self.specVersions.joined(separator: ", ")) (CycloneDX JSON)")
        }
        guard case .object(let metadata)? = root["metadata"], case .object(let application)? = metadata["component"]
        else {
            fail(Self.componentPointer, "missing: the application the BOM describes is its deployment")
            try problems.check()
            throw .conflict("\(file): \(Self.componentPointer): missing")
        }
        let properties = Self.properties(application, at: Self.componentPointer, fail: fail)
        let name = application["name"]?.text
        var id: Slug?
        if let (text, pointer) = properties["custody:deployment"] {
            do { id = try Slug(text, what: "deployment id") } catch { fail(pointer, error.message) }
        } else if let slug = (application["bom-ref"]?.text).flatMap(Self.slug) ?? name.flatMap(Self.slug) {
            id = slug
        } else {
            fail(Self.componentPointer, "no deployment id: give the property custody:deployment, a bom-ref or a name")
        }
        let description = application["description"]?.text
        let workload = (description?.isEmpty == false ? description : name) ?? ""
        if workload.isEmpty { fail(Self.componentPointer, "no workload: give a description or a name") }
        var criticality = Criticality.medium
        if let (text, pointer) = properties["custody:criticality"] {
            do { criticality = try Criticality.parse(text) } catch { fail(pointer, error.message) }
        }
        var models: [ModelReference] = []
        Self.collectModels(root["components"], at: "/components", into: &models, fail: fail)
        if models.isEmpty && problems.isEmpty {
            fail("/components", "no component of type machine-learning-model: the application runs no model")
        }
        try problems.check()
        guard let id else { throw .conflict("\(file): \(Self.componentPointer): no deployment id") }
        self.file = file
        self.application = id
        self.workload = workload
        self.criticality = criticality
        self.models = models
    }

    /// The application's deployments: itself when it runs one model, one per model (`<application>-<model>`)
    /// when it runs several; each model matched by `custody:model`, else its purl, else a name equal to a model id.
    public func deployments(in chain: SupplyChain) throws(CustodyError) -> [Inventory.Deployment] {
        var problems = Problems()
        func fail(_ pointer: String, _ message: String) { problems.add("\(file): \(pointer): \(message)") }
        var matched: [(Slug, String)] = []
        for reference in models {
            guard let model = Self.match(reference, in: chain, fail: fail) else { continue }
            if let earlier = matched.first(where: { $0.0 == model }) {
                fail(reference.pointer, "model '\(model)' is already named at \(earlier.1)")
                continue
            }
            matched.append((model, reference.pointer))
        }
        var deployments: [Inventory.Deployment] = []
        for (model, pointer) in matched {
            let source = Inventory.Source(file: file, pointer: matched.count == 1 ? Self.componentPointer : pointer)
            var id = application
            if matched.count > 1 {
                do { id = try Slug("\(application)-\(model)", what: "deployment id") } catch {
                    fail(pointer, "\(error.message): set custody:deployment to a shorter application id")
                    continue
                }
            }
            deployments.append(
                Inventory.Deployment(id: id, model: model, workload: workload, criticality: criticality, source: source)
            )
        }
        try problems.check()
        return deployments
    }

    private static func match(_ reference: ModelReference, in chain: SupplyChain, fail: (String, String) -> Void)
        -> Slug?
    {
        if let (id, pointer) = reference.model {
            guard chain.model(id) != nil else {
                fail(pointer, "unknown model '\(id)'")
                return nil
            }
            return id
        }
        if let purl = reference.purl {
            let named = chain.models(namedBy: purl)
            guard named.count == 1, let model = named.first else {
                fail(
                    reference.pointer + "/purl",
                    named.isEmpty
                        ? "no registered model has the purl '\(purl)' (record it with `custody model add … --purl`, or set custody:model)"
                        : "the purl '\(purl)' names several models (\(named.map(\.rawValue).joined(separator: ", "))): set custody:model"
                )
                return nil
            }
            return model
        }
        if let name = reference.name, let id = try? Slug(name), chain.model(id) != nil { return id }
        fail(
            reference.pointer + (reference.name == nil ? "" : "/name"),
            "no registered model matches: give the property custody:model, a purl recorded with the model, or a name equal to a model id"
        )
        return nil
    }

    /// Model components anywhere in the component tree (a BOM may nest them under the parts that run them).
    private static func collectModels(
        _ value: JSONValue?, at pointer: String, into models: inout [ModelReference], fail: (String, String) -> Void
    ) {
        guard let value else { return }
        guard case .array(let components) = value else { return fail(pointer, "expected an array of components") }
        for (index, component) in components.enumerated() {
            let here = "\(pointer)/\(index)"
            guard case .object(let fields) = component else {
                fail(here, "expected a component (a JSON object)")
                continue
            }
            if fields["type"]?.text == "machine-learning-model" {
                let properties = Self.properties(fields, at: here, fail: fail)
                var reference = ModelReference(pointer: here, model: nil, purl: nil, name: fields["name"]?.text)
                if let (text, at) = properties["custody:model"] {
                    do { reference.model = (try Slug(text, what: "model id"), at) } catch { fail(at, error.message) }
                }
                if let text = fields["purl"]?.text {
                    do { reference.purl = try PackageURL(text) } catch { fail(here + "/purl", error.message) }
                }
                models.append(reference)
            }
            collectModels(fields["components"], at: here + "/components", into: &models, fail: fail)
        }
    }

    /// A component's `properties` by name, with each value's pointer; a property named twice is a mistake.
    private static func properties(_ component: [String: JSONValue], at pointer: String, fail: (String, String) -> Void)
        -> [String: (String, String)]
    {
        guard let list = component["properties"] else { return [:] }
        guard case .array(let items) = list else {
            fail(pointer + "/properties", "expected an array of {name, value}")
            return [:]
        }
        var found: [String: (String, String)] = [:]
        for (index, item) in items.enumerated() {
            let here = "\(pointer)/properties/\(index)"
            guard case .object(let property) = item, let name = property["name"]?.text else {
                fail(here, "expected {name, value}")
                continue
            }
            guard name.hasPrefix("custody:") else { continue }
            guard let value = property["value"]?.text else {
                fail(here + "/value", "\(name) needs a value")
                continue
            }
            if found[name] != nil {
                fail(here, "\(name) is given twice")
            } else {
                found[name] = (value, here + "/value")
            }
        }
        return found
    }

    /// A name or bom-ref as an id: lower-cased, every run of other characters one '-', at most 64 characters.
    static func slug(_ text: String) -> Slug? {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, out.last != "-" {
                out.append("-")
            }
        }
        while out.last == "-" { out.removeLast() }
        if out.count > 64 {
            out = String(out.prefix(64))
            while out.last == "-" { out.removeLast() }
        }
        return try? Slug(out)
    }
}

extension SupplyChain {
    /// The registered models whose recorded purl names `purl`.
    public func models(namedBy purl: PackageURL) -> [Slug] {
        models.compactMap { id, facts in
            guard let text = facts.last?.value.purl, let recorded = try? PackageURL(text), recorded.names(purl) else {
                return nil
            }
            return id
        }.sorted()
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
