/// A strict JSON parser (RFC 8259) for what clients send: Foundation's decoder also takes JSON5-ish
/// input such as trailing commas, which must be a 400, not a body read by other rules than the
/// client's.
///
/// Refused: anything after the value but white space, trailing commas, comments, single quotes,
/// unquoted keys, leading zeros, `NaN`, raw control characters in strings, lone surrogates,
/// invalid UTF-8, and nesting deeper than ``maximumDepth`` (so no input can exhaust the stack).
struct JSONParser {
    struct SyntaxError: Error, Equatable {
        /// The byte offset where the input stopped being JSON.
        let offset: Int
    }

    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The one value `bytes` hold, with nothing but white space around it.
    static func parse<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(Array(bytes))
        parser.skipWhiteSpace()
        let value = try parser.value()
        parser.skipWhiteSpace()
        guard parser.index == parser.bytes.count else { throw parser.error() }
        return value
    }

    private func error() -> SyntaxError { SyntaxError(offset: index) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhiteSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            index += 1
        }
    }

    private mutating func expect(_ literal: StaticString) throws(SyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error() }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw SyntaxError(offset: index + offset)
        }
        index += count
    }

    private mutating func value() throws(SyntaxError) -> JSONValue {
        guard let byte = current else { throw error() }
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error()
        }
    }

    private mutating func object() throws(SyntaxError) -> JSONValue {
        var members: [String: JSONValue] = [:]
        try elements(closedBy: UInt8(ascii: "}")) { (parser: inout JSONParser) throws(SyntaxError) in
            guard parser.current == UInt8(ascii: "\"") else { throw parser.error() }
            let name = try parser.string()
            parser.skipWhiteSpace()
            try parser.expect(":")
            parser.skipWhiteSpace()
            members[name] = try parser.value()
        }
        return .object(members)
    }

    private mutating func array() throws(SyntaxError) -> JSONValue {
        var elements: [JSONValue] = []
        try self.elements(closedBy: UInt8(ascii: "]")) { (parser: inout JSONParser) throws(SyntaxError) in
            elements.append(try parser.value())
        }
        return .array(elements)
    }

    /// The comma-separated elements of an object or array, from its opening bracket through
    /// `closing`: none, or one or more with no comma after the last.
    private mutating func elements(
        closedBy closing: UInt8,
        _ element: (inout JSONParser) throws(SyntaxError) -> Void
    ) throws(SyntaxError) {
        guard depth < Self.maximumDepth else { throw error() }
        depth += 1
        defer { depth -= 1 }
        index += 1  // the opening bracket
        skipWhiteSpace()
        if current == closing {
            index += 1
            return
        }
        while true {
            skipWhiteSpace()
            try element(&self)
            skipWhiteSpace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case closing: index += 1; return
            default: throw error()
            }
        }
    }

    // MARK: Numbers

    private mutating func number() throws(SyntaxError) -> JSONValue {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        switch current ?? 0 {
        case UInt8(ascii: "0"):
            index += 1  // no leading zeros: `01` stops here and fails as trailing input
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            skipDigits()
        default:
            throw error()
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try requireDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            try requireDigits()
        }
        if isInteger, let integer = Self.integer(bytes[start..<index]) { return .integer(integer) }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let number = Double(text), number.isFinite else { throw SyntaxError(offset: start) }
        return .number(number)
    }

    /// An integer's value read straight from its digits (a token's times, ids: no `String` made for
    /// them), or nil outside `Int64`, which is then read as a `Double`.
    private static func integer(_ literal: ArraySlice<UInt8>) -> Int64? {
        let isNegative = literal.first == UInt8(ascii: "-")
        var value: Int64 = 0
        for byte in literal.dropFirst(isNegative ? 1 : 0) {
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (tens, overflowed) = value.multipliedReportingOverflow(by: 10)
            // Negative numbers count down, so Int64.min, one further from zero than Int64.max, fits.
            let (next, overflowedAgain) = isNegative ? tens.subtractingReportingOverflow(digit) : tens.addingReportingOverflow(digit)
            guard !overflowed, !overflowedAgain else { return nil }
            value = next
        }
        return value
    }

    private mutating func skipDigits() {
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
    }

    private mutating func requireDigits() throws(SyntaxError) {
        let start = index
        skipDigits()
        guard index > start else { throw error() }
    }

    // MARK: Strings

    /// A string's runs of unescaped bytes are validated and copied whole, not a scalar at a time:
    /// most strings have no escape, and become one `String` in one step.
    private mutating func string() throws(SyntaxError) -> String {
        index += 1  // "
        var text = ""
        var runStart = index
        while true {
            guard let byte = current else { throw error() }
            switch byte {
            case UInt8(ascii: "\""):
                try appendRun(from: runStart, to: &text)
                index += 1
                return text
            case UInt8(ascii: "\\"):
                try appendRun(from: runStart, to: &text)
                index += 1
                text.unicodeScalars.append(try escape())
                runStart = index
            case 0x00..<0x20:
                throw error()
            default:
                index += 1
            }
        }
    }

    /// Appends the unescaped bytes since `start`, which must be valid UTF-8.
    private func appendRun(from start: Int, to text: inout String) throws(SyntaxError) {
        guard start < index else { return }
        guard let run = String(validating: bytes[start..<index], as: UTF8.self) else { throw SyntaxError(offset: start) }
        if text.isEmpty { text = run } else { text += run }
    }

    private mutating func escape() throws(SyntaxError) -> Unicode.Scalar {
        guard let byte = current else { throw error() }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"): return try unicodeEscape()
        default: throw SyntaxError(offset: index - 1)
        }
    }

    /// `\uXXXX`, or a surrogate pair of two: a lone surrogate is no character, so it is refused.
    private mutating func unicodeEscape() throws(SyntaxError) -> Unicode.Scalar {
        let first = try hexQuad()
        switch first {
        case 0xD800..<0xDC00:
            try expect("\\u")
            let second = try hexQuad()
            guard (0xDC00..<0xE000).contains(second) else { throw error() }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else { throw error() }
            return scalar
        case 0xDC00..<0xE000:
            throw error()
        default:
            guard let scalar = Unicode.Scalar(first) else { throw error() }
            return scalar
        }
    }

    private mutating func hexQuad() throws(SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit: UInt8
            switch bytes[index] {
            case let byte where (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte): digit = byte - UInt8(ascii: "0")
            case let byte where (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte): digit = byte - UInt8(ascii: "a") + 10
            case let byte where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte): digit = byte - UInt8(ascii: "A") + 10
            default: throw error()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
