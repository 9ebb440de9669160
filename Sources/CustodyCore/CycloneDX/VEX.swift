/// An organization's exposure as a CycloneDX 1.6 VEX document (docs/cyclonedx.md): its deployed models as
/// components, and for each incident that reaches them vulnerability entries whose analysis is the organization's
/// response, or what the exposure's status says while nobody has answered.
///
/// One incident may reach several deployments that were answered differently, while CycloneDX gives one analysis
/// per vulnerability entry: the incident then has one entry per distinct analysis, each with the same `id` and
/// its own `bom-ref` (`incident/ID/2`, …), and `affects` lists exactly the deployments that analysis covers.
public enum VEX {
    /// The media type a VEX document is served as.
    public static let mediaType = "application/vnd.cyclonedx+json; version=1.6"

    /// The document, or nil when the organization is unknown at that moment. Pure: the same fold and clocks give
    /// the same bytes, serial number included (a name-based UUID of the rest of the document).
    public static func document(
        organization: Slug, in chain: SupplyChain, asOf: Timestamp, knownAt: Timestamp?
    ) -> JSONValue? {
        guard let profile = chain.organization(organization) else { return nil }
        let deployed = chain.activeDeployments(at: asOf).filter { $0.value.organization == organization }
        var components: [JSONValue] = []
        for (id, deployment) in deployed.sorted(by: { $0.key < $1.key }) {
            components.append(
                CycloneDX.modelComponent(
                    ref: deploymentRef(id), deployment: id, running: deployment, in: chain, describing: true))
        }
        var findings: [Slug: [Slug: Analysis]] = [:]
        for exposure in chain.exposures(of: organization, at: asOf) {
            findings[exposure.incident, default: [:]][exposure.deployment] = Analysis(exposure)
        }
        for (incident, switched) in chain.switchedAway(organization: organization, at: asOf) {
            for (deployment, analysis) in switched where findings[incident]?[deployment] == nil {
                findings[incident, default: [:]][deployment] = analysis
            }
        }
        var vulnerabilities: [JSONValue] = []
        for incident in findings.keys.sorted() {
            guard let breach = chain.breach(incident, at: asOf), let analyses = findings[incident] else { continue }
            let groups = Dictionary(grouping: analyses, by: \.value).map { ($0.key, $0.value.map(\.key).sorted()) }
                .sorted { $0.1[0] < $1.1[0] }
            for (index, (analysis, deployments)) in groups.enumerated() {
                let ref = "incident/\(incident)" + (groups.count > 1 ? "/\(index + 1)" : "")
                vulnerabilities.append(
                    entry(
                        ref: ref, breach: breach, sources: chain.sources(of: incident), in: chain, at: asOf,
                        affects: deployments, analysis: analysis))
            }
        }
        var properties: [(String, String)] = [
            ("custody:organization", organization.rawValue), ("custody:as-of", asOf.description),
        ]
        if let knownAt { properties.append(("custody:known-at", knownAt.description)) }
        let metadata: [String: JSONValue] = [
            "timestamp": .string(asOf.description),
            "tools": .object(["components": .array([.object(["type": "application", "name": "custody"])])]),
            "component": .object([
                "type": "application", "bom-ref": .string("organization/\(organization)"),
                "name": .string(profile.name),
                "description": .string("the deployments of \(profile.name) (\(profile.sector))"),
            ]),
            "properties": CycloneDX.properties(properties),
        ]
        return CycloneDX.bom([
            "metadata": .object(metadata), "components": .array(components), "vulnerabilities": .array(vulnerabilities),
        ])
    }

    static func deploymentRef(_ id: Slug) -> String { "deployment/\(id)" }

    private static func entry(
        ref: String, breach: SupplyChain.Breach, sources: [String], in chain: SupplyChain, at time: Timestamp,
        affects: [Slug], analysis: Analysis
    ) -> JSONValue {
        let vendor = chain.vendorName(breach.vendor) ?? breach.vendor.rawValue
        var facts = ["breach of vendor \(vendor) (\(breach.vendor)) at \(breach.occurredAt)"]
        if let disclosed = breach.disclosedAt { facts.append("disclosed at \(disclosed)") }
        facts.append(
            "data: "
                + (breach.dataKinds.isEmpty
                    ? "kinds unknown (every kind counts)" : breach.dataKinds.map(\.rawValue).joined(separator: ", ")))
        if breach.resolved { facts.append("the incident is resolved") }
        let links = sources.filter(isWebAddress)
        let others = sources.filter { !isWebAddress($0) }
        if !others.isEmpty { facts.append("sources: " + others.joined(separator: "; ")) }
        var fields: [String: JSONValue] = [
            "bom-ref": .string(ref), "id": .string(breach.incident.rawValue),
            "source": .object(
                ["name": .string("\(vendor) (reported in custody)")].merging(
                    links.first.map { ["url": .string($0)] } ?? [:]
                ) { a, _ in a }),
            "ratings": .array([.object(["severity": .string(breach.severity.rawValue), "method": "other"])]),
            "description": .string(breach.summary),
            "detail": .string(facts.joined(separator: "; ")),
            "published": .string((breach.disclosedAt ?? breach.occurredAt).description),
            "affects": .array(affects.map { .object(["ref": .string(deploymentRef($0))]) }),
            "analysis": analysis.json,
            "properties": CycloneDX.properties([
                ("custody:vendor", breach.vendor.rawValue), ("custody:breach-at", breach.occurredAt.description),
                ("custody:data-kinds", breach.dataKinds.map(\.rawValue).joined(separator: ",")),
            ]),
        ]
        if let updated = chain.lastChange(of: breach.incident, at: time) {
            fields["updated"] = .string(updated.description)
        }
        if !links.isEmpty { fields["advisories"] = .array(links.map { .object(["url": .string($0)]) }) }
        return .object(fields)
    }

