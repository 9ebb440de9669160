@testable import CustodyStore
import Testing

@Suite struct DatabaseURLTests {
    /// Percent-encoding is decoded once, and the mask hides the password as it is written.
    @Test func aPasswordIsDecodedOnceAndMasked() throws {
        let url = try DatabaseURL("postgres://u%40x:p%40ss%2541@db.example:5432/custody")
        #expect(url.password == "p@ss%41")
        #expect(url.username == "u@x")
        #expect(url.description == "postgres://u%40x:***@db.example:5432/custody")
    }
}
