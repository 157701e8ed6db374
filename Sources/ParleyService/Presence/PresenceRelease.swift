/// A presence entry this node wrote and wants gone (``AccountChannel/release(_:)``).
struct PresenceRelease: Hashable, Sendable {
    enum Entry: Hashable, Sendable {
        /// The entry of the socket that took the account with this generation.
        case generation(Int64)
        /// The entry a claim for this connection wrote, if it ran: no answer came back (a timeout,
        /// a lost connection), so its generation is unknown.
        case claim(connection: UInt64)
    }

    var userID: Int
    var entry: Entry
}
