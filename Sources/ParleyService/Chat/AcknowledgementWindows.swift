/// What each acknowledging socket (docs/api.md §7) was sent and has acknowledged, and the window
/// between the two: the courier's bookkeeping for acknowledged delivery, with no I/O, so each rule
/// is a unit test.
///
/// A socket is sent at most ``size`` entries it has not acknowledged. A pass that finds the window
/// full stops; the acknowledgement that opens it again resumes delivery. Entries sent and never
/// acknowledged stay past the account's delivery cursor, so the next socket is sent them again.
struct AcknowledgementWindows<Socket: Equatable> {
    private struct Window {
        var socket: Socket
        /// The last number handed to the socket.
        var sent: Int
        /// The last number the socket acknowledged (at first, the delivery cursor).
        var acknowledged: Int
        /// A pass stopped on a full window: the next acknowledgement resumes delivery.
        var isStalled = false
    }

    let size: Int
    /// One per account with an acknowledging socket that was sent something on this node.
    private var windows: [Int: Window] = [:]

    init(size: Int) {
        self.size = size
    }

    /// Where a batch to `socket` starts (0: at the delivery cursor, for a socket sent nothing yet),
    /// and how many entries it may hold. With no room the window is marked stalled in the same step,
    /// so an acknowledgement arriving right after resumes delivery.
    mutating func room(userID: Int, socket: Socket) -> (after: Int, count: Int) {
        guard var window = windows[userID], window.socket == socket else { return (0, size) }
        let count = size - (window.sent - window.acknowledged)
        if count <= 0 {
            window.isStalled = true
            windows[userID] = window
        }
        return (window.sent, max(count, 0))
    }

    /// Entries through `seq` are about to be written to `socket`; `cursor` is the account's delivery
    /// cursor, read with them. Recorded before the write, so an acknowledgement that outruns the
    /// write's completion is not mistaken for one beyond what was sent.
    mutating func sending(userID: Int, socket: Socket, through seq: Int, cursor: Int) {
        if var window = windows[userID], window.socket == socket {
            window.sent = max(window.sent, seq)
            windows[userID] = window
        } else {
            windows[userID] = Window(socket: socket, sent: seq, acknowledged: cursor)
        }
    }

    /// `socket` acknowledged every entry through `seq`. Returns the number to record as delivered
    /// (never more than was sent, never backwards; `nil` when nothing new), and whether delivery
    /// stalled on the window should resume.
    mutating func acknowledged(userID: Int, socket: Socket, through seq: Int) -> (delivered: Int?, resume: Bool) {
        guard var window = windows[userID], window.socket == socket else { return (nil, false) }
        let delivered = min(seq, window.sent)
        guard delivered > window.acknowledged else { return (nil, false) }
        window.acknowledged = delivered
        let resume = window.isStalled
        window.isStalled = false
        windows[userID] = window
        return (delivered, resume)
    }

    /// The socket closed: what it had not acknowledged waits for the next one.
    mutating func socketClosed(userID: Int, socket: Socket) {
        if windows[userID]?.socket == socket { windows[userID] = nil }
    }

    var count: Int { windows.count }
}
