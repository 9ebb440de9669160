import Foundation

/// The rules a new fact must satisfy against the current record before it is appended.
extension Registry {
    /// Longest text a field may hold: long enough for any summary, short enough to keep rows and pages sane.
    public static let maximumTextLength = 1 << 20

    /// Refuses a fact that names unknown things or contradicts the record, with one line naming the bad value.
    public func check(_ event: DomainEvent) throws(CustodyError) {
        try Self.checkTexts(of: event)
        switch event {
        case .vendorRegistered(let e):
            try absent(vendors.contains(e.vendor), "vendor", e.vendor)
        case .providerRegistered(let e):
            try absent(providers.contains(e.provider), "provider", e.provider)
        case .modelRegistered(let e):
            try absent(models[e.model] != nil, "model", e.model)
            try requireProvider(e.provider)
        case .supplyLinkRecorded(let e):
            try requireVendor(e.vendor)
            try requireProvider(e.provider)
            guard !e.dataKinds.isEmpty else {
                throw .invalidValue(what: "data kinds", value: "", accepted: "at least one of " + DataKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            for model in e.models {
                guard let known = models[model] else { throw .unknown(what: "model", id: model.rawValue) }
                guard known.provider == e.provider else {
                    throw .conflict("model '\(model)' belongs to provider '\(known.provider)', not '\(e.provider)'")
                }
            }
            guard !isSupplying(vendor: e.vendor, provider: e.provider) else {
                throw .conflict("vendor '\(e.vendor)' already supplies provider '\(e.provider)'; end that link first")
            }
        case .supplyLinkEnded(let e):
            guard isSupplying(vendor: e.vendor, provider: e.provider) else {
                throw .conflict("vendor '\(e.vendor)' has no open supply link to provider '\(e.provider)'")
            }
        case .organizationRegistered(let e):
            try absent(organizations.contains(e.organization), "organization", e.organization)
        case .modelDeployed(let e):
            try absent(deployments[e.deployment] != nil, "deployment", e.deployment)
            guard organizations.contains(e.organization) else {
                throw .unknown(what: "organization", id: e.organization.rawValue)
            }
            guard models[e.model] != nil else { throw .unknown(what: "model", id: e.model.rawValue) }
        case .deploymentRetired(let e):
            guard let deployment = deployments[e.deployment] else {
                throw .unknown(what: "deployment", id: e.deployment.rawValue)
            }
            guard !deployment.retired else { throw .conflict("deployment '\(e.deployment)' is already retired") }
        case .breachReported(let e):
            try absent(incidents[e.incident] != nil, "incident", e.incident)
            try requireVendor(e.vendor)
            for provider in e.providers { try requireProvider(provider) }
        case .breachScopeRevised(let e):
            _ = try standingIncident(e.incident)
            for provider in e.providers ?? [] { try requireProvider(provider) }
            guard e.dataKinds != nil || e.providers != nil || e.severity != nil else {
                throw .conflict("a revision must change the data kinds, the providers or the severity")
            }
        case .vendorPaused(let e):
            try requireProvider(e.provider)
            try requireVendor(e.vendor)
            if let incident = e.incident { _ = try standingIncident(incident) }
            guard !isPaused(provider: e.provider, vendor: e.vendor) else {
                throw .conflict("provider '\(e.provider)' has already paused vendor '\(e.vendor)'")
            }
        case .vendorResumed(let e):
            guard isPaused(provider: e.provider, vendor: e.vendor) else {
                throw .conflict("provider '\(e.provider)' has not paused vendor '\(e.vendor)'")
            }
        case .investigationOpened(let e):
            try absent(investigations[e.investigation] != nil, "investigation", e.investigation)
            _ = try standingIncident(e.incident)
            try requireProvider(e.provider)
        case .investigationFindingRecorded(let e):
            try requireOpenInvestigation(e.investigation)
        case .investigationClosed(let e):
            try requireOpenInvestigation(e.investigation)
        case .incidentResolved(let e):
            let incident = try standingIncident(e.incident)
            guard !incident.resolved else { throw .conflict("incident '\(e.incident)' is already resolved") }
        case .incidentRetracted(let e):
            _ = try standingIncident(e.incident)
        case .exposureResponseRecorded(let e):
            try check(e)
        case .deploymentSwitched(let e):
            let deployment = try activeDeployment(e.deployment)
            guard models[e.model] != nil else { throw .unknown(what: "model", id: e.model.rawValue) }
            guard deployment.model != e.model else { throw .conflict("deployment '\(e.deployment)' already runs model '\(e.model)'") }
        case .deploymentUpdated(let e):
            _ = try activeDeployment(e.deployment)
            guard e.workload != nil || e.criticality != nil else {
                throw .conflict("an update must change the workload or the criticality")
            }
        case .supplyLinkRetracted(let e):
            guard wasRecorded(vendor: e.vendor, provider: e.provider) else {
                throw .conflict("no supply link from vendor '\(e.vendor)' to provider '\(e.provider)' is recorded")
            }
            guard !e.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .invalidValue(what: "reason", value: e.reason, accepted: "why the link was recorded by mistake")
            }
        }
    }

    private func check(_ e: ExposureResponseRecorded) throws(CustodyError) {
        guard organizations.contains(e.organization) else { throw .unknown(what: "organization", id: e.organization.rawValue) }
        _ = try standingIncident(e.incident)
        switch (e.deployment, e.provider) {
        case (let deployment?, nil):
            guard let known = deployments[deployment] else { throw .unknown(what: "deployment", id: deployment.rawValue) }
            guard known.organization == e.organization else {
                throw .conflict("deployment '\(deployment)' belongs to organization '\(known.organization)', not '\(e.organization)'")
            }
        case (nil, let provider?):
            try requireProvider(provider)
        default:
            throw .conflict("a response is for one deployment or (with --scope provider) for one provider, not both")
        }
        guard !e.owner.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .invalidValue(what: "owner", value: e.owner, accepted: "the person or team who owns the response")
        }
        switch e.state {
        case .notAffected:
            guard e.justification != nil else {
                throw .invalidValue(
                    what: "justification", value: "", accepted: "with not-affected, one of "
                        + NotAffectedJustification.allCases.map(\.rawValue).joined(separator: ", "))
            }
        default:
            guard e.justification == nil else { throw .conflict("a justification goes only with the state not-affected") }
        }
        if e.reviewBy != nil, e.state != .riskAccepted { throw .conflict("a review date goes only with the state risk-accepted") }
    }

