import Foundation
import NIOCore

/// A node as the registry and the dashboard show it.
struct NodeCard: Codable, Sendable, Equatable {
    var id: String
    var address: String
    var version: String
    var startedAt: Date
    var lastSeen: Date
    var connections: Int
    var draining: Bool

    enum CodingKeys: String, CodingKey {
        case id, address, version, connections, draining
        case startedAt = "started_at"
        case lastSeen = "last_seen"
    }
}

extension NodeCard {
    /// Reads a card as Redis holds it.
    ///
    /// Rolling upgrade: a card is ``JSONWriter``'s text, its dates ``Timestamp``s. The release
    /// before wrote cards with `JSONEncoder`'s default dates, seconds since 2001 as a number, and
    /// its nodes go on writing them until the rollout replaces them, so both forms are read here.
    /// (Those nodes cannot read the new form: until they are gone, their `GET /admin/cluster` lists
    /// only the nodes of their own release.) The number can go once no node of that release runs.
    init(stored: ByteBuffer) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let value = try decoder.singleValueContainer()
            if let secondsSince2001 = try? value.decode(Double.self) {
                return Date(timeIntervalSinceReferenceDate: secondsSince2001)
            }
            return try Timestamp.date(from: value.decode(String.self))
        }
        self = try decoder.decode(NodeCard.self, from: Data(buffer: stored))
    }
}
