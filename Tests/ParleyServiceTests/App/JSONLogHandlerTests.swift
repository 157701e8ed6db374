import Foundation
import Logging
import Testing
@testable import ParleyService

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    /// The lines log shippers already parse: the same bytes `JSONSerialization` wrote (sorted keys,
    /// slashes unescaped) before ``JSONWriter`` wrote them.
    @Test func linesAreTheTextsJSONSerializationWrote() throws {
        var handler = JSONLogHandler(label: "parley.http", metadataProvider: Logger.MetadataProvider { ["trace_id": "4bf92f35"] })
        handler[metadataKey: "hb.request.id"] = "42"
        let message = #"Unhandled "error" at /chat/send é 张三 😀"# + "\n\t"
        let event = LogEvent(
            level: .error, message: "\(message)", metadata: ["error.type": "DecodingError", "http.route": "/friend/read/:id", "duration_ms": "12"],
            source: nil, file: #fileID, function: #function, line: #line
        )
        let time = Date(timeIntervalSince1970: 1_764_000_000.5)
        let fields = [
            "ts": "2025-11-24T16:00:00.500Z", "level": "error", "label": "parley.http", "message": message, "trace_id": "4bf92f35",
            "hb.request.id": "42", "error.type": "DecodingError", "http.route": "/friend/read/:id", "duration_ms": "12",
        ]
        let expected = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) + [0x0A]
        #expect(String(decoding: try handler.line(for: event, at: time), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }
}
