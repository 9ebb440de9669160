import CustodyCore
import CustodyStore
import CustodyTestSupport
import Foundation
import Testing

/// A token's scope is structured: no organization id can be mistaken for admin.
@Suite struct TokenScopeTests {
    @Test func anOrganizationCalledAdminGetsAnOrganizationsToken() async throws {
        try await TestDatabase.with { database in
            // A log written before the id was reserved may hold such an organization.
            _ = try await EventStore(database).append([
                Fixture.proposed(
                    OrganizationRegistered(organization: Fixture.slug("admin"), name: "Admin Corp", sector: "retail"))
            ])
            let tokens = TokenStore(database)
            let (stored, text) = try await tokens.create(
                .organization(Fixture.slug("admin")), label: "", expiresAt: nil)
            #expect(stored.admin == false && stored.organization == "admin")
            let (_, scope) = try #require(try await tokens.authenticate(text))
            #expect(scope == .organization(Fixture.slug("admin")))
            #expect(scope.permits(Fixture.slug("other")) == false)
            let (_, adminText) = try await tokens.create(.admin, label: "", expiresAt: nil)
            #expect(try await tokens.authenticate(adminText)?.1 == .admin)
        }
    }

    @Test func theIdAdminIsReservedForNewOrganizations() throws {
        #expect(throws: CustodyError.self) {
            try Registry().check(
                OrganizationRegistered(organization: Fixture.slug("admin"), name: "A", sector: "s").event,
                at: Fixture.at("2026-01-01"))
        }
    }
}
