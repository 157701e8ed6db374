import Testing
@testable import ParleyService

@Suite("DeliveryPasses")
struct DeliveryPassesTests {
    @Test func onePassPerAccountAndANudgeDuringItAsksForAnother() {
        var passes = DeliveryPasses<String>()
        #expect(passes.request(userID: 1, socket: "a") == "a")
        #expect(passes.request(userID: 1, socket: "a") == nil, "a pass is under way")
        #expect(passes.request(userID: 2, socket: "b") == "b", "other accounts have their own")
        #expect(passes.batchEnded(userID: 1, socket: "a", more: false, failed: false) == "a", "asked again")
        #expect(passes.batchEnded(userID: 1, socket: "a", more: false, failed: false) == nil)
        #expect(passes.request(userID: 1, socket: "a") == "a", "a new pass once the last ended")
    }

    @Test func aFullBatchGoesOn() {
        var passes = DeliveryPasses<String>()
        _ = passes.request(userID: 1, socket: "a")
        #expect(passes.batchEnded(userID: 1, socket: "a", more: true, failed: false) == "a")
        #expect(passes.batchEnded(userID: 1, socket: "a", more: false, failed: false) == nil)
        #expect(passes.runningCount == 0)
    }

    /// Issue 13, hole 8: a pass running for an old socket absorbed the nudge meant for the new one
    /// on the same node, then failed on the old socket and dropped the nudge.
    @Test func aNudgeForANewSocketSurvivesTheOldSocketsFailure() {
        var passes = DeliveryPasses<String>()
        _ = passes.request(userID: 1, socket: "old")
        #expect(passes.request(userID: 1, socket: "new") == nil)
        #expect(passes.batchEnded(userID: 1, socket: "old", more: false, failed: true) == "new")
        #expect(passes.batchEnded(userID: 1, socket: "new", more: false, failed: false) == nil)
    }

    @Test func aFailedWriteWithNoNewerSocketEndsThePass() {
        var passes = DeliveryPasses<String>()
        _ = passes.request(userID: 1, socket: "a")
        _ = passes.request(userID: 1, socket: "a")
        #expect(passes.batchEnded(userID: 1, socket: "a", more: true, failed: true) == nil)
        #expect(passes.runningCount == 0)
    }

    /// A batch is written in chunks the connection takes before the next is written, each under the
    /// socket's 64 KiB high-water mark: a slow reader's backlog drains instead of being dropped.
    @Test(arguments: [
        ([10, 10, 10], 25, [0..<2, 2..<3]),
        ([10, 15, 10], 25, [0..<2, 2..<3]),
        ([30, 5, 30], 25, [0..<1, 1..<2, 2..<3]),
        ([5, 5], 25, [0..<2]),
        ([], 25, []),
    ] as [([Int], Int, [Range<Int>])])
    func aBatchIsWrittenInChunksOfBoundedSize(sizes: [Int], limit: Int, chunks: [Range<Int>]) {
        #expect(MessageCourier.chunks(sizes: sizes, limit: limit) == chunks)
    }
}
