import NIOCore
import Synchronization

/// What every new connection must keep to before it is any use: at most ``limit`` open connections
/// per client address, a first request head within ``requestHeadTimeout``, no idle HTTP connection
/// kept past ``idleTimeout``. Together they keep a client that opens connections and then trickles
/// bytes (slowloris) from holding a node's file descriptors.
///
/// Connections from ``trustedProxies`` are not counted: behind a balancer every connection comes from
/// it, and capping connections per client is then the balancer's work (`limit_conn` in
/// `deploy/nginx/parley.conf`). Nor is the node's own host (`127.0.0.1`, `::1`): a balancer, a sidecar or
/// a benchmark there is no remote client.
final class ConnectionGuard: Sendable {
    let trustedProxies: TrustedProxies
    let requestHeadTimeout: TimeAmount
    let idleTimeout: Duration
    /// Open connections per client address; 0 for no limit.
    let limit: Int
    private let openCounts = Mutex<[IPAddress: Int]>([:])

    init(trustedProxies: TrustedProxies, requestHeadTimeout: Duration, idleTimeout: Duration, limit: Int) {
        self.trustedProxies = trustedProxies
        self.requestHeadTimeout = TimeAmount(requestHeadTimeout)
        self.idleTimeout = idleTimeout
        self.limit = limit
    }

    /// Counts a new connection from `peer` until it closes; `false` when its address already holds
    /// ``limit`` open connections and this one must be closed at once.
    func admit(_ channel: any Channel, peer: IPAddress?) -> Bool {
        guard limit > 0, let peer, !peer.isOwnHost, !trustedProxies.trusts(peer) else { return true }
        let client = peer.clientKey
        let admitted = openCounts.withLock { counts in
            let open = counts[client, default: 0]
            guard open < limit else { return false }
            counts[client] = open + 1
            return true
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { [self] _ in
            openCounts.withLock { counts in
                let remaining = counts[client, default: 1] - 1
                counts[client] = remaining > 0 ? remaining : nil
            }
        }
        return true
    }

    /// Client addresses holding connections now (bounded by the node's open connections).
    var addressCount: Int { openCounts.withLock { $0.count } }
}
