import NIOCore
import Testing
@testable import ParleyService

@Suite("AcknowledgementWindows")
struct AcknowledgementWindowsTests {
    @Test func aSocketSentNothingStartsAtTheCursorWithAWholeWindow() {
        var windows = AcknowledgementWindows<String>(size: 10)
        #expect(windows.room(userID: 1, socket: "a") == (0, 10))
    }

    @Test func theWindowIsWhatWasSentAndNotAcknowledged() {
        var windows = AcknowledgementWindows<String>(size: 10)
        windows.sending(userID: 1, socket: "a", through: 25, cursor: 20)
        #expect(windows.room(userID: 1, socket: "a") == (25, 5))
        #expect(windows.acknowledged(userID: 1, socket: "a", through: 23) == (23, false))
        #expect(windows.room(userID: 1, socket: "a") == (25, 8))
    }

    @Test func aFullWindowStallsAndTheNextAcknowledgementResumes() {
        var windows = AcknowledgementWindows<String>(size: 10)
        windows.sending(userID: 1, socket: "a", through: 10, cursor: 0)
        #expect(windows.room(userID: 1, socket: "a") == (10, 0))
        #expect(windows.acknowledged(userID: 1, socket: "a", through: 4) == (4, true), "resumes")
        #expect(windows.acknowledged(userID: 1, socket: "a", through: 6) == (6, false), "once")
    }

    @Test func anAcknowledgementCountsOnlyUpToWhatWasSentAndNeverBackwards() {
        var windows = AcknowledgementWindows<String>(size: 10)
        windows.sending(userID: 1, socket: "a", through: 5, cursor: 0)
        #expect(windows.acknowledged(userID: 1, socket: "a", through: 99) == (5, false))
        #expect(windows.acknowledged(userID: 1, socket: "a", through: 3) == (nil, false))
        #expect(windows.acknowledged(userID: 1, socket: "a", through: 5) == (nil, false))
    }

    @Test func anotherSocketOfTheAccountStartsOverAndTheOldOnesAcknowledgementsAreIgnored() {
        var windows = AcknowledgementWindows<String>(size: 10)
        windows.sending(userID: 1, socket: "old", through: 8, cursor: 2)
        #expect(windows.room(userID: 1, socket: "new") == (0, 10), "from the cursor: 3–8 are sent again")
        windows.sending(userID: 1, socket: "new", through: 4, cursor: 2)
        #expect(windows.acknowledged(userID: 1, socket: "old", through: 8) == (nil, false))
        #expect(windows.acknowledged(userID: 1, socket: "new", through: 4) == (4, false))
    }

    @Test func aClosedSocketIsForgotten() {
        var windows = AcknowledgementWindows<String>(size: 10)
        windows.sending(userID: 1, socket: "a", through: 3, cursor: 0)
        windows.socketClosed(userID: 1, socket: "b")
        #expect(windows.count == 1, "another socket's close changes nothing")
        windows.socketClosed(userID: 1, socket: "a")
        #expect(windows.count == 0)
        #expect(windows.acknowledged(userID: 1, socket: "a", through: 3) == (nil, false))
    }
}

@Suite("Inbox frames")
struct InboxFrameTests {
    let message = Message(
        id: 7, fromID: 1, fromName: "a", fromAvatar: "", toID: 2, toName: "b", toAvatar: "", chatType: .user,
        type: .text, data: "hi", options: .object([:]), createTime: 0
    )
    let notice = MessageNotice(fromID: 2, toID: 1, chatType: .user, id: 7)

    @Test func theOldClientsSocketGetsOnlyTheFramesAPIMdKnows() throws {
        #expect(try InboxEntry(seq: 1, event: .message(message)).frame(numbered: false) == .chatMessage(json: try message.jsonText()))
        #expect(try InboxEntry(seq: 2, event: .message(message.recalled)).frame(numbered: false) == nil)
        #expect(try InboxEntry(seq: 3, event: .recall(notice)).frame(numbered: false) == .recall(json: try notice.jsonText()))
        #expect(try InboxEntry(seq: 4, event: .read(notice)).frame(numbered: false) == nil)
    }

    @Test func anAcknowledgingSocketGetsEveryEntryNumbered() throws {
        let recalled = try #require(try InboxEntry(seq: 2, event: .message(message.recalled)).frame(numbered: true))
        #expect(recalled.text.hasPrefix(#"{"seq":2,"msg":"ok","data":{"#))
        #expect(recalled.text.contains(#""isremove":1"#) && recalled.text.contains(#""data":"""#))
        let read = try #require(try InboxEntry(seq: 4, event: .read(notice)).frame(numbered: true))
        #expect(read.text == #"{"seq":4,"msg":"read","data":{"id":7,"from_id":2,"to_id":1,"chat_type":"user"}}"#)
    }

    /// A pass sizes its chunks by `byteCount`, which must be the text's length without building it.
    @Test func aFramesByteCountIsItsTextsLength() throws {
        let frames: [ServerFrame] = [
            .chatMessage(json: try message.jsonText()), .recall(json: try notice.jsonText()), .updateApplyList,
            .numbered(json: try InboxEntry(seq: 3, event: .message(message)).jsonText()), .fail(.kicked),
            .chatMessage(json: #"{"data":"聊天 👍🏽"}"#),
        ]
        for frame in frames {
            #expect(frame.byteCount == frame.text.utf8.count, "\(frame)")
        }
    }

    @Test(arguments: [
        (#"{"type":"ack","seq":12}"#, ClientFrame.acknowledge(seq: 12)),
        (#"{"seq":0,"type":"ack","extra":true}"#, .acknowledge(seq: 0)),
        (#"{"type":"ack","seq":-1}"#, nil),
        (#"{"type":"ack","seq":"12"}"#, nil),
        (#"{"type":"typing"}"#, nil),
        ("ack 12", nil),
    ] as [(String, ClientFrame?)])
    func clientFramesAreReadOrIgnored(text: String, frame: ClientFrame?) {
        #expect(ClientFrame(ByteBuffer(string: text)) == frame)
    }
}
