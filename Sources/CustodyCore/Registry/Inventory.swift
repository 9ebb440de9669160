/// An organization's deployments as an inventory file declares them: the desired state.
public struct Inventory: Sendable, Equatable {
    /// One declared deployment and the line of the file it came from.
    public struct Deployment: Sendable, Equatable {
        public var id: Slug
        public var model: Slug
        public var workload: String
        public var criticality: Criticality
        public var line: Int

        public init(id: Slug, model: Slug, workload: String, criticality: Criticality, line: Int) {
            (self.id, self.model, self.workload, self.criticality, self.line) = (id, model, workload, criticality, line)
        }
    }

    public var organization: Slug
    public var deployments: [Deployment]

    public init(organization: Slug, deployments: [Deployment]) { (self.organization, self.deployments) = (organization, deployments) }
}

/// What applying an inventory changes, and the events that record it.
public struct InventoryPlan: Sendable {
    public struct Change: Hashable, Sendable, Codable {
        /// `deploy`, `retire`, `switch` or `update`.
        public var action: String
        public var deployment: Slug
        public var detail: String
        /// The file's line, for what the file declares (retirements have none).
        public var line: Int?
    }

    public var organization: Slug
    public var changes: [Change]
    public var events: [DomainEvent]
}

extension SupplyChain {
    /// The events that turn the organization's active deployments at `time` into what `inventory` declares:
    /// new ones deployed, missing ones retired, changed models switched, changed workloads or criticalities
    /// updated. Empty when the record already matches. Mistakes are refused naming the file's line.
    public func plan(_ inventory: Inventory, at time: Timestamp, file: String) throws(CustodyError) -> InventoryPlan {
        let organization = inventory.organization
        guard self.organization(organization) != nil else { throw .unknown(what: "organization", id: organization.rawValue) }
        var seen: [Slug: Int] = [:]
        var changes: [InventoryPlan.Change] = []
        var events: [DomainEvent] = []
        for declared in inventory.deployments {
            let at = "\(file):\(declared.line): "
            if let first = seen[declared.id] {
                throw .invalidValue(what: at + "deployment", value: declared.id.rawValue, accepted: "each id once (also on line \(first))")
            }
            seen[declared.id] = declared.line
            guard model(declared.model) != nil else { throw .conflict(at + "unknown model '\(declared.model)'") }
            guard deployments[declared.id] != nil else {
                changes.append(.init(action: "deploy", deployment: declared.id, detail: "\(declared.model), \(declared.criticality.rawValue): \(declared.workload)", line: declared.line))
                events.append(.modelDeployed(ModelDeployed(
                    deployment: declared.id, organization: organization, model: declared.model, workload: declared.workload,
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
                changes.append(.init(action: "switch", deployment: declared.id, detail: "\(current.model) → \(declared.model)", line: declared.line))
                events.append(.deploymentSwitched(DeploymentSwitched(deployment: declared.id, model: declared.model)))
            }
            let workload = current.workload.isSameText(as: declared.workload) ? nil : declared.workload
            let criticality = current.criticality == declared.criticality ? nil : declared.criticality
            if workload != nil || criticality != nil {
                let detail = [workload.map { "workload '\(current.workload)' → '\($0)'" },
                              criticality.map { "criticality \(current.criticality.rawValue) → \($0.rawValue)" }].compactMap { $0 }
                changes.append(.init(action: "update", deployment: declared.id, detail: detail.joined(separator: ", "), line: declared.line))
                events.append(.deploymentUpdated(DeploymentUpdated(deployment: declared.id, workload: workload, criticality: criticality)))
            }
        }
        let declared = Set(inventory.deployments.map(\.id))
        for (id, deployed) in activeDeployments(at: time).sorted(by: { $0.key < $1.key })
        where deployed.organization == organization && !declared.contains(id) {
            changes.append(.init(action: "retire", deployment: id, detail: "not in \(file)", line: nil))
            events.append(.deploymentRetired(DeploymentRetired(deployment: id)))
        }
        return InventoryPlan(organization: organization, changes: changes, events: events)
    }
}
