import Foundation

/// One entry of the cluster's event feed (docs/api.md §9).
struct ClusterEvent: Encodable, Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable, Encodable {
        case nodeJoined = "node_joined"
        case nodeDraining = "node_draining"
        case nodeLeft = "node_left"
        case nodeReaped = "node_reaped"
        case redisDown = "redis_down"
        case redisUp = "redis_up"
        case postgresqlDown = "postgresql_down"
        case postgresqlUp = "postgresql_up"
        case userKicked = "user_kicked"
        case userDisabled = "user_disabled"
        case userEnabled = "user_enabled"
        case sessionsRevoked = "sessions_revoked"
    }

    /// The stream entry's id (`<ms>-<seq>`); `nil` until written.
    @Nullable var id: String?
    var at: Date
    var kind: Kind
    /// The node the event is about, or that saw it.
    var node: String
    @Nullable var userID: Int?
    /// The caller's address, for an operator's action: the admin token names no person.
    @Nullable var address: String?
    @Nullable var detail: String?

    enum CodingKeys: String, CodingKey {
        case id, at, kind, node, address, detail
        case userID = "user_id"
    }

    /// The stream entry's fields (`XADD … field value …`); absent values are left out.
    var fields: [String] {
        var fields = ["kind", kind.rawValue, "node", node, "at", String(Int64((at.timeIntervalSince1970 * 1000).rounded()))]
        if let userID { fields += ["user_id", String(userID)] }
        if let address { fields += ["address", address] }
        if let detail { fields += ["detail", detail] }
        return fields
    }

    /// The event of a stream entry; `nil` for an entry this version cannot read.
    init?(id: String, fields: [String]) {
        var values: [String: String] = [:]
        for pair in stride(from: 0, to: fields.count - 1, by: 2) { values[fields[pair]] = fields[pair + 1] }
        guard let kind = values["kind"].flatMap(Kind.init(rawValue:)), let node = values["node"],
            let at = values["at"].flatMap(Int64.init)
        else { return nil }
        self.init(
            id: id, at: Date(timeIntervalSince1970: Double(at) / 1000), kind: kind, node: node,
            userID: values["user_id"].flatMap { Int($0) }, address: values["address"], detail: values["detail"]
        )
    }

    init(id: String? = nil, at: Date = Date(), kind: Kind, node: String, userID: Int? = nil, address: String? = nil, detail: String? = nil) {
        self.id = id
        self.at = at
        self.kind = kind
        self.node = node
        self.userID = userID
        self.address = address
        self.detail = detail
    }
}
