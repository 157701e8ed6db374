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
}
