import NIORedis

/// Where the cluster's shared, rebuildable state lives: presence, generations, the node registry
/// and the per-account channels, in Redis. Nothing here is durable truth; lose it and every node
/// re-registers what it holds.
///
/// The account side (``AccountChannel``) and the node side (``NodeRegistry``) share Redis's clock,
/// which the heartbeats read and the claims' deadlines use, and the generation epoch.
struct ClusterPresence: Sendable {
    let keys: ClusterKeys
    let accounts: AccountChannel
    let registry: NodeRegistry
    /// Redis's clock as the heartbeats see it.
    let clock = RedisClock()
    /// Installs a new generation epoch when Redis has none.
    let epochs: EpochKeeper

    init(redis: RedisClient, keys: ClusterKeys, nodeID: String, presenceTTL: Duration, epochs: ClusterEpochStore) {
        self.keys = keys
        self.epochs = EpochKeeper(store: epochs) { [redis, keys] epoch in
            let reply = try await redis.evaluate(ClusterScripts.installEpoch, arguments: [keys.prefix, String(epoch)])
            guard let installed = reply.int else { throw UnexpectedReply(script: "installEpoch", reply: reply) }
            return installed
        }
        accounts = AccountChannel(
            redis: redis, keys: keys, nodeID: nodeID, presenceTTL: presenceTTL, clock: clock, epochs: self.epochs
        )
        registry = NodeRegistry(redis: redis, keys: keys, nodeID: nodeID, presenceTTL: presenceTTL, clock: clock)
    }
}

struct UnexpectedReply: Error, CustomStringConvertible {
    let script: String
    let reply: RESPValue
    var description: String { "unexpected reply to \(script): \(reply)" }
}

extension Array {
    func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
