/// Every mistake of an input, not only the first: a user fixes them in one pass. Each names its file and the
/// place in it (a line, or a JSON pointer).
public struct Problems: Sendable {
    private var messages: [String] = []
    /// As many as fit the 400 characters an error message is cut to.
    public static let shown = 4

    /// No problem yet.
    public init() {}

    /// Whether none was found.
    public var isEmpty: Bool { messages.isEmpty }

    /// Adds a problem, as a message.
    public mutating func add(_ message: String) { messages.append(message) }
    /// Adds a problem, as its error's message.
    public mutating func add(_ error: CustodyError) { messages.append(error.message) }

    /// Throws the mistakes found, if any, as one error of a line each.
    public func check() throws(CustodyError) {
        guard !messages.isEmpty else { return }
        let more = messages.count > Self.shown ? ["… and \(messages.count - Self.shown) more"] : []
        throw .conflict((messages.prefix(Self.shown) + more).joined(separator: "\n"))
    }
}
