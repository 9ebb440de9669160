import Foundation

/// Reads a file line by line in fixed-size chunks, so a file of any size is never loaded whole.
struct LineReader {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    /// The number of the line last returned, from 1.
    private(set) var lineNumber = 0
    static let chunkSize = 1 << 20
    /// Longer lines are refused rather than buffered without bound.
    static let maximumLineLength = 4 << 20

    init(path: String) throws(StoreError) {
        var directory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &directory), directory.boolValue {
            throw .configuration("\(path) is a directory: give a JSON Lines file (as `custody events --json` writes)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .configuration("cannot read \(path): no such file, or not readable")
        }
        (self.path, self.handle) = (path, handle)
    }

    /// The next line without its newline, or nil at the end.
    mutating func next() throws(StoreError) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                lineNumber += 1
                let line = buffer[start..<newline]
                start = newline + 1
                return line.last == 0x0D ? line.dropLast() : line
            }
            if buffer.count - start > Self.maximumLineLength {
                throw .importRefused(line: lineNumber + 1, reason: "longer than \(Self.maximumLineLength) bytes")
            }
            if finished {
                guard start < buffer.count else { return nil }
                lineNumber += 1
                let line = buffer[start...]
                start = buffer.count
                return line
            }
            buffer.removeFirst(start)
            start = 0
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: Self.chunkSize)
            } catch {
                throw .configuration("cannot read the import file: \(error.localizedDescription)")
            }
            if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { finished = true }
        }
    }
}
