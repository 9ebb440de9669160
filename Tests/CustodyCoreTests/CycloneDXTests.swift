import CustodyCore
import Foundation
import Testing

/// CycloneDX in and out, as pure functions: package URLs, application BOMs read into deployments (every mistake
/// named by file and JSON pointer), and the VEX document's mapping of responses and statuses.
@Suite struct CycloneDXTests {
    let slug = LogBuilder.slug
    let time = LogBuilder.time

    // MARK: - Package URLs

    @Test func aPackageURLIsCheckedForItsShapeAndNamesItsReleases() throws {
        let versionless = try PackageURL("pkg:huggingface/meta-llama/Llama-4")
        let release = try PackageURL("pkg:huggingface/meta-llama/Llama-4@5206a32?download_url=x#weights")
        #expect(versionless.names(release), "a purl without a version names every release of the package")
        #expect(!release.names(versionless), "a release names only itself")
        #expect(
            try PackageURL("pkg://HuggingFace/meta-llama/Llama-4").package == versionless.package,
            "type case and pkg:// are the same package")
        #expect(!versionless.names(try PackageURL("pkg:huggingface/meta-llama/Llama-3")))
        for bad in ["huggingface/x", "pkg:x", "pkg:/x", "pkg:1a/x", "pkg:hf/x y", "pkg:hf/@1", ""] {
            #expect(throws: CustodyError.self, "\(bad)") { try PackageURL(bad) }
        }
    }

    @Test func aModelWithAMalformedPurlIsRefusedOnEveryPath() {
        var registry = Registry()
        registry.apply(ProviderRegistered(provider: slug("meta"), name: "Meta").event, at: time("2020-01-01"))
        let event = ModelRegistered(
            model: slug("llama-4"), name: "Llama 4", provider: slug("meta"), openWeights: true, purl: "llama")
        #expect(throws: CustodyError.self) { try registry.check(event.event, at: time("2025-01-01")) }
        var good = event
        good.purl = "pkg:huggingface/meta-llama/Llama-4"
        #expect(throws: Never.self) { try registry.check(good.event, at: time("2025-01-01")) }
    }

    // MARK: - Application BOMs in

    /// The test chain, with purls on two models: llama-4 versionless, gpt-5 one release.
    func chain(extra: [ModelRegistered] = []) -> SupplyChain {
        var log = LogBuilder()
        log.add(ProviderRegistered(provider: slug("openai"), name: "OpenAI"), at: "2015-01-01")
        log.add(ProviderRegistered(provider: slug("meta"), name: "Meta"), at: "2013-01-01")
        log.add(
            ModelRegistered(
                model: slug("gpt-5"), name: "GPT-5", provider: slug("openai"), openWeights: false,
                purl: "pkg:generic/openai/gpt-5@2025-08-07"), at: "2025-08-01")
        log.add(
            ModelRegistered(
                model: slug("llama-4"), name: "Llama 4", provider: slug("meta"), openWeights: true,
                purl: "pkg:huggingface/meta-llama/Llama-4"), at: "2025-04-01")
        log.add(
            ModelRegistered(model: slug("llama-3"), name: "Llama 3", provider: slug("meta"), openWeights: true),
            at: "2024-04-01")
        for model in extra { log.add(model, at: "2025-01-01") }
        return log.chain()
    }

    func bom(
        application: String = #"{"type": "application", "name": "Triage Assistant", "description": "triage notes"}"#,
        components: String
    ) throws -> JSONValue {
        try JSONParser.parse(
            Array(
                #"{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": \#(application)}, "components": \#(components)}"#
                    .utf8))
    }

    func deployments(_ json: JSONValue, in chain: SupplyChain? = nil) throws -> [String] {
        try ApplicationBOM(json, file: "app.json").deployments(in: chain ?? self.chain()).map {
            "\($0.id) \($0.model) \($0.criticality.rawValue) '\($0.workload)' \($0.source)"
        }
    }

    @Test func anApplicationWithOneModelIsOneDeployment() throws {
        let json = try bom(
            application:
                #"{"type": "application", "bom-ref": "urn:app:Triage", "name": "Triage", "description": "triage notes", "properties": [{"name": "custody:deployment", "value": "mh-triage"}, {"name": "custody:criticality", "value": "critical"}, {"name": "other", "value": "x"}]}"#,
            components:
                #"[{"type": "library", "name": "numpy"}, {"type": "machine-learning-model", "name": "Llama 4", "purl": "pkg:huggingface/meta-llama/Llama-4@abc123"}]"#
        )
        #expect(try deployments(json) == ["mh-triage llama-4 critical 'triage notes' app.json: /metadata/component"])
        // Without custody:deployment, the bom-ref as a slug; without one, the name; the workload falls back to the name.
        let byRef = try bom(
            application: #"{"type": "application", "bom-ref": "urn:app:Triage", "name": "Triage"}"#,
            components: #"[{"type": "machine-learning-model", "name": "llama-3"}]"#)
        #expect(try deployments(byRef) == ["urn-app-triage llama-3 medium 'Triage' app.json: /metadata/component"])
        let byName = try bom(
            application: #"{"type": "application", "name": "Triage Assistant"}"#,
            components:
                #"[{"type": "machine-learning-model", "name": "x", "properties": [{"name": "custody:model", "value": "gpt-5"}]}]"#
        )
        #expect(
            try deployments(byName) == [
                "triage-assistant gpt-5 medium 'Triage Assistant' app.json: /metadata/component"
            ])
    }

    @Test func anApplicationWithSeveralModelsIsOneDeploymentPerModel() throws {
        let json = try bom(
            components:
                #"[{"type": "machine-learning-model", "name": "GPT", "purl": "pkg:generic/openai/gpt-5@2025-08-07"}, {"type": "application", "name": "router", "components": [{"type": "machine-learning-model", "name": "llama-3"}]}]"#
        )
        #expect(
            try deployments(json) == [
                "triage-assistant-gpt-5 gpt-5 medium 'triage notes' app.json: /components/0",
                "triage-assistant-llama-3 llama-3 medium 'triage notes' app.json: /components/1/components/0",
            ])
    }

    /// Each mistake names the file and the pointer of the value at fault; all of a file's are reported together.
    @Test func everyMistakeNamesTheFileAndTheJSONPointer() throws {
        func refusal(_ json: JSONValue, chain: SupplyChain? = nil) -> String {
            do {
                _ = try deployments(json, in: chain)
                return "accepted"
            } catch let error as CustodyError { return error.message } catch { return "\(error)" }
        }
        let cases: [(JSONValue, String)] = [
            (
                try JSONParser.parse(
                    Array(
                        #"{"bomFormat": "CycloneDX", "specVersion": "1.4", "metadata": {"component": {"name": "a"}}, "components": [{"type": "machine-learning-model", "name": "gpt-5"}]}"#
                            .utf8)),
                "app.json: /specVersion: expected one of 1.5, 1.6"
            ),
            (
                try JSONParser.parse(
                    Array(#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}"#.utf8)),
                "app.json: /metadata/component: missing"
            ),
            (
                try bom(
                    application: #"{"name": "a", "properties": [{"name": "custody:criticality", "value": "urgent"}]}"#,
                    components: #"[{"type": "machine-learning-model", "name": "gpt-5"}]"#),
                "app.json: /metadata/component/properties/0/value: invalid criticality 'urgent'"
            ),
            (
                try bom(
                    application:
                        #"{"name": "a", "properties": [{"name": "custody:deployment", "value": "Not A Slug"}]}"#,
                    components: #"[{"type": "machine-learning-model", "name": "gpt-5"}]"#),
                "app.json: /metadata/component/properties/0/value: invalid deployment id"
            ),
            (
                try bom(components: #"[{"type": "library", "name": "a"}]"#),
                "app.json: /components: no component of type machine-learning-model"
            ),
            (
                try bom(
                    components:
                        #"[{"type": "library"}, {"type": "library"}, {"type": "library"}, {"type": "machine-learning-model", "purl": "llama"}]"#
                ),
                "app.json: /components/3/purl: invalid purl 'llama'"
            ),
            (
                try bom(components: #"[{"type": "machine-learning-model", "purl": "pkg:huggingface/someone/else"}]"#),
                "app.json: /components/0/purl: no registered model has the purl 'pkg:huggingface/someone/else'"
            ),
            (
                try bom(
                    components:
                        #"[{"type": "machine-learning-model", "name": "x", "properties": [{"name": "custody:model", "value": "gpt-9"}]}]"#
                ),
                "app.json: /components/0/properties/0/value: unknown model 'gpt-9'"
            ),
            (
                try bom(components: #"[{"type": "machine-learning-model", "name": "Some Model"}]"#),
                "app.json: /components/0/name: no registered model matches"
            ),
            (
                try bom(
                    components:
                        #"[{"type": "machine-learning-model", "name": "gpt-5"}, {"type": "machine-learning-model", "name": "gpt-5"}]"#
                ),
                "app.json: /components/1: model 'gpt-5' is already named at /components/0"
            ),
            (
                try bom(components: #"{"type": "machine-learning-model"}"#),
                "app.json: /components: expected an array of components"
            ),
        ]
        for (json, expected) in cases {
            let message = refusal(json)
            #expect(message.contains(expected), "\(expected) ← \(message)")
        }
        // Two models recorded with the same purl: ambiguous, never a guess.
        let twin = ModelRegistered(
            model: slug("llama-4-copy"), name: "copy", provider: slug("meta"), openWeights: true,
            purl: "pkg:huggingface/meta-llama/Llama-4")
        let ambiguous = refusal(
            try bom(
                components: #"[{"type": "machine-learning-model", "purl": "pkg:huggingface/meta-llama/Llama-4@1"}]"#),
            chain: chain(extra: [twin]))
        #expect(
            ambiguous.contains(
                "/components/0/purl: the purl 'pkg:huggingface/meta-llama/Llama-4@1' names several models (llama-4, llama-4-copy)"
            ), "\(ambiguous)")
        // Several mistakes of one file at once.
        let several = refusal(
            try bom(
                application: #"{"name": "a", "properties": [{"name": "custody:criticality", "value": "urgent"}]}"#,
                components: #"[{"type": "machine-learning-model", "purl": "nope"}]"#))
        #expect(several.contains("/properties/0/value") && several.contains("/components/0/purl"), "\(several)")
    }

    @Test func anExportedApplicationReadsBackAsTheSameDeployment() throws {
        let chain = chain()
        let deployed = ModelDeployed(
            deployment: slug("h-1"), organization: slug("h"), model: slug("llama-4"),
            workload: "triage, \"urgent\" notes\nsecond line", criticality: .critical)
        let exported = CycloneDX.applicationBOM(
            organization: slug("h"), deployment: slug("h-1"), running: deployed, in: chain)
        let read = try ApplicationBOM(try JSONParser.parse(Array(exported.jsonbText.utf8)), file: "h-1.cdx.json")
            .deployments(in: chain)
        #expect(
            read.map { "\($0.id) \($0.model) \($0.workload) \($0.criticality)" } == [
                "h-1 llama-4 \(deployed.workload) critical"
            ])
    }

    // MARK: - VEX out

    /// The university (GPT-5 on OpenAI) and the hospital (Llama 4 and Llama 3 on Meta); a breach reaching both.
    func world(_ build: (inout LogBuilder) -> Void = { _ in }) -> SupplyChain {
        var log = LogBuilder.chain()
        log.add(
            ModelDeployed(
                deployment: slug("uni-gpt-2"), organization: slug("uni"), model: slug("gpt-5"), workload: "grading",
                criticality: .low), at: "2025-09-01")
        log.add(
            BreachReported(
                incident: slug("b1"), vendor: slug("mercor"), severity: .critical, summary: "Mercor breached",
                dataKinds: [],
                providers: [], sources: ["https://example.com/advisory", "a vendor letter"],
                disclosedAt: time("2026-03-31")), at: "2026-03-27")
        build(&log)
        return log.chain()
    }

    func analyses(_ chain: SupplyChain, _ organization: String = "uni", at: String = "2026-11-01") throws -> [String] {
        let document = try #require(
            VEX.document(organization: slug(organization), in: chain, asOf: time(at), knownAt: nil))
        guard case .object(let root) = document, case .array(let entries)? = root["vulnerabilities"] else { return [] }
        return entries.compactMap { entry -> String? in
            guard case .object(let fields) = entry, case .object(let analysis)? = fields["analysis"],
                case .array(let affects)? = fields["affects"]
            else { return nil }
            let refs = affects.compactMap { value -> String? in
                if case .object(let ref) = value {
                    return ref["ref"]?.text?.replacingOccurrences(of: "deployment/", with: "")
                }
                return nil
            }
            var text = "\(fields["id"]?.text ?? "") \(refs.joined(separator: ",")) \(analysis["state"]?.text ?? "")"
            if let justification = analysis["justification"]?.text { text += " \(justification)" }
            if case .array(let response)? = analysis["response"] {
                text += " [" + response.compactMap(\.text).joined(separator: ",") + "]"
            }
            return text
        }
    }

    @Test func eachResponseMapsToItsAnalysisByTheTable() throws {
        func answered(_ state: ResponseState, _ justification: NotAffectedJustification? = nil) throws -> [String] {
            try analyses(
                world { log in
                    log.add(
                        ExposureResponseRecorded(
                            organization: slug("uni"), incident: slug("b1"), deployment: slug("uni-gpt"), provider: nil,
                            state: state,
                            owner: "ciso", justification: justification), at: "2026-04-10")
                })
        }
        #expect(
            try answered(.acknowledged) == ["b1 uni-gpt in_triage", "b1 uni-gpt-2 in_triage"],
            "two analyses: one answered")
        #expect(try answered(.mitigating).contains("b1 uni-gpt exploitable [workaround_available]"))
        #expect(try answered(.mitigated).contains("b1 uni-gpt resolved [workaround_available]"))
        #expect(try answered(.riskAccepted).contains("b1 uni-gpt exploitable [will_not_fix]"))
        #expect(
            try answered(.notAffected, .modelPredatesEngagement).contains("b1 uni-gpt not_affected code_not_present"))
        #expect(try answered(.notAffected, .dataKindNotUsed).contains("b1 uni-gpt not_affected code_not_present"))
        #expect(
            try answered(.notAffected, .providerConfirmedUnaffected).contains(
                "b1 uni-gpt not_affected code_not_present"))
        #expect(
            try answered(.notAffected, .noSensitiveWorkload).contains("b1 uni-gpt not_affected requires_environment"))
    }

    /// One incident, two deployments answered differently: two entries with the incident's id, each exact.
    @Test func differentResponsesToOneIncidentAreSeparateEntries() throws {
        let chain = world { log in
            log.add(
                ExposureResponseRecorded(
                    organization: slug("uni"), incident: slug("b1"), deployment: slug("uni-gpt"), provider: nil,
                    state: .mitigating,
                    owner: "ciso"), at: "2026-04-10")
        }
        #expect(try analyses(chain) == ["b1 uni-gpt exploitable [workaround_available]", "b1 uni-gpt-2 in_triage"])
        let document = try #require(
            VEX.document(organization: slug("uni"), in: chain, asOf: time("2026-11-01"), knownAt: nil))
        #expect(
            document.jsonbText.contains(#""bom-ref": "incident/b1/1""#)
                && document.jsonbText.contains(#""bom-ref": "incident/b1/2""#))
        // The same analysis for both (a provider-wide response): one entry naming both.
        let shared = world { log in
            log.add(
                ExposureResponseRecorded(
                    organization: slug("uni"), incident: slug("b1"), deployment: nil, provider: slug("openai"),
                    state: .mitigated,
                    owner: "ciso"), at: "2026-04-10")
        }
        #expect(try analyses(shared) == ["b1 uni-gpt,uni-gpt-2 resolved [workaround_available]"])
    }

    @Test func unansweredExposuresSayWhatTheirStatusSays() throws {
        #expect(try analyses(world()) == ["b1 uni-gpt,uni-gpt-2 in_triage"], "potential")
        #expect(try analyses(world(), at: "2026-03-01") == [], "before the breach")
        func closed(_ outcome: InvestigationOutcome) -> SupplyChain {
            world { log in
                log.add(
                    InvestigationOpened(investigation: slug("i1"), incident: slug("b1"), provider: slug("openai")),
                    at: "2026-04-01")
                log.add(
                    InvestigationClosed(investigation: slug("i1"), outcome: outcome, summary: nil), at: "2026-04-20")
            }
        }
        #expect(try analyses(closed(.confirmed)) == ["b1 uni-gpt,uni-gpt-2 exploitable"])
        #expect(try analyses(closed(.cleared)) == ["b1 uni-gpt,uni-gpt-2 not_affected code_not_present"])
        #expect(try analyses(closed(.inconclusive)) == ["b1 uni-gpt,uni-gpt-2 in_triage"])
        let resolved = world { log in log.add(IncidentResolved(incident: slug("b1"), summary: "done"), at: "2026-06-01")
        }
        #expect(try analyses(resolved) == ["b1 uni-gpt,uni-gpt-2 resolved"])
    }

    @Test func aDeploymentSwitchedAwayIsResolvedByTheUpdate() throws {
        let chain = world { log in
            log.add(
                ModelDeployed(
                    deployment: slug("uni-llama"), organization: slug("uni"), model: slug("llama-4"), workload: "w",
                    criticality: .low), at: "2025-09-01")
            log.add(DeploymentSwitched(deployment: slug("uni-gpt"), model: slug("llama-3")), at: "2026-05-01")
        }
        let now = try analyses(chain)
        #expect(now.contains("b1 uni-gpt resolved [update]"), "\(now)")
        #expect(
            try analyses(chain, at: "2026-04-01").contains("b1 uni-gpt,uni-gpt-2 in_triage"),
            "before the switch it was exposed")
    }

    @Test func theDocumentIsTheSameForTheSameFactsAndCarriesTheIncidentsFacts() throws {
        let first = try #require(
            VEX.document(organization: slug("uni"), in: world(), asOf: time("2026-11-01"), knownAt: nil))
        let again = try #require(
            VEX.document(organization: slug("uni"), in: world(), asOf: time("2026-11-01"), knownAt: nil))
        #expect(first == again)
        let later = try #require(
            VEX.document(organization: slug("uni"), in: world(), asOf: time("2026-11-02"), knownAt: nil))
        guard case .object(let a) = first, case .object(let b) = later else {
            Issue.record("not objects")
            return
        }
        #expect(a["serialNumber"] != b["serialNumber"], "another document, another serial number")
        let text = first.jsonbText
        for fact in [
            #""description": "Mercor breached""#, #""severity": "critical""#, #""published": "2026-03-31T00:00:00Z""#,
            #""advisories": [{"url": "https://example.com/advisory"}]"#, "sources: a vendor letter",
            #""name": "GPT-5""#,
            #""supplier": {"name": "OpenAI"}"#, #""value": "2026-03-27T00:00:00Z""#,
        ] {
            #expect(text.contains(fact), "\(fact)")
        }
        #expect(VEX.document(organization: slug("nobody"), in: world(), asOf: time("2026-11-01"), knownAt: nil) == nil)
    }
}