    private static func isWebAddress(_ text: String) -> Bool {
        (text.hasPrefix("https://") || text.hasPrefix("http://")) && !text.contains(where: { $0 == " " || $0 == "\"" })
    }
}

/// One deployment's analysis of one incident in CycloneDX's terms, by the mapping table of docs/cyclonedx.md.
struct Analysis: Hashable, Sendable {
    var state: String
    var justification: String?
    var response: [String]
    var detail: String
    var firstIssued: Timestamp?

    /// The organization's response when there is one; otherwise what the exposure's status says.
    init(_ exposure: Exposure) {
        let status =
            "exposure through \(exposure.provider)/\(exposure.model): \(exposure.status.rawValue)"
            + (exposure.paused ? ", provider paused the vendor" : "") + (exposure.resolved ? ", incident resolved" : "")
        guard let answer = exposure.response else {
            justification = exposure.status == .cleared ? "code_not_present" : nil
            response = []
            firstIssued = nil
            switch exposure.status {
            case .cleared: state = "not_affected"
            case _ where exposure.resolved: state = "resolved"
            case .confirmed: state = "exploitable"
            case .potential, .investigating, .inconclusive: state = "in_triage"
            }
            detail = "no response yet; " + status
            return
        }
        (state, justification, response) = Self.mapped(answer)
        firstIssued = answer.since
        var said =
            "\(answer.state.rawValue)" + (answer.justification.map { " (\($0.rawValue))" } ?? "")
            + " by \(answer.owner) since \(answer.since), for "
            + (answer.scope == "provider" ? "every deployment on the provider" : "this deployment")
        if let note = answer.note { said += ": \(note)" }
        if let review = answer.reviewBy { said += "; review by \(review)" }
        detail = said + "; " + status
    }

    init(state: String, justification: String?, response: [String], detail: String, firstIssued: Timestamp?) {
        (self.state, self.justification, self.response, self.detail, self.firstIssued) = (
            state, justification, response, detail, firstIssued
        )
    }

    /// A deployment that ran an exposed model and switched to another: resolved by the update, unless the
    /// exposure had already been found not to affect it (cleared, or answered not-affected), which stays so.
    static func switched(from exposure: Exposure, to model: Slug, at time: Timestamp) -> Analysis {
        let switched = "switched from \(exposure.model) to \(model) at \(time)"
        if exposure.status == .cleared || exposure.response?.state == .notAffected {
            var analysis = Analysis(exposure)
            analysis.detail += "; since \(switched)"
            return analysis
        }
        return Analysis(
            state: "resolved", justification: nil, response: ["update"],
            detail: switched + "; was exposed through \(exposure.provider): \(exposure.status.rawValue)"
                + (exposure.response.map { ", answered \($0.state.rawValue) by \($0.owner)" } ?? ""),
            firstIssued: time)
    }

    static func mapped(_ answer: ExposureResponse) -> (String, String?, [String]) {
        switch answer.state {
        case .notAffected:
            return (
                "not_affected",
                answer.justification == .noSensitiveWorkload ? "requires_environment" : "code_not_present", []
            )
        case .acknowledged: return ("in_triage", nil, [])
        case .mitigating: return ("exploitable", nil, ["workaround_available"])
        case .mitigated: return ("resolved", nil, ["workaround_available"])
        case .riskAccepted: return ("exploitable", nil, ["will_not_fix"])
        }
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = ["state": .string(state), "detail": .string(detail)]
        if let justification { fields["justification"] = .string(justification) }
        if !response.isEmpty { fields["response"] = .array(response.map(JSONValue.string)) }
        if let firstIssued {
            fields["firstIssued"] = .string(firstIssued.description)
            fields["lastUpdated"] = .string(firstIssued.description)
        }
        return .object(fields)
    }
}

extension SupplyChain {
    /// By incident, the organization's deployments active at `time` that ran a model exposed to it and switched
    /// to another model afterwards (so they are no longer exposed through it), with their analysis.
    func switchedAway(organization: Slug, at time: Timestamp) -> [Slug: [Slug: Analysis]] {
        var found: [Slug: [Slug: Analysis]] = [:]
        for id in (deploymentsByOrganization[organization] ?? []).sorted() {
            guard let facts = deployments[id], let now = activeDeployment(id, at: time) else { continue }
            for change in facts.switches.upTo(time) {
                let before = Timestamp(microseconds: change.stamp.occurredAt.microseconds - 1)
                for exposure in exposures(toIncidents: incidentIds, among: [id], at: before)
                where exposure.model != now.value.model {
                    found[exposure.incident, default: [:]][id] = Analysis.switched(
                        from: exposure, to: now.value.model, at: change.stamp.occurredAt)
                }
            }
        }
        return found
    }

    /// A breach's sources as reported.
    func sources(of incident: Slug) -> [String] { incidents[incident]?.reports.last?.value.sources ?? [] }

    func vendorName(_ id: Slug) -> String? { vendors[id]?.last?.value }

    /// The latest correction or resolution of an incident by `time`, when there is one.
    func lastChange(of incident: Slug, at time: Timestamp) -> Timestamp? {
        guard let facts = incidents[incident] else { return nil }
        return [
            facts.revisions.latest(at: time)?.stamp.occurredAt, facts.resolutions.latest(at: time)?.stamp.occurredAt,
        ]
        .compactMap { $0 }.max()
    }
}
