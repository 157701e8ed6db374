import Foundation
import Testing
@testable import ParleyService

/// ``JSONWriter`` against the exact texts the API promises, and against Foundation's decoder for
/// anything it can produce.
@Suite("JSONWriter")
struct JSONWriterTests {
    private func text(_ value: some Encodable) throws -> String {
        String(decoding: try JSONWriter.encode(value), as: UTF8.self)
    }

    @Test func envelopesInDeclarationOrder() throws {
        #expect(try text(FailureBody(data: "参数错误", code: "bad_request")) == #"{"msg":"fail","data":"参数错误","code":"bad_request"}"#)
        let list = FriendList([FriendListItem(id: 7, name: "Bob", username: "bob", avatar: "/a/b.png", star: 0, isblack: 1)])
        #expect(try text(list) == """
            {"count":1,"rows":{"newList":[{"title":"B","list":[{"id":7,"user_id":7,"name":"Bob","username":"bob",\
            "avatar":"/a/b.png","star":0,"isblack":1}]}],"indexList":["B"],"total":1}}
            """)
    }

    /// A ``JSONObjectWritable`` writes the same members through another encoder's keyed container.
    @Test func objectsWritingTheirOwnMembersSayTheSameToAnyEncoder() throws {
        let item = FriendListItem(id: 7, name: "Bob \"B\"", username: "bob", avatar: "", star: 1, isblack: 0)
        let direct = try JSONSerialization.jsonObject(with: Data(JSONWriter.encode(item))) as? NSDictionary
        let foundation = try JSONSerialization.jsonObject(with: JSONEncoder().encode(item)) as? NSDictionary
        #expect(direct != nil && direct == foundation)
        #expect(direct?["user_id"] as? Int == 7)
    }

    /// A type that encodes another into its own encoder, then adds fields, writes one object.
    @Test func oneObjectFromTwoKeyedContainers() throws {
        struct Base: Encodable { let id: Int; let tags: [String] }
        struct Extended: Encodable {
            let base: Base
            let token: String
            enum CodingKeys: CodingKey { case token }
            func encode(to encoder: any Encoder) throws {
                try base.encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(token, forKey: .token)
            }
        }
        #expect(try text([Extended(base: Base(id: 1, tags: ["a"]), token: "t")]) == #"[{"id":1,"tags":["a"],"token":"t"}]"#)
    }

    @Test func emptyContainersAndOptionals() throws {
        struct Holder: Encodable {
            let empty: [Int]
            let nothing: [String: Int]
            let absent: Int?
            let present: Int?
            let nested: [[Int]]
        }
        #expect(try text(Holder(empty: [], nothing: [:], absent: nil, present: 3, nested: [[], [1, 2], []]))
            == #"{"empty":[],"nothing":{},"present":3,"nested":[[],[1,2],[]]}"#)
        #expect(try text([Int?.none, 1]) == "[null,1]")
    }

    @Test func escapesOnlyWhatJSONRequires() throws {
        #expect(try text("a\"b\\c\nd\re\tf\u{1}g/h é 😀") == #""a\"b\\c\nd\re\tf\u0001g/h é 😀""#)
        #expect(try text(["k\"ey": 1]) == #"{"k\"ey":1}"#)
    }

    @Test func numbersAndDates() throws {
        #expect(try text([1.0, 1.5, -0.25]) == "[1,1.5,-0.25]")
        #expect(try text(Int64.min) == "-9223372036854775808")
        #expect(try text(UInt64.max) == "18446744073709551615")
        #expect(try text(true) == "true")
        #expect(try text(Date(timeIntervalSince1970: 1_764_000_000.5)) == #""2025-11-24T16:00:00.500Z""#)
        #expect(throws: EncodingError.self) { try text(Double.nan) }
        #expect(throws: EncodingError.self) { try text([Double.infinity]) }
    }

    @Test func objectsOfJSONValueAreSorted() throws {
        let value = JSONValue.object(["b": .integer(2), "a": .array([.null, .bool(false), .object(["z": .string("x"), "y": .number(0.5)])])])
        #expect(try text(value) == #"{"a":[null,false,{"y":0.5,"z":"x"}],"b":2}"#)
    }

    /// A validation text quotes a wrong array or object as the writer writes it.
    @Test func displayTextOfContainersIsTheWritersText() {
        let value = JSONValue.array([.string("a\"b/\u{1}"), .object(["b": .integer(1), "a": .null]), .number(0.5)])
        #expect(value.displayText == #"["a\"b/\u0001",{"a":null,"b":1},0.5]"#)
        #expect(JSONValue.string("a\"b").displayText == #"a"b"#)
    }

    /// Random values of every shape: what the writer emits decodes back to the same value.
    @Test func randomValuesRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(try JSONWriter.encode(value)))
            #expect(decoded == value)
        }
    }

    private static func randomValue(depth: Int, using generator: inout some RandomNumberGenerator) -> JSONValue {
        let leafOnly = depth >= 4
        switch Int.random(in: 0..<(leafOnly ? 5 : 7), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .integer(Int64.random(in: -1_000_000...1_000_000, using: &generator))
        case 3: return .number(Double(Int.random(in: -1000...1000, using: &generator)) + 0.25)
        case 4: return .string(randomString(using: &generator))
        case 5: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                members[randomString(using: &generator)] = randomValue(depth: depth + 1, using: &generator)
            }
            return .object(members)
        }
    }

    private static func randomString(using generator: inout some RandomNumberGenerator) -> String {
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "é", "张", "😀", "\u{2028}"]
        return String((0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
