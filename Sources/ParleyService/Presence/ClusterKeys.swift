import Crypto

/// The names of Parley's Redis keys and channels, all under `PARLEY_REDIS_PREFIX`.
///
/// | key | type | holds |
/// |---|---|---|
/// | `{p}user:{id}` | channel | one account's ``Supersession``s (kick, logout, disable) and ``UserEvent``s (push, deliver) |
/// | `{p}sessions` | channel | the id of each account whose sessions changed, for every node's ``SessionCache`` |
/// | `{p}presence:{id}` | string | `generation|node|connection|since_ms` of the account's live socket |
/// | `{p}gen:{id}` | string | `generation|reason`: the account's last generation and why it was handed out (a day's expiry) |
/// | `{p}nodes` | sorted set | node ids by last heartbeat (ms) |
/// | `{p}node:{node}` | string | the node's JSON card, expiring after `PARLEY_PRESENCE_TTL` |
/// | `{p}node:{node}:users` | set | the accounts whose presence names the node |
/// | `{p}node:{node}:inbox` | list | ``Supersession``s for the node's sockets, drained each heartbeat |
/// | `{p}deliver:{id}` | string | a `getmessage` not yet served by a live socket (a minute's expiry) |
/// | `{p}epoch` | string | `epoch|run_id`: the generation epoch and the Redis process it was installed in |
/// | `{p}login-attempts:{hash}` | string | sign-in attempts for one username (see ``LoginThrottle``) |
/// | `{p}series`, `{p}series:{node}` | sorted sets | the nodes' last hour of samples (see ``SeriesStore``) |
/// | `{p}events` | stream | the cluster's event feed, capped (see ``EventFeed``) |
struct ClusterKeys: Sendable {
    let prefix: String

    func userChannel(_ userID: Int) -> String { "\(prefix)user:\(userID)" }
    var sessionsChannel: String { "\(prefix)sessions" }
    func presence(_ userID: Int) -> String { "\(prefix)presence:\(userID)" }
    func generation(_ userID: Int) -> String { "\(prefix)gen:\(userID)" }
    var nodes: String { "\(prefix)nodes" }
    func node(_ nodeID: String) -> String { "\(prefix)node:\(nodeID)" }
    func nodeUsers(_ nodeID: String) -> String { "\(prefix)node:\(nodeID):users" }
    func inbox(_ nodeID: String) -> String { "\(prefix)node:\(nodeID):inbox" }
    func deliveryRequest(_ userID: Int) -> String { "\(prefix)deliver:\(userID)" }
    var seriesNodes: String { "\(prefix)series" }
    func series(_ nodeID: String) -> String { "\(prefix)series:\(nodeID)" }
    var events: String { "\(prefix)events" }

    /// The sign-in counter of a username, named by 128 bits of its SHA-256 in hex: the key's size is
    /// fixed whatever a client sends as a name, and holds no name in clear.
    func loginAttempts(_ username: String) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in SHA256.hash(data: Array(username.utf8)).prefix(16) {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        return prefix + "login-attempts:" + String(decoding: hex, as: UTF8.self)
    }

    /// The account id of a user channel, `nil` for any other channel.
    func userID(ofChannel channel: String) -> Int? {
        guard channel.hasPrefix(prefix + "user:") else { return nil }
        return Int(channel.dropFirst(prefix.count + 5))
    }
}
