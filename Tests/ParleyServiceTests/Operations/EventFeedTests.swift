import Foundation
import Testing
@testable import ParleyService

/// The event feed's pure parts: outages opened and closed by probes, entries written and read back.
@Suite("Event feed")
struct EventFeedTests {
    let start = Date(timeIntervalSince1970: 1_764_561_600)

    @Test func anOutageOpensAtTheFirstFailedProbeAndClosesAtTheFirstAnswer() {
        var watch = OutageWatch()
        watch.observe(.redis, answered: true, at: start, node: "n1")
        #expect(watch.pending.isEmpty)
        watch.observe(.redis, answered: false, at: start + 5, node: "n1")
        watch.observe(.redis, answered: false, at: start + 10, node: "n1")
        watch.observe(.postgresql, answered: true, at: start + 10, node: "n1")
        #expect(watch.pending.map(\.kind) == [.redisDown])
        watch.observe(.redis, answered: true, at: start + 20, node: "n1")
        #expect(watch.pending.map(\.kind) == [.redisDown, .redisUp])
        #expect(watch.pending.map(\.at) == [start + 5, start + 20])
        #expect(watch.pending[1].detail == "down for about 15 s")
        watch.written(1)
        #expect(watch.pending.map(\.kind) == [.redisUp])
        watch.written(5)
        #expect(watch.pending.isEmpty)
    }

    @Test func eventsWaitingForRedisAreCapped() {
        var watch = OutageWatch()
        for second in 0..<40 {
            watch.observe(.postgresql, answered: second % 2 == 1, at: start + Double(second), node: "n1")
        }
        #expect(watch.pending.count == OutageWatch.maximumPending)
        #expect(watch.pending.last?.kind == .postgresqlUp)
        #expect(watch.pending.last?.at == start + 39)
    }

    @Test func anEntryReadsBackAsTheEventWritten() {
        let event = ClusterEvent(at: start, kind: .userDisabled, node: "n2", userID: 42, address: "10.0.0.9")
        var read = ClusterEvent(id: "1-0", fields: event.fields)
        #expect(read?.id == "1-0")
        read?.id = nil
        #expect(read == event)
        #expect(ClusterEvent(id: "1-0", fields: ["kind", "from_the_future", "node", "n", "at", "1"]) == nil)
        #expect(ClusterEvent(id: "1-0", fields: ["kind", "node_left", "node"]) == nil)
    }

    @Test func onlyStreamIDsPageTheFeed() {
        #expect(AdminController.isStreamID("1764561600000-0"))
        for invalid in ["", "1", "1-", "-1", "1-2-3", "a-1", "+1-0", "1 -0"] {
            #expect(!AdminController.isStreamID(invalid), "\(invalid)")
        }
    }
}
