import ArgumentParser
import Foundation

/// The commands that run a server (`serve`, `notify`, `webhook listen`) are in `custody-server`, installed beside
/// `custody`, which hands them over whole (arguments, environment, process id) by `exec`, as `git` and `swift` do
/// with their subcommands. The HTTP server and client they need were a fifth of one binary's conformance records
/// and relocations, which every process paid for before its first statement: ~2 ms of each `custody exposure`
/// (docs/benchmarks.md). They are declared in this library (`Serve`, `NotifyCommand`, `WebhookCommand.Listen`),
/// so that `custody --help`, completion scripts and the manual know them; `custody-server` runs the same declarations.
enum ServerCommand {
    /// The words, after `custody` (and an optional `help`), that name a command of `custody-server`.
    static let paths: [[String]] = [["serve"], ["notify"], ["webhook", "listen"]]

    /// Replaces this process with `custody-server` when `arguments` name one of its commands; returns otherwise.
    static func handOver(_ arguments: [String]) {
        let words = arguments.first == "help" ? Array(arguments.dropFirst()) : arguments
        guard paths.contains(where: { words.starts(with: $0) }) else { return }
        exec(arguments)
    }

    /// Where `custody-server` is: beside this executable, symbolic links resolved.
    static var location: URL {
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return executable.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("custody-server")
    }

    /// What a declared server command's `run` does when it is reached without the hand-over (`custody-server`
    /// parses the same declarations): runs this process's own arguments in `custody-server`.
    static func execAsGiven() -> Never { exec(Array(CommandLine.arguments.dropFirst())) }

    /// Replaces this process with `custody-server` running `arguments`, or says why it cannot, in one line.
    static func exec(_ arguments: [String]) -> Never {
        let path = location.path
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        let reason = String(cString: strerror(errno))
        // The command's words only: its options may hold a password (--database-url).
        let command = arguments.prefix { !$0.hasPrefix("-") }.joined(separator: " ")
        FileHandle.standardError.write(
            Data(
                ("Error: `custody \(command)` runs custody-server, which could not be started "
                    + "at \(path) (\(reason)); it is built with custody (`swift build --product custody-server`) "
                    + "and installed beside it\n").utf8))
        exit(69)  // EX_UNAVAILABLE
    }
}
