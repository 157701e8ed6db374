import Foundation
import PostgresNIO

/// The SQL for friend requests, including the transaction that turns one into a friendship.
struct ApplyStore: Sendable {
    let database: Database

    /// The columns of ``Apply``, in the order ``decodeApply(_:)`` reads them.
    static let columns = "id, user_id, friend_id, nickname, lookme, lookhim, status, created_at, updated_at"

    /// A pending request from `userID` to `friendID`; `nil` when one is already pending (the
    /// partial unique index decides, so two concurrent requests can never both be written).
    func create(userID: Int, friendID: Int, nickname: String, lookme: Int, lookhim: Int) async throws -> Apply? {
        do {
            let rows = try await database.query(
                """
                INSERT INTO applies (user_id, friend_id, nickname, lookme, lookhim)
                VALUES (\(userID), \(friendID), \(nickname), \(Int16(lookme)), \(Int16(lookhim)))
                RETURNING \(unescaped: Self.columns)
                """
            )
            for try await row in rows {
                return try Self.decodeApply(row)
            }
            return nil
        } catch where Database.isUniqueViolation(error, constraint: "applies_one_pending_per_pair") {
            return nil
        }
    }

    /// The requests sent to `userID`, newest first, each with its applicant.
    func received(by userID: Int, limit: Int, offset: Int) async throws -> [ReceivedApply] {
        let rows = try await database.query(
            """
            SELECT a.id, a.user_id, a.friend_id, a.nickname, a.lookme, a.lookhim, a.status, a.created_at,
                a.updated_at, u.username, u.nickname, u.avatar
            FROM applies a JOIN users u ON u.id = a.user_id
            WHERE a.friend_id = \(userID)
            ORDER BY a.id DESC LIMIT \(limit) OFFSET \(offset)
            """
        )
        var received: [ReceivedApply] = []
        for try await row in rows {
            let apply = try Self.decodeApply(row)
            let columns = row.makeRandomAccess()
            let user = UserSummary(
                id: apply.userID,
                username: try columns[9].decode(String.self),
                nickname: try columns[10].decode(String.self),
                avatar: try columns[11].decode(String.self)
            )
            received.append(ReceivedApply(apply: apply, user: user))
        }
        return received
    }

    /// How many requests sent to `userID` wait for an answer.
    func pendingCount(for userID: Int) async throws -> Int {
        let rows = try await database.query(
            "SELECT count(*) FROM applies WHERE friend_id = \(userID) AND status = 'pending'"
        )
        for try await count in rows.decode(Int.self) {
            return count
        }
        return 0
    }

    /// Answers the pending request `applyID` sent to `addresseeID` with `refuse` or `ignore`;
    /// `false` when there is no such pending request.
    func settle(applyID: Int, addresseeID: Int, as status: ApplyStatus) async throws -> Bool {
        let rows = try await database.query(
            """
            UPDATE applies SET status = \(status.rawValue), updated_at = now()
            WHERE id = \(applyID) AND friend_id = \(addresseeID) AND status = 'pending'
            RETURNING id
            """
        )
        for try await _ in rows { return true }
        return false
    }

    /// Agrees to the pending request `applyID` sent to `addresseeID`, in one transaction: the two
    /// friend rows are written (the applicant's from the request, mine from `mine`) and every
    /// pending request between the two people, in either direction, becomes `agree`.
    ///
    /// Every agree between two people first locks all their pending requests, lowest id first, so
    /// two agrees racing (on one apply, or on the two directions) run one after the other: the
    /// second finds its request no longer pending and answers `nil`. `friends_pair_key` with
    /// `ON CONFLICT DO NOTHING` keeps a friendship that already exists as it is.
    /// - Returns: the applicant, or `nil` when there is no such pending request.
    func agree(applyID: Int, addresseeID: Int, mine: FriendSettings) async throws -> Int? {
        try await database.transaction { connection in
            let applicantRows = try await connection.query(
                "SELECT user_id FROM applies WHERE id = \(applyID) AND friend_id = \(addresseeID) AND status = 'pending'",
                logger: database.logger
            )
            var applicant: Int?
            for try await userID in applicantRows.decode(Int.self) { applicant = userID }
            guard let applicant else { return nil }

            let locked = try await connection.query(
                """
                SELECT id, nickname, lookme, lookhim FROM applies
                WHERE status = 'pending'
                    AND ((user_id = \(applicant) AND friend_id = \(addresseeID))
                        OR (user_id = \(addresseeID) AND friend_id = \(applicant)))
                ORDER BY id FOR UPDATE
                """,
                logger: database.logger
            )
            var pendingIDs: [Int] = []
            var theirs: FriendSettings?
            for try await (id, nickname, lookme, lookhim) in locked.decode((Int, String, Int16, Int16).self) {
                pendingIDs.append(id)
                if id == applyID {
                    theirs = FriendSettings(nickname: nickname, lookme: Int(lookme), lookhim: Int(lookhim))
                }
            }
            guard let theirs else { return nil }

            // Lower owner first, so concurrent writers of one pair always take its rows in one order.
            let rows = [(applicant, addresseeID, theirs), (addresseeID, applicant, mine)].sorted { $0.0 < $1.0 }
            for (owner, friend, settings) in rows {
                try await connection.query(
                    """
                    INSERT INTO friends (user_id, friend_id, nickname, lookme, lookhim)
                    VALUES (\(owner), \(friend), \(settings.nickname), \(Int16(settings.lookme)), \(Int16(settings.lookhim)))
                    ON CONFLICT ON CONSTRAINT friends_pair_key DO NOTHING
                    """,
                    logger: database.logger
                )
            }
            try await connection.query(
                "UPDATE applies SET status = 'agree', updated_at = now() WHERE id = ANY(\(pendingIDs))",
                logger: database.logger
            )
            return applicant
        }
    }

    static func decodeApply(_ row: PostgresRow) throws -> Apply {
        let (id, userID, friendID, nickname, lookme, lookhim, status, createdAt, updatedAt) =
            try row.decode((Int, Int, Int, String, Int16, Int16, String, Date, Date).self)
        guard let status = ApplyStatus(rawValue: status) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown apply status \(status)"))
        }
        return Apply(
            id: id, userID: userID, friendID: friendID, nickname: nickname, lookme: Int(lookme), lookhim: Int(lookhim),
            status: status, createdAt: createdAt, updatedAt: updatedAt
        )
    }
}

/// One side's view of a friendship as a request or an answer sets it.
struct FriendSettings: Sendable, Equatable {
    /// The remark for the friend; `""` for none.
    var nickname: String
    var lookme: Int
    var lookhim: Int
}
