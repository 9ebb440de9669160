import Foundation

/// Aligned text tables for human output: on a terminal, fitted to its width by cutting the widest cells with an
/// ellipsis; piped, or with `--wide`, whole (a script or a file gets every character).
struct Table {
    var headers: [String]
    var rows: [[String]] = []
    /// Lines are kept within this many columns by cutting the widest cells (down to 8 characters); nil: whole.
    var lineWidth: Int? = Table.lineWidth()

    init(headers: [String]) { self.headers = headers }

    /// Set by `--wide` for the rest of the process.
    static let wideVariable = "CUSTODY_WIDE_TABLES"

    /// The terminal's width (`$COLUMNS` when set, else what the terminal says, else 100) when printing to one;
    /// nil when the output is piped or `--wide` was given.
    static func lineWidth() -> Int? {
        let environment = ProcessInfo.processInfo.environment
        guard environment[wideVariable] == nil, isatty(STDOUT_FILENO) == 1 else { return nil }
        if let columns = environment["COLUMNS"].flatMap(Int.init), columns >= 40 { return columns }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 { return Int(size.ws_col) }
        return 100
    }

    var text: String {
        guard let lineWidth else { return render(cuttingAt: Int.max).joined(separator: "\n") }
        var width = ([headers] + rows).flatMap { $0.map(\.count) }.max() ?? 8
        while true {
            let lines = render(cuttingAt: width)
            if width <= 8 || lines.allSatisfy({ $0.count <= lineWidth }) { return lines.joined(separator: "\n") }
            width -= 1
        }
    }

    private func render(cuttingAt limit: Int) -> [String] {
        let cut = { (cell: String) -> String in cell.count > limit ? String(cell.prefix(limit - 1)) + "…" : cell }
        let all = ([headers] + rows).map { $0.map(cut) }
        let widths = headers.indices.map { column in
            all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
    }
}
