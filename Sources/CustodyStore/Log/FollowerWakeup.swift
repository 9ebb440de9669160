/// Wakes the log's followers (`NOTIFY`) after appends commit, off the writer's path and coalesced.
///
/// A notification is a round trip of its own, and its transaction is given an id whose commit waits for the disk
/// like any write: sent after every append it cost a quarter of the append rate at 16 writers. Followers only
/// need to learn that the log moved, so while one notification is on its way, any number of further commits need
/// just one more. `Database` drains it before closing, so a command's last append still wakes them.
actor FollowerWakeup {
    private var sending: Task<Void, Never>?
    private var again = false

    /// Asks for a notification after the commits so far; returns at once.
    func ring(_ database: Database) {
        guard sending == nil else {
            again = true
            return
        }
        sending = Task { await self.send(database) }
    }

    private func send(_ database: Database) async {
        repeat {
            again = false
            await EventStore(database).notifyFollowers()
        } while again
        sending = nil
    }

    /// Waits until every notification asked for has been sent.
    func drain() async {
        while let sending { await sending.value }
    }
}
