import Foundation
import FuzzSupport
@testable import ParleyParsers

/// A `JSONValue` built from the input, written by `JSONWriter` and read back by Foundation's
/// `JSONDecoder`: the text must be JSON and mean the same value. A `Double` must read back as the
/// same `Double`, also where the text reads back as an integer (the writer prints whole numbers
/// without ".0", and 4.825060091939887e+16 is the integer 48250600919398870, which as a `Double`
/// is that number again); a value holding a non-finite number must throw instead, as nothing in
/// JSON can say it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONRoundTrip(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(fuzzBytes(start, count))
    let value = JSONValue.fuzzed(from: &input, depth: 0)
    let written: [UInt8]
    do {
        written = try JSONWriter.encode(value)
    } catch {
        precondition(!value.isFinite, "JSONWriter threw \(error) for \(value)")
        return 0
    }
    precondition(value.isFinite, "JSONWriter wrote a non-finite number: \(String(decoding: written, as: UTF8.self))")
    let text = String(decoding: written, as: UTF8.self)
    let read: JSONValue
    do {
        read = try JSONDecoder().decode(JSONValue.self, from: Data(written))
    } catch {
        fatalError("JSONWriter wrote what JSONDecoder refuses (\(error)): \(text)")
    }
    precondition(value.isEquivalent(to: read), "\(value) was written as \(text), read back as \(read)")
    return 0
}

extension JSONValue {
    /// Deep enough for every container path of the writer, well inside JSONDecoder's nesting limit.
    private static let maximumDepth = 16

    /// A tag byte picks the kind; numbers take eight raw bytes (every `Double` bit pattern, NaN
    /// and infinities included), strings a length byte and up to 63 bytes of UTF-8 (invalid
    /// sequences become U+FFFD), containers a count byte and up to 7 members.
    static func fuzzed(from input: inout FuzzInput, depth: Int) -> JSONValue {
        let tag = input.byte() % (depth < maximumDepth ? 7 : 5)
        switch tag {
        case 0: return .null
        case 1: return .bool(input.bool())
        case 2: return .integer(Int64(bitPattern: input.uint64()))
        case 3: return .number(Double(bitPattern: input.uint64()))
        case 4: return .string(fuzzedString(from: &input))
        case 5: return .array((0..<input.byte() % 8).map { _ in fuzzed(from: &input, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<input.byte() % 8 {
                members[fuzzedString(from: &input)] = fuzzed(from: &input, depth: depth + 1)
            }
            return .object(members)
        }
    }

    private static func fuzzedString(from input: inout FuzzInput) -> String {
        String(decoding: input.bytes(upTo: Int(input.byte() % 64)), as: UTF8.self)
    }

    var isFinite: Bool {
        switch self {
        case .number(let number): number.isFinite
        case .array(let values): values.allSatisfy(\.isFinite)
        case .object(let members): members.values.allSatisfy(\.isFinite)
        default: true
        }
    }

    /// Equal, with a number read back as an integer compared as the nearest `Double`.
    func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)): a == b
        case (.number(let a), .integer(let b)): a == Double(b)
        case (.array(let a), .array(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.isEquivalent(to: $1) }
        case (.object(let a), .object(let b)):
            a.count == b.count && a.allSatisfy { key, value in b[key].map(value.isEquivalent(to:)) ?? false }
        default: self == other
        }
    }
}
