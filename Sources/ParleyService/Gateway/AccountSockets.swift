extension GatewayStateMachine {
    /// The sockets of one account on this node, in the order they connected (connection ids grow).
    /// Almost always one, held inline: a node holding tens of thousands of idle accounts allocates
    /// no set per account. A takeover under way adds a few, kept in an array.
    struct AccountSockets: Sequence, ExpressibleByArrayLiteral, Equatable {
        private var first: ConnectionID?
        private var rest: [ConnectionID] = []

        init(arrayLiteral connections: ConnectionID...) {
            for connection in connections { insert(connection) }
        }

        var isEmpty: Bool { first == nil }

        mutating func insert(_ connection: ConnectionID) {
            guard let first else {
                self.first = connection
                return
            }
            guard connection != first, !rest.contains(connection) else { return }
            if connection < first {
                rest.insert(first, at: 0)
                self.first = connection
            } else {
                rest.insert(connection, at: rest.firstIndex { $0 > connection } ?? rest.endIndex)
            }
        }

        mutating func remove(_ connection: ConnectionID) {
            if connection == first {
                first = rest.isEmpty ? nil : rest.removeFirst()
            } else {
                rest.removeAll { $0 == connection }
            }
        }

        struct Iterator: IteratorProtocol {
            fileprivate var first: ConnectionID?
            fileprivate var rest: IndexingIterator<[ConnectionID]>

            mutating func next() -> ConnectionID? {
                if let first {
                    self.first = nil
                    return first
                }
                return rest.next()
            }
        }

        func makeIterator() -> Iterator {
            Iterator(first: first, rest: rest.makeIterator())
        }
    }
}