    private func activeDeployment(_ id: Slug) throws(CustodyError) -> Deployment {
        guard let deployment = deployments[id] else { throw .unknown(what: "deployment", id: id.rawValue) }
        guard !deployment.retired else { throw .conflict("deployment '\(id)' is retired") }
        return deployment
    }

    private func absent(_ exists: Bool, _ what: String, _ id: Slug) throws(CustodyError) {
        if exists { throw .conflict("\(what) '\(id)' is already registered") }
    }

    private func requireVendor(_ id: Slug) throws(CustodyError) {
        guard vendors.contains(id) else { throw .unknown(what: "vendor", id: id.rawValue) }
    }

    private func requireProvider(_ id: Slug) throws(CustodyError) {
        guard providers.contains(id) else { throw .unknown(what: "provider", id: id.rawValue) }
    }

    private func standingIncident(_ id: Slug) throws(CustodyError) -> Incident {
        guard let incident = incidents[id] else { throw .unknown(what: "incident", id: id.rawValue) }
        guard !incident.retracted else { throw .conflict("incident '\(id)' was retracted") }
        return incident
    }

    private func requireOpenInvestigation(_ id: Slug) throws(CustodyError) {
        guard let investigation = investigations[id] else { throw .unknown(what: "investigation", id: id.rawValue) }
        guard investigation.open else { throw .conflict("investigation '\(id)' is not open (it was closed)") }
    }

    /// PostgreSQL text cannot hold NUL, and a multi-megabyte field is a mistake, not a summary.
    public static func checkTexts(of event: DomainEvent) throws(CustodyError) {
        try checkTexts(in: event.data)
    }

    /// The same check on an event's data already in hand.
    public static func checkTexts(in data: JSONValue) throws(CustodyError) {
        func walk(_ value: JSONValue, _ path: String) throws(CustodyError) {
            switch value {
            case .string(let text):
                if text.utf8.contains(0) {
                    throw .invalidValue(what: path, value: text, accepted: "text without NUL characters")
                }
                if text.utf8.count > maximumTextLength {
                    throw .invalidValue(
                        what: path, value: String(text.prefix(40)),
                        accepted: "at most \(maximumTextLength) bytes (this one has \(text.utf8.count))")
                }
            case .array(let values):
                for value in values { try walk(value, path) }
            case .object(let members):
                for (key, value) in members { try walk(value, key) }
            case .null, .bool, .integer, .number:
                break
            }
        }
        try walk(data, "field")
    }
}
