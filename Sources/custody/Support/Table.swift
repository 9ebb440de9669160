/// Aligned text tables for human output, sized to read well in 100 columns.
struct Table {
    var headers: [String]
    var rows: [[String]] = []
    /// Columns wider than this are cut with an ellipsis.
    var maximumWidth = 24
    /// Lines are kept within this many columns by cutting the widest cells further (down to 8 characters).
    var lineWidth = 100

    init(headers: [String]) { self.headers = headers }

    var text: String {
        var width = maximumWidth
        while true {
            let lines = render(cuttingAt: width)
            if width <= 8 || lines.allSatisfy({ $0.count <= lineWidth }) { return lines.joined(separator: "\n") }
            width -= 1
        }
    }

    private func render(cuttingAt limit: Int) -> [String] {
        let cut = { (cell: String) -> String in cell.count > limit ? String(cell.prefix(limit - 1)) + "…" : cell }
        let all = ([headers] + rows).map { $0.map(cut) }
        let widths = headers.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
    }
}
