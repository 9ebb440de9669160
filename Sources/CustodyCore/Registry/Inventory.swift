/// An organization's deployments as its inventory files declare them: the desired state.
public struct Inventory: Sendable, Equatable {
    /// Where a declaration is: a file and its line (YAML, CSV) or JSON pointer (a CycloneDX BOM).
    public struct Source: Hashable, Sendable, CustomStringConvertible {
        /// The file, as given.
        public var file: String
        /// The line, for YAML and CSV.
        public var line: Int?
        /// The JSON pointer, for a CycloneDX BOM.
        public var pointer: String?

        /// A place in a file.
        public init(file: String, line: Int? = nil, pointer: String? = nil) {
            (self.file, self.line, self.pointer) = (file, line, pointer)
        }

        /// `file:line`, `file: pointer`, or the file alone.
        public var description: String {
            if let line { return "\(file):\(line)" }
            return pointer.map { "\(file): \($0)" } ?? file
        }
    }

    /// One declared deployment and where it was declared.
    public struct Deployment: Sendable, Equatable {
        /// The deployment's id.
        public var id: Slug
        /// The model it declares.
        public var model: Slug
        /// Its workload.
        public var workload: String
        /// Its criticality.
        public var criticality: Criticality
        /// Where it is declared.
        public var source: Source

        /// A declared deployment.
        public init(id: Slug, model: Slug, workload: String, criticality: Criticality, source: Source) {
            (self.id, self.model, self.workload, self.criticality, self.source) = (
                id, model, workload, criticality, source
            )
        }
    }

    /// The organization whose inventory this is.
    public var organization: Slug
    /// Its declared deployments: any active one missing is retired by `apply`.
    public var deployments: [Deployment]

    /// An organization's declared deployments.
    public init(organization: Slug, deployments: [Deployment]) {
        (self.organization, self.deployments) = (organization, deployments)
    }
}

/// What applying an inventory changes, and the events that record it.
public struct InventoryPlan: Sendable {
    /// One deployment's change in the plan, as `custody inventory apply` prints it.
    public struct Change: Hashable, Sendable, Codable {
        /// `deploy`, `retire`, `switch` or `update`.
        public var action: String
        /// The deployment changed.
        public var deployment: Slug
        /// What changes, in words.
        public var detail: String
        /// Where the change was declared (retirements have no place: they are what no file declares).
        public var file: String?
        /// The line, for YAML and CSV.
        public var line: Int?
        /// The JSON pointer, for a CycloneDX BOM.
        public var pointer: String?

        init(action: String, deployment: Slug, detail: String, source: Inventory.Source?) {
            (self.action, self.deployment, self.detail) = (action, deployment, detail)
            (file, line, pointer) = (source?.file, source?.line, source?.pointer)
        }
    }

    /// The organization the plan is for.
    public var organization: Slug
    /// The changes, as printed.
    public var changes: [Change]
    /// The events that record them, in order; empty when nothing changes.
    public var events: [DomainEvent]
}

extension SupplyChain {
    /// The events that turn the organization's active deployments at `time` into what `inventory` declares:
    /// new ones deployed, missing ones retired, changed models switched, changed workloads or criticalities
    /// updated. Empty when the record already matches. Mistakes are refused naming where they were declared;
    /// `file` names the inventory in a retirement's detail.
    public func plan(_ inventory: Inventory, at time: Timestamp, file: String) throws(CustodyError) -> InventoryPlan {
        let organization = inventory.organization
        guard self.organization(organization) != nil else {
            throw .unknown(what: "organization", id: organization.rawValue)
        }
        var seen: [Slug: Inventory.Source] = [:]
        var changes: [InventoryPlan.Change] = []
        var events: [DomainEvent] = []
        for declared in inventory.deployments {
            let at = "\(declared.source): "
            if let first = seen[declared.id] {
                let also =
                    first.file == declared.source.file && first.line != nil
                    ? "on line \(first.line ?? 0)" : "at \(first)"
                throw .invalidValue(
                    what: at + "deployment", value: declared.id.rawValue, accepted: "each id once (also \(also))")
            }
            seen[declared.id] = declared.source
            guard model(declared.model) != nil else { throw .conflict(at + "unknown model '\(declared.model)'") }
            guard deployments[declared.id] != nil else {
                changes.append(
                    .init(
                        action: "deploy", deployment: declared.id,
                        detail: "\(declared.model), \(declared.criticality.rawValue): \(declared.workload)",
                        source: declared.source))
                events.append(
                    .modelDeployed(
                        ModelDeployed(
                            deployment: declared.id, organization: organization, model: declared.model,
                            workload: declared.workload,
                            criticality: declared.criticality)))
                continue
            }
            if let owner = self.organization(ofDeployment: declared.id), owner != organization {
                throw .conflict(at + "deployment '\(declared.id)' belongs to organization '\(owner)'")
            }
            guard let current = activeDeployment(declared.id, at: time)?.value else {
                throw .conflict(at + "deployment '\(declared.id)' was retired; declare the workload under a new id")
            }
            if current.model != declared.model {
                changes.append(
                    .init(
                        action: "switch", deployment: declared.id, detail: "\(current.model) → \(declared.model)",
                        source: declared.source))
                events.append(.deploymentSwitched(DeploymentSwitched(deployment: declared.id, model: declared.model)))
            }
            let workload = current.workload.isSameText(as: declared.workload) ? nil : declared.workload
            let criticality = current.criticality == declared.criticality ? nil : declared.criticality
            if workload != nil || criticality != nil {
                let detail = [
                    workload.map { "workload '\(current.workload)' → '\($0)'" },
                    criticality.map { "criticality \(current.criticality.rawValue) → \($0.rawValue)" },
                ].compactMap { $0 }
                changes.append(
                    .init(
                        action: "update", deployment: declared.id, detail: detail.joined(separator: ", "),
                        source: declared.source))
                events.append(
                    .deploymentUpdated(
                        DeploymentUpdated(deployment: declared.id, workload: workload, criticality: criticality)))
            }
        }
        let declared = Set(inventory.deployments.map(\.id))
        for (id, deployed) in activeDeployments(at: time).sorted(by: { $0.key < $1.key })
        where deployed.organization == organization && !declared.contains(id) {
            changes.append(.init(action: "retire", deployment: id, detail: "not in \(file)", source: nil))
            events.append(.deploymentRetired(DeploymentRetired(deployment: id)))
        }
        return InventoryPlan(organization: organization, changes: changes, events: events)
    }
}
