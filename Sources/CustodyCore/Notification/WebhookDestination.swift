import Foundation

/// Where a webhook may post, as far as a fact can say: an `http` or `https` URL with a host and no credentials
/// (they would be kept in the log; the signature is what authenticates a message). Which addresses a deliverer
/// may reach (no private, loopback or link-local ones unless allowed) is decided when it delivers.
public enum WebhookDestination {
    /// Refuses a URL a webhook cannot be posted to (not http or https, no host, credentials in it).
    public static func check(_ text: String) throws(CustodyError) {
        let accepted = "an http:// or https:// URL with a host and no user name or password"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.user == nil, url.password == nil, text.utf8.count <= 2048
        else {
            throw .invalidValue(what: "webhook URL", value: text, accepted: accepted)
        }
    }
}
