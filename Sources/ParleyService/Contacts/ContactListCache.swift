import DequeModule
import NIOCore
import Synchronization

/// The contact lists this node encoded lately, each with the version it was read at
/// (`sql/0010_contact_list_versions.sql`), so `GET /friend/list` answers from memory while a
/// one-row read of the version finds it unchanged: no join, no row decoding, no JSON.
///
/// Bounded by bytes: past ``capacity`` the lists stored longest ago are dropped first.
final class ContactListCache: Sendable {
    private struct Entry {
        let version: Int64
        let body: ByteBuffer
        /// When it was stored, in store calls: tells its place in `order` from older ones.
        let stamp: UInt64
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        /// Every store, oldest first. An owner stored again leaves a stale place behind, skipped
        /// when reached and dropped when they outnumber the entries.
        var order: Deque<(owner: Int, stamp: UInt64)> = []
        var bytes = 0
        var stamps: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    /// 16 MiB by default: about 2,700 lists of 50 friends (6 KB each).
    init(capacity: Int = 16 << 20) {
        self.capacity = capacity
    }

    /// The body kept for `ownerID`, if it was read at `version`.
    func body(for ownerID: Int, version: Int64) -> ByteBuffer? {
        state.withLock { state in
            guard let entry = state.entries[ownerID], entry.version == version else { return nil }
            return entry.body
        }
    }

    /// Keeps `body`, read at `version`, unless a list of a newer version is kept already.
    func store(_ body: ByteBuffer, for ownerID: Int, version: Int64) {
        guard body.readableBytes <= capacity else { return }
        state.withLock { state in
            if let kept = state.entries[ownerID] {
                guard kept.version < version else { return }
                state.bytes -= kept.body.readableBytes
            }
            state.stamps += 1
            state.entries[ownerID] = Entry(version: version, body: body, stamp: state.stamps)
            state.order.append((ownerID, state.stamps))
            state.bytes += body.readableBytes
            while state.bytes > capacity, let oldest = state.order.popFirst() {
                guard let entry = state.entries[oldest.owner], entry.stamp == oldest.stamp else { continue }
                state.entries[oldest.owner] = nil
                state.bytes -= entry.body.readableBytes
            }
            if state.order.count > 2 * state.entries.count + 64 {
                state.order = Deque(state.entries.map { ($0.key, $0.value.stamp) }.sorted { $0.1 < $1.1 })
            }
        }
    }

    /// How many lists and bytes are kept, and the places in the eviction order.
    var size: (lists: Int, bytes: Int, places: Int) { state.withLock { ($0.entries.count, $0.bytes, $0.order.count) } }
}
