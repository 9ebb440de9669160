import Foundation

/// The rules a new fact must satisfy against the current record before it is appended.
extension Registry {
    /// Longest text a field may hold: long enough for any summary, short enough to keep rows and pages sane.
    public static let maximumTextLength = 1 << 20
    /// Longest field name, and longest metadata (who recorded a fact, from where, correlation ids) as JSON text.
    public static let maximumKeyLength = 256
    /// The longest metadata accepted, in bytes of its JSON.
    public static let maximumMetadataLength = 64 << 10

    /// Metadata is checked like data, and kept small: it says who recorded a fact, not what happened.
    public static func checkMetadata(_ metadata: EventMetadata) throws(CustodyError) {
        let json = metadata.json
        try checkTexts(in: json)
        // Names and ids are one line each: a control character in them is a forged or broken line in a log viewer.
        if case .object(let members) = json {
            for (key, value) in members {
                guard case .string(let text) = value else { continue }
                guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                    throw .invalidValue(
                        what: "metadata \(key)", value: String(text.prefix(40)),
                        accepted: "text without control characters")
                }
            }
        }
        let length = json.jsonbText.utf8.count
        guard length <= maximumMetadataLength else {
            throw .invalidValue(
                what: "metadata", value: String(json.jsonbText.prefix(40)),
                accepted: "at most \(maximumMetadataLength) bytes (this has \(length))")
        }
    }

    /// Refuses a fact that names unknown things, contradicts the record, or could not have happened at `time`
    /// given the timelines it depends on (docs/rules.md), with one line naming the bad value, or both facts and
    /// both times.
    public func check(_ event: DomainEvent, at time: Timestamp) throws(CustodyError) {
        try Self.checkTexts(of: event)
        guard Timestamp.representable.contains(time) else {
            throw .invalidValue(what: "time", value: time.description, accepted: "a time in the years 1 to 9999 (UTC)")
        }
        switch event {
        case .vendorRegistered(let e):
            try absent(vendors[e.vendor] != nil, "vendor", e.vendor)
        case .providerRegistered(let e):
            try absent(providers[e.provider] != nil, "provider", e.provider)
        case .modelRegistered(let e):
            try absent(models[e.model] != nil, "model", e.model)
            if let purl = e.purl { _ = try PackageURL(purl) }
            try Self.notBefore(
                try provider(e.provider), "provider '\(e.provider)' was registered", time,
                "model '\(e.model)' cannot be registered")
        case .supplyLinkRecorded(let e):
            let link = "a supply link from vendor '\(e.vendor)' to provider '\(e.provider)' cannot begin"
            try Self.notBefore(try vendor(e.vendor), "vendor '\(e.vendor)' was registered", time, link)
            try Self.notBefore(try provider(e.provider), "provider '\(e.provider)' was registered", time, link)
            guard !e.dataKinds.isEmpty else {
                throw .invalidValue(
                    what: "data kinds", value: "",
                    accepted: "at least one of " + DataKind.accepted)
            }
            for model in e.models {
                guard let known = models[model] else { throw .unknown(what: "model", id: model.rawValue) }
                guard known.provider == e.provider else {
                    throw .conflict("model '\(model)' belongs to provider '\(known.provider)', not '\(e.provider)'")
                }
                try Self.notBefore(known.registeredAt, "model '\(model)' was registered", time, link + " with it")
            }
            guard !isSupplying(vendor: e.vendor, provider: e.provider) else {
                throw .conflict("vendor '\(e.vendor)' already supplies provider '\(e.provider)'; end that link first")
            }
            if let ended = supplyLinks[Pair(first: e.vendor, second: e.provider)]?.to {
                try Self.notBefore(
                    ended, "the previous supply link from vendor '\(e.vendor)' to provider '\(e.provider)' ended", time,
                    "a new one cannot begin")
            }
        case .supplyLinkEnded(let e):
            guard let link = supplyLinks[Pair(first: e.vendor, second: e.provider)], link.to == nil else {
                throw .conflict("vendor '\(e.vendor)' has no open supply link to provider '\(e.provider)'")
            }
            try Self.notBefore(
                link.from, "the supply link from vendor '\(e.vendor)' to provider '\(e.provider)' began", time,
                "it cannot end")
        case .organizationRegistered(let e):
            try absent(organizations[e.organization] != nil, "organization", e.organization)
            guard e.organization.rawValue != AccessScope.admin.description else {
                throw .invalidValue(
                    what: "organization id", value: e.organization.rawValue,
                    accepted: "another id: 'admin' names the admin scope in token listings and the access log")
            }
        case .modelDeployed(let e):
            try absent(deployments[e.deployment] != nil, "deployment", e.deployment)
            guard let registered = organizations[e.organization] else {
                throw .unknown(what: "organization", id: e.organization.rawValue)
            }
            guard let model = models[e.model] else { throw .unknown(what: "model", id: e.model.rawValue) }
            try Self.notBefore(
                registered, "organization '\(e.organization)' was registered", time,
                "deployment '\(e.deployment)' cannot be made")
            try Self.notBefore(
                model.registeredAt, "model '\(e.model)' was registered", time,
                "deployment '\(e.deployment)' cannot run it")
        case .deploymentRetired(let e):
            guard let deployment = deployments[e.deployment] else {
                throw .unknown(what: "deployment", id: e.deployment.rawValue)
            }
            guard !deployment.retired else { throw .conflict("deployment '\(e.deployment)' is already retired") }
            try Self.notBefore(
                deployment.deployedAt, "deployment '\(e.deployment)' was made", time, "it cannot be retired")
            try Self.notBefore(
                deployment.changedAt, "deployment '\(e.deployment)' was last switched or updated", time,
                "it cannot be retired")
        case .breachReported(let e):
            try absent(incidents[e.incident] != nil, "incident", e.incident)
            _ = try vendor(e.vendor)
            for provider in e.providers { _ = try self.provider(provider) }
        case .breachScopeRevised(let e):
            _ = try standingIncident(e.incident)
            for provider in e.providers ?? [] { _ = try self.provider(provider) }
            guard e.dataKinds != nil || e.providers != nil || e.severity != nil else {
                throw .conflict("a revision must change the data kinds, the providers or the severity")
            }
        case .vendorPaused(let e):
            _ = try provider(e.provider)
            _ = try vendor(e.vendor)
            if let incident = e.incident {
                try Self.notBefore(
                    try standingIncident(incident).breachAt, "breach '\(incident)' happened", time,
                    "a pause because of it cannot begin")
            }
            guard !isPaused(provider: e.provider, vendor: e.vendor) else {
                throw .conflict("provider '\(e.provider)' has already paused vendor '\(e.vendor)'")
            }
            for pause in pauses[Pair(first: e.provider, second: e.vendor)] ?? []
            where pause.from <= time && time < (pause.to ?? time) {
                throw .conflict(
                    "provider '\(e.provider)' paused vendor '\(e.vendor)' from \(pause.from) to \(pause.to ?? time); it cannot pause it again at \(time)"
                )
            }
        case .vendorResumed(let e):
            let pauses = self.pauses[Pair(first: e.provider, second: e.vendor)] ?? []
            guard let open = pauses.last, open.to == nil else {
                throw .conflict("provider '\(e.provider)' has not paused vendor '\(e.vendor)'")
            }
            try Self.notBefore(
                open.from, "provider '\(e.provider)' paused vendor '\(e.vendor)'", time, "it cannot resume")
            if let later = pauses.dropLast().filter({ $0.from > open.from && $0.from <= time }).map(\.from).min() {
                throw .conflict(
                    "provider '\(e.provider)' paused vendor '\(e.vendor)' again at \(later); the pause from \(open.from) must end before it, not at \(time)"
                )
            }
        case .investigationOpened(let e):
            try absent(investigations[e.investigation] != nil, "investigation", e.investigation)
            let incident = try standingIncident(e.incident)
            _ = try provider(e.provider)
            try Self.notBefore(
                incident.breachAt, "breach '\(e.incident)' happened", time,
                "investigation '\(e.investigation)' cannot be opened")
        case .investigationFindingRecorded(let e):
            let investigation = try openInvestigation(e.investigation)
            try Self.notBefore(
                investigation.openedAt, "investigation '\(e.investigation)' was opened", time,
                "a finding in it cannot be recorded")
        case .investigationClosed(let e):
            let investigation = try openInvestigation(e.investigation)
            try Self.notBefore(
                investigation.openedAt, "investigation '\(e.investigation)' was opened", time, "it cannot be closed")
            if let finding = investigation.lastFindingAt {
                try Self.notBefore(
                    finding, "investigation '\(e.investigation)' has a finding", time, "it cannot be closed")
            }
        case .incidentResolved(let e):
            let incident = try standingIncident(e.incident)
            guard !incident.resolved else { throw .conflict("incident '\(e.incident)' is already resolved") }
            try Self.notBefore(incident.breachAt, "breach '\(e.incident)' happened", time, "it cannot be resolved")
        case .incidentRetracted(let e):
            _ = try standingIncident(e.incident)
        case .exposureResponseRecorded(let e):
            try check(e)
            try Self.notBefore(
                try standingIncident(e.incident).breachAt, "breach '\(e.incident)' happened", time,
                "a response to it cannot be recorded")
        case .deploymentSwitched(let e):
            let deployment = try activeDeployment(e.deployment)
            guard let model = models[e.model] else { throw .unknown(what: "model", id: e.model.rawValue) }
            guard deployment.model != e.model else {
                throw .conflict("deployment '\(e.deployment)' already runs model '\(e.model)'")
            }
            try Self.notBefore(
                deployment.deployedAt, "deployment '\(e.deployment)' was made", time, "it cannot be switched")
            try Self.notBefore(
                model.registeredAt, "model '\(e.model)' was registered", time,
                "deployment '\(e.deployment)' cannot switch to it")
        case .deploymentUpdated(let e):
            let deployment = try activeDeployment(e.deployment)
            guard e.workload != nil || e.criticality != nil else {
                throw .conflict("an update must change the workload or the criticality")
            }
            try Self.notBefore(
                deployment.deployedAt, "deployment '\(e.deployment)' was made", time, "it cannot be updated")
        case .supplyLinkRetracted(let e):
            guard wasRecorded(vendor: e.vendor, provider: e.provider) else {
                throw .conflict("no supply link from vendor '\(e.vendor)' to provider '\(e.provider)' is recorded")
            }
            guard !e.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .invalidValue(what: "reason", value: e.reason, accepted: "why the link was recorded by mistake")
            }
        case .webhookSubscribed(let e):
            try absent(webhooks[e.subscription] != nil, "webhook subscription", e.subscription)
            try Self.notBefore(
                try organization(e.organization), "organization '\(e.organization)' was registered", time,
                "webhook '\(e.subscription)' cannot subscribe")
            try WebhookDestination.check(e.url)
            let known = ExposureMessageType.subscribable.map(\.rawValue)
            for message in e.messages where !known.contains(message) {
                throw .invalidValue(what: "message type", value: message, accepted: known.joined(separator: ", "))
            }
            if let seconds = e.overdueAfterSeconds, seconds <= 0 {
                throw .invalidValue(what: "overdue after", value: "\(seconds)s", accepted: "a positive duration")
            }
        case .webhookRemoved(let e):
            guard let webhook = webhooks[e.subscription] else {
                throw .unknown(what: "webhook subscription", id: e.subscription.rawValue)
            }
            guard !webhook.removed else {
                throw .conflict("webhook subscription '\(e.subscription)' is already removed")
            }
        }
    }

    /// Refuses `time` before `earlier`, naming the fact that happened then: "investigation 'x' was opened at …; it
    /// cannot be closed at …".
    static func notBefore(_ earlier: Timestamp, _ fact: String, _ time: Timestamp, _ refused: String)
        throws(CustodyError)
    {
        guard time >= earlier else { throw .conflict("\(fact) at \(earlier); \(refused) at \(time)") }
    }

    private func check(_ e: ExposureResponseRecorded) throws(CustodyError) {
        guard organizations[e.organization] != nil else {
            throw .unknown(what: "organization", id: e.organization.rawValue)
        }
        _ = try standingIncident(e.incident)
        switch (e.deployment, e.provider) {
        case (let deployment?, nil):
            guard let known = deployments[deployment] else {
                throw .unknown(what: "deployment", id: deployment.rawValue)
            }
            guard known.organization == e.organization else {
                throw .conflict(
                    "deployment '\(deployment)' belongs to organization '\(known.organization)', not '\(e.organization)'"
                )
            }
        case (nil, let provider?):
            _ = try self.provider(provider)
        default:
            throw .conflict("a response is for one deployment or (with --scope provider) for one provider, not both")
        }
        guard !e.owner.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .invalidValue(what: "owner", value: e.owner, accepted: "the person or team who owns the response")
        }
        switch e.state {
        case .notAffected:
            guard e.justification != nil else {
                throw .conflict(
                    "the state not-affected needs a justification (--justification): one of "
                        + NotAffectedJustification.accepted)
            }
        default:
            guard e.justification == nil else {
                throw .conflict("a justification goes only with the state not-affected")
            }
        }
        if e.reviewBy != nil, e.state != .riskAccepted {
            throw .conflict("a review date goes only with the state risk-accepted")
        }
    }

    private func activeDeployment(_ id: Slug) throws(CustodyError) -> Deployment {
        guard let deployment = deployments[id] else { throw .unknown(what: "deployment", id: id.rawValue) }
        guard !deployment.retired else { throw .conflict("deployment '\(id)' is retired") }
        return deployment
    }

    private func absent(_ exists: Bool, _ what: String, _ id: Slug) throws(CustodyError) {
        if exists { throw .conflict("\(what) '\(id)' is already registered") }
    }

    /// When a registered vendor was registered.
    private func vendor(_ id: Slug) throws(CustodyError) -> Timestamp {
        guard let registered = vendors[id] else { throw .unknown(what: "vendor", id: id.rawValue) }
        return registered
    }

    /// When a registered provider was registered.
    private func provider(_ id: Slug) throws(CustodyError) -> Timestamp {
        guard let registered = providers[id] else { throw .unknown(what: "provider", id: id.rawValue) }
        return registered
    }

    /// When a registered organization was registered.
    private func organization(_ id: Slug) throws(CustodyError) -> Timestamp {
        guard let registered = organizations[id] else { throw .unknown(what: "organization", id: id.rawValue) }
        return registered
    }

    private func standingIncident(_ id: Slug) throws(CustodyError) -> Incident {
        guard let incident = incidents[id] else { throw .unknown(what: "incident", id: id.rawValue) }
        guard !incident.retracted else { throw .conflict("incident '\(id)' was retracted") }
        return incident
    }

    private func openInvestigation(_ id: Slug) throws(CustodyError) -> Investigation {
        guard let investigation = investigations[id] else { throw .unknown(what: "investigation", id: id.rawValue) }
        guard investigation.open else { throw .conflict("investigation '\(id)' is not open (it was closed)") }
        return investigation
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
                for (key, value) in members {
                    guard key.utf8.count <= maximumKeyLength, !key.unicodeScalars.contains(where: { $0.value < 0x20 })
                    else {
                        throw .invalidValue(
                            what: "field name", value: String(key.prefix(40)),
                            accepted: "at most \(maximumKeyLength) bytes without control characters")
                    }
                    try walk(value, key)
                }
            case .null, .bool, .integer, .number:
                break
            }
        }
        try walk(data, "field")
    }
}
