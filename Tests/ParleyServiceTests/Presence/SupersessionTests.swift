import NIOCore
import Testing
@testable import ParleyService

/// A supersession's one encoding, read back (its writer, the Lua function, is tested against Redis
/// in ``ClusterScriptsTests``).
@Suite("Supersession")
struct SupersessionTests {
    @Test func readsItsEncodingWithAndWithoutAPublishTime() {
        #expect(
            Supersession(wire: ByteBuffer(string: "supersede|7|1769540000123456|logged_out|1764540000123"))
                == Supersession(userID: 7, generation: 1_769_540_000_123_456, reason: .loggedOut, sent: 1_764_540_000_123)
        )
        #expect(
            Supersession(wire: ByteBuffer(string: "supersede|7|1769540000123456|kicked|"))
                == Supersession(userID: 7, generation: 1_769_540_000_123_456, reason: .kicked)
        )
    }

    /// Anything else on the channel or in an inbox is refused, not misread as a kick.
    @Test(arguments: [
        "", "supersede", "supersede|7|1|kicked", "supersede|7|1|kicked|5|6", "kicked|7|1|kicked|",
        "supersede||1|kicked|", "supersede|x|1|kicked|", "supersede|7||kicked|", "supersede|7|1.5|kicked|",
        "supersede|7|1||", "supersede|7|1|banned|", "supersede|7|1|kicked|soon", "Supersede|7|1|kicked|",
        "7|1|kicked", #"{"type":"supersede","reason":"kicked","generation":1,"sent":2}"#,
    ])
    func refusesMalformedInput(_ wire: String) {
        #expect(Supersession(wire: ByteBuffer(string: wire)) == nil)
    }

    /// The push and deliver events that share the account's channel are not supersessions.
    @Test func refusesTheOtherEventsOfTheAccountChannel() throws {
        for event in [UserEvent(type: .deliver), .push(.updateApplyList), .push(.chatMessage(json: #"{"id":1}"#))] {
            #expect(Supersession(wire: ByteBuffer(bytes: try JSONWriter.encode(event))) == nil)
        }
    }
}
