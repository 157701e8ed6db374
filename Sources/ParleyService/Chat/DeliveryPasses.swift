/// Which delivery pass runs for which account, and to which socket: the courier's decisions, with
/// no I/O, so each rule is a unit test.
///
/// One pass per account at a time keeps the order. A nudge during a pass asks for another, and
/// always names the socket to use: the account's socket here may have been replaced meanwhile (a
/// reconnect), and the next batch must go to the new socket, not fail on the old one and stop.
struct DeliveryPasses<Socket: Equatable> {
    private struct Pass {
        /// The socket the next batch goes to: the one named by the latest nudge.
        var socket: Socket
        /// A nudge arrived while a batch was under way.
        var isRequestedAgain: Bool
    }

    private var passes: [Int: Pass] = [:]

    /// A nudge for `userID` to `socket`: the socket to start a pass with, or `nil` when a pass is
    /// already under way (it takes this socket for its next batch).
    mutating func request(userID: Int, socket: Socket) -> Socket? {
        if passes[userID] != nil {
            passes[userID] = Pass(socket: socket, isRequestedAgain: true)
            return nil
        }
        passes[userID] = Pass(socket: socket, isRequestedAgain: false)
        return socket
    }

    /// A batch to `socket` ended: `more` when it was full, `failed` when the socket can take no more
    /// (it closed, or its session ended). Returns the socket for the next batch, or `nil` when the
    /// pass is over.
    mutating func batchEnded(userID: Int, socket: Socket, more: Bool, failed: Bool) -> Socket? {
        guard var pass = passes[userID] else { return nil }
        // A failed write ends the pass, unless a nudge named another socket meanwhile.
        let goOn = failed ? pass.socket != socket : (more || pass.isRequestedAgain)
        guard goOn else {
            passes[userID] = nil
            return nil
        }
        pass.isRequestedAgain = false
        passes[userID] = pass
        return pass.socket
    }

    var runningCount: Int { passes.count }
}
