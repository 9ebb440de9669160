/// A response answers an exposure: it may be recorded only where one exists at its time. The rule needs the
/// exposure fold, so it lives beside the fold rather than in `Registry`, and every path that records a response
/// (`custody respond`, an import) asks it here.
extension SupplyChain {
    /// The exposure of `deployment` to `incident` at `time`, which a response answers; refused when there is none.
    public func exposureToAnswer(deployment: Slug, incident: Slug, at time: Timestamp) throws(CustodyError) -> Exposure
    {
        guard hasDeployment(deployment) else { throw .unknown(what: "deployment", id: deployment.rawValue) }
        guard let exposure = unorderedExposures(toIncidents: [incident], among: [deployment], at: time).first else {
            throw .conflict(
                "deployment '\(deployment)' is not exposed to incident '\(incident)' at \(time): nothing to respond to")
        }
        return exposure
    }

    /// Refuses a response where no exposure it could answer exists at `time`: for one deployment, that
    /// deployment's; for a provider, one of the organization's deployments through that provider.
    public func check(_ response: ExposureResponseRecorded, at time: Timestamp) throws(CustodyError) {
        if let deployment = response.deployment {
            let exposure = try exposureToAnswer(deployment: deployment, incident: response.incident, at: time)
            guard exposure.organization == response.organization else {
                throw .conflict(
                    "deployment '\(deployment)' belongs to organization '\(exposure.organization)', not '\(response.organization)'"
                )
            }
            return
        }
        let exposed = unorderedExposures(
            toIncidents: [response.incident], among: deploymentsByOrganization[response.organization] ?? [], at: time)
        guard let provider = response.provider,
            exposed.contains(where: { $0.provider == provider && $0.organization == response.organization })
        else {
            throw .conflict(
                "organization '\(response.organization)' has no deployment exposed to incident '\(response.incident)' through provider '\(response.provider?.rawValue ?? "?")' at \(time): nothing to respond to"
            )
        }
    }
}
