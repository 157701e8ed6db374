import Foundation

/// A node as the registry and the dashboard show it.
public struct NodeCard: Codable, Sendable, Equatable {
    public var id: String
    public var address: String
    public var version: String
    public var startedAt: Date
    public var lastSeen: Date
    public var connections: Int
    public var draining: Bool

    enum CodingKeys: String, CodingKey {
        case id, address, version, connections, draining
        case startedAt = "started_at"
        case lastSeen = "last_seen"
    }
}
