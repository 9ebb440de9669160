import CustodyCLI

// The commands and their support are the CustodyCLI library, which `custody-server` shares.
await Custody.start()
