/// A package URL (purl, https://github.com/package-url/purl-spec), as bills of materials name a model:
/// `pkg:huggingface/meta-llama/Llama-3.1-8B@5206a32`. Custody keeps the text as given and checks only the shape
/// every purl has (scheme, type, name), so that a BOM's component can be matched to a registered model.
public struct PackageURL: Hashable, Sendable, CustomStringConvertible {
    /// The purl as written.
    public let text: String
    /// The purl without its version, qualifiers and subpath: the package, whatever release of it.
    public let package: String
    /// Whether it names a version (`@…`).
    public let hasVersion: Bool

    /// Parses a purl, refusing one without `pkg:`, a type and a name.
    public init(_ text: String) throws(CustodyError) {
        let refuse = CustodyError.invalidValue(
            what: "purl", value: text, accepted: "pkg:TYPE/[NAMESPACE/]NAME[@VERSION] (a package URL)")
        guard text.hasPrefix("pkg:"),
            !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        else {
            throw refuse
        }
        // The spec lets `pkg://type/...` stand for `pkg:type/...`.
        let rest = text.dropFirst(4).drop { $0 == "/" }
        let head = rest.prefix { $0 != "?" && $0 != "#" }
        let path = head.split(separator: "/", omittingEmptySubsequences: true)
        guard path.count >= 2, let type = path.first, let first = type.first, first.isASCII, first.isLetter,
            type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".+-".contains($0)) })
        else { throw refuse }
        let last = path[path.count - 1]
        let at = last.lastIndex(of: "@")
        guard at.map({ $0 != last.startIndex }) ?? true else { throw refuse }
        self.text = text
        hasVersion = at != nil
        let name = at.map { last[..<$0] } ?? last
        package =
            "pkg:"
            + ([type.lowercased()] + path.dropFirst().dropLast().map(String.init) + [String(name)]).joined(
                separator: "/")
    }

    /// The purl as written.
    public var description: String { text }

    /// A model's recorded purl names a component's when they are equal, or when the model's names no version
    /// and the component's is a release of the same package.
    public func names(_ component: PackageURL) -> Bool {
        text == component.text || (!hasVersion && package == component.package)
    }
}
