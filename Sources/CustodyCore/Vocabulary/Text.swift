extension String {
    /// Whether two texts are the same fact's text: the same characters exactly (Unicode scalars), as PostgreSQL
    /// compares them. Swift's `==` is canonical equivalence, which takes an NFD "Café" for an NFC one; a log that
    /// stores exactly what was said must not, or a path deciding with `==` disagrees with one deciding in SQL.
    public func isSameText(as other: String) -> Bool { utf8.elementsEqual(other.utf8) }
}
