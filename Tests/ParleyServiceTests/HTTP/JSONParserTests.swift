import Foundation
import Testing
@testable import ParleyService

@Suite("JSONParser")
struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text.utf8) }

    @Test(arguments: [
        #"{}"#, #"[]"#, #" {"a" : [1, -2, 3.5, -0.25E-2, 1.5e-3, true, false, null, "x"]} "#,
        #"{"nested":{"deep":[[{"k":"v"}]]}}"#, #""\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#, #"9223372036854775807"#,
        #"-9223372036854775808"#, #"18446744073709551616"#, #""中文 🇨🇳""#, "0", "-0",
        #"-9223372036854775809"#, #"{"run":"héllo\nwörld\t中","end":"x\u00e9"}"#, #"[-0.5, 10, -7]"#,
    ])
    func readsWhatFoundationReads(text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try parse(text) == expected)
    }

    @Test func keepsIntegersAndNumbersApart() throws {
        #expect(try parse("12") == .integer(12))
        #expect(try parse("12.0") == .number(12))
        #expect(try parse("1e2") == .number(100))
    }

    @Test(arguments: [
        "", " ", #"{"a":1,}"#, "[1,]", "[,1]", #"{"a":1}x"#, #"{'a':1}"#, "{a:1}", #"{"a" 1}"#, "01", "-", "1.", ".5", "1e",
        "+1", "NaN", "Infinity", "1e999", "tru", "nul", #"{"a":1} // comment"#, "/* c */ 1", #""unterminated"#,
        "\"raw\ttab\"", "\"raw\nnewline\"", #""\x41""#, #""\u12""#, #""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#,
        "[1 2]", #"{"a":1 "b":2}"#, "\u{FEFF}{}",
    ])
    func refusesWhatRFC8259Refuses(text: String) {
        #expect(throws: JSONParser.SyntaxError.self, "\(text)") { try parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }
    }

    /// Nesting is bounded, so no body can exhaust the stack.
    @Test func refusesNestingDeeperThanItsLimit() throws {
        let deepest = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        _ = try parse(deepest)
        let tooDeep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.SyntaxError.self) { try parse(tooDeep) }
    }
}
