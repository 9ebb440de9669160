import Testing

@testable import CustodyCore

/// A deliverer refuses internal addresses unless a block allows them.
@Suite struct AddressRangeTests {
    @Test func blocksParseAndContainTheirAddresses() throws {
        let loopback = try AddressRange(parsing: "127.0.0.1/32")
        #expect(loopback.contains([127, 0, 0, 1]) && !loopback.contains([127, 0, 0, 2]))
        let ten = try AddressRange(parsing: "10.0.0.0/8")
        #expect(ten.contains([10, 200, 3, 4]) && !ten.contains([11, 0, 0, 0]))
        let shared = try AddressRange(parsing: "100.64.0.0/10")
        #expect(shared.contains([100, 127, 255, 255]) && !shared.contains([100, 128, 0, 0]))
        let unique = try AddressRange(parsing: "fc00::/7")
        #expect(unique.contains(AddressRange.address("fd12::1")!) && !unique.contains(AddressRange.address("fe00::1")!))
        #expect(AddressRange.address("::1") == Array(repeating: 0, count: 15) + [1])
        #expect(try AddressRange(parsing: "fe80::/10").description == "fe80:0:0:0:0:0:0:0/10")
        for bad in ["", "10.0.0.0/33", "300.1.1.1/8", "1.2.3/8", "::1::2/64", "x/1", "10.0.0.0/-1"] {
            #expect(throws: CustodyError.self, "\(bad)") { try AddressRange(parsing: bad) }
        }
    }

    @Test func internalAddressesNeedAnAllowance() throws {
        let public4: [UInt8] = [93, 184, 216, 34]
        #expect(AddressRange.mayReach(public4, allowed: []))
        for nonPublic in [
            "127.0.0.1", "10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::1", "fe80::1",
            "fd00::5",
        ] {
            #expect(!AddressRange.mayReach(AddressRange.address(nonPublic)!, allowed: []), "\(nonPublic)")
        }
        // An IPv4-mapped IPv6 address is its IPv4 one.
        #expect(!AddressRange.mayReach(AddressRange.address("::ffff:7f00:1")!, allowed: []))
        let allowed = [try AddressRange(parsing: "127.0.0.1/32")]
        #expect(AddressRange.mayReach([127, 0, 0, 1], allowed: allowed))
        #expect(AddressRange.mayReach(AddressRange.address("::ffff:7f00:1")!, allowed: allowed))
        #expect(!AddressRange.mayReach([127, 0, 0, 2], allowed: allowed))
    }
}
