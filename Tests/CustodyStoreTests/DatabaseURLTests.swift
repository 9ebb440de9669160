import Testing

@testable import CustodyStore

@Suite struct DatabaseURLTests {
    /// Percent-encoding is decoded once, and the mask hides the password as it is written.
    @Test func aPasswordIsDecodedOnceAndMasked() throws {
        let url = try DatabaseURL("postgres://u%40x:p%40ss%2541@db.example:5432/custody")
        #expect(url.password == "p@ss%41")
        #expect(url.username == "u@x")
        #expect(url.description == "postgres://u%40x:***@db.example:5432/custody")
    }
}

@Suite struct SeveralHostsURLTests {
    /// libpq's forms: hosts in the URL, or socket folders and ports in the query; the target session attributes.
    @Test func severalHostsAreReadInOrderWithTheirPorts() throws {
        let inURL = try DatabaseURL("postgres://u:secret@h1:5432,h2:5433,h3/custody?target_session_attrs=read-write")
        #expect(
            inURL.endpoints == [
                .tcp(host: "h1", port: 5432), .tcp(host: "h2", port: 5433), .tcp(host: "h3", port: 5432),
            ])
        #expect(
            inURL.endpoint == .tcp(host: "h1", port: 5432) && inURL.target == .readWrite && inURL.database == "custody")
        #expect(
            inURL.password == "secret"
                && inURL.description == "postgres://u:***@h1:5432,h2:5433,h3/custody?target_session_attrs=read-write")
        let sockets = try DatabaseURL(
            "postgres://u@localhost/custody?host=/a/sock,/b/sock&port=5432,5433&target_session_attrs=prefer-standby")
        #expect(sockets.endpoints == [.socket(path: "/a/sock/.s.PGSQL.5432"), .socket(path: "/b/sock/.s.PGSQL.5433")])
        #expect(sockets.target == .preferStandby && sockets.choosesHost)
        #expect(try sockets.with(database: "other").endpoints == sockets.endpoints)
        #expect(
            try inURL.with(database: "other").text
                == "postgres://u:secret@h1:5432,h2:5433,h3/other?target_session_attrs=read-write")
        let one = try DatabaseURL("postgres://u@db:6000/custody")
        #expect(one.endpoints == [.tcp(host: "db", port: 6000)] && one.target == .any && !one.choosesHost)
        for bad in [
            "postgres://u@h1,h2/custody?target_session_attrs=primary-ish", "postgres://u@h1,,h2/custody",
            "postgres://u@h1:x,h2/custody", "postgres://u@localhost/custody?host=/a,/b,/c&port=1,2",
        ] {
            #expect(throws: StoreError.self, "\(bad)") { try DatabaseURL(bad) }
        }
    }

    @Test func eachTargetAcceptsTheServersItNames() {
        typealias Target = DatabaseURL.TargetSessionAttributes
        let primary = (inRecovery: false, readOnly: false)
        let standby = (inRecovery: true, readOnly: true)
        #expect(Target.readWrite.accepts(inRecovery: primary.inRecovery, readOnly: primary.readOnly))
        #expect(!Target.readWrite.accepts(inRecovery: standby.inRecovery, readOnly: standby.readOnly))
        #expect(
            !Target.readWrite.accepts(inRecovery: false, readOnly: true),
            "a primary read-only by default is not read-write")
        #expect(Target.primary.accepts(inRecovery: false, readOnly: true))
        #expect(
            Target.standby.accepts(inRecovery: true, readOnly: true)
                && !Target.standby.accepts(inRecovery: false, readOnly: false))
        #expect(Target.readOnly.accepts(inRecovery: false, readOnly: true))
        #expect(
            Target.any.accepts(inRecovery: true, readOnly: true)
                && Target.any.accepts(inRecovery: false, readOnly: false))
    }
}
