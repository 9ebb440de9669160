import CustodyCLI

// The commands and their support are the CustodyCLI library, which `custody-server` shares. A one-shot command's
// connection is asked for first, on this thread, before `start`'s hop to another.
Custody.connectEarly()
await Custody.start()
