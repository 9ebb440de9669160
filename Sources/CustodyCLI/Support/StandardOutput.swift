import Foundation

/// Standard output written as bytes, unbuffered: the log's lines, a postmortem's 20 MB, a server's first line (which
/// scripts and tests read the chosen port from).
///
/// A reader that stops reading (`custody events | head`) ends the process quietly, as it ends a shell tool, with
/// status 0: FileHandle's `write(_:)` trapped on the broken pipe (a fatal error and a stack trace), and its throwing
/// form gave a Cocoa error. Any other failure (a full disk) is one line on standard error and status 74 (EX_IOERR).
package enum StandardOutput {
    package static func write(_ text: String) { write(bytes: Array(text.utf8)) }

    package static func write(bytes: [UInt8]) {
        do {
            try FileHandle.standardOutput.write(contentsOf: bytes)
        } catch {
            let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            if posix?.domain == NSPOSIXErrorDomain, posix?.code == Int(EPIPE) { exit(0) }
            let reason = posix.map { String(cString: strerror(Int32($0.code))) } ?? "\(error)"
            try? FileHandle.standardError.write(contentsOf: Array("Error: cannot write the output: \(reason)\n".utf8))
            exit(74)
        }
    }
}
