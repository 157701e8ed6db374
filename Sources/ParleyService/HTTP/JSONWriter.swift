import Foundation

/// Encodes an `Encodable` value as compact JSON in one pass, straight into bytes.
///
/// Foundation's `JSONEncoder` first builds a tree of boxed values and then serializes it
/// (BENCHMARKS.md, fix 1). This writer emits each value the moment `encode(to:)` hands it over,
/// which is all Parley's payloads need:
///
/// - Members come out in the order `encode(to:)` writes them (declaration order for synthesized
///   conformances); dictionaries in their own order — ``JSONValue`` sorts its objects itself.
/// - Containers must be used one after the other, as synthesized code does: writing to a container
///   closes the nested containers opened in it before. Asking one encoder twice for a keyed
///   container gives the same object (how `Me` adds its fields to a `Profile`).
/// - `Date` is written as a ``Timestamp``; slashes are not escaped; non-finite numbers throw.
/// - A ``JSONObjectWritable`` (a contact list's friend) writes its members without a container.
///
/// It is Parley's one JSON producer: the request context's response encoder
/// (``AppRequestContext/responseEncoder``), socket frames, the JSON log lines, and what nodes keep
/// in Redis.
struct JSONWriter: Sendable {
    init() {}

    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let output = JSONOutput()
        try output.writeValue(value)
        return output.bytes
    }
}

extension Encodable {
    /// This value as compact JSON text (``JSONWriter``), for a socket frame, a validation text or Redis.
    func jsonText() throws -> String {
        String(decoding: try JSONWriter.encode(self), as: UTF8.self)
    }
}

/// The bytes written so far and the containers still open.
private final class JSONOutput {
    private struct OpenContainer {
        let closer: UInt8
        var isEmpty = true
    }

    // Unchecked: only the one `JSONWriter.encode` call that owns this output touches it, and the
    // run-time checks on every append cost more than the append (BENCHMARKS.md, fix 9).
    @exclusivity(unchecked) var bytes: [UInt8] = []
    @exclusivity(unchecked) private var open: [OpenContainer] = []

    init() {
        bytes.reserveCapacity(512)
    }

    var depth: Int { open.count }

    // MARK: Containers

    /// Opens a container for the value written at `depth`, or goes on with the one that value
    /// already opened: a type that encodes another into its own encoder first (`Me` is a
    /// `Profile` plus private fields) asks twice and means one object, as with JSONEncoder.
    func openContainer(at depth: Int, opener: UInt8, closer: UInt8) {
        if open.count > depth, open[depth].closer == closer {
            close(above: depth + 1)
            return
        }
        close(above: depth)
        bytes.append(opener)
        open.append(OpenContainer(closer: closer))
    }

    /// Closes the containers nested deeper than `depth` that their writers left open.
    func close(above depth: Int) {
        while open.count > depth {
            bytes.append(open.removeLast().closer)
        }
    }

    /// Prepares the container at `depth` for its next member: closes what was nested in it before
    /// and writes the separator.
    func beginMember(at depth: Int) {
        close(above: depth)
        if open[depth - 1].isEmpty {
            open[depth - 1].isEmpty = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    func beginMember(at depth: Int, key: String) {
        beginMember(at: depth)
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    // MARK: Values

    func writeValue<Value: Encodable>(_ value: Value) throws {
        if Value.self == Date.self, let date = value as? Date {
            writeString(Timestamp.string(from: date))
            return
        }
        let depth = self.depth
        if let object = value as? any JSONObjectWritable {
            openContainer(at: depth, opener: UInt8(ascii: "{"), closer: UInt8(ascii: "}"))
            var members = JSONMembers(output: self, depth: depth + 1)
            try object.writeMembers(to: &members)
            close(above: depth)
            return
        }
        let start = bytes.count
        try value.encode(to: StreamingEncoder(output: self, depth: depth))
        close(above: depth)
        if bytes.count == start {
            // A value that encoded nothing is an empty object, as with JSONEncoder.
            bytes.append(contentsOf: "{}".utf8)
        }
    }

    func writeNull() {
        bytes.append(contentsOf: "null".utf8)
    }

    func writeBool(_ value: Bool) {
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Writes the decimal digits straight into the output, without a `String` in between.
    func writeInteger(_ value: some FixedWidthInteger) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude != 0
        bytes[start...].reverse()
    }

    func writeNumber(_ value: some BinaryFloatingPoint & LosslessStringConvertible, codingPath: [any CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not valid in JSON"))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    func writeString(_ string: String) {
        var string = string
        // Over the contiguous UTF-8 bytes: scanning `String.UTF8View` byte by byte was a tenth of
        // the contact list's encoding.
        string.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            if utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                writeEscaped(utf8)
            } else {
                bytes.append(contentsOf: utf8)
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// The `Encoder` handed to `encode(to:)`: it starts containers at its place in the output.
private struct StreamingEncoder: Encoder {
    let output: JSONOutput
    /// How many containers were open where this encoder writes its value.
    let depth: Int

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        output.openContainer(at: depth, opener: UInt8(ascii: "{"), closer: UInt8(ascii: "}"))
        return KeyedEncodingContainer(KeyedContainer(output: output, depth: depth + 1))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        output.openContainer(at: depth, opener: UInt8(ascii: "["), closer: UInt8(ascii: "]"))
        return UnkeyedContainer(output: output, depth: depth + 1)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(output: output)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let output: JSONOutput
    /// The depth of this container once open.
    let depth: Int

    var codingPath: [any CodingKey] { [] }

    private func member(_ key: Key) {
        output.beginMember(at: depth, key: key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws { member(key); output.writeNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { member(key); output.writeBool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { member(key); output.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { member(key); try output.writeNumber(value, codingPath: [key]) }
    mutating func encode(_ value: Float, forKey key: Key) throws { member(key); try output.writeNumber(value, codingPath: [key]) }
    mutating func encode(_ value: Int, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { member(key); output.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { member(key); try output.writeValue(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        member(key)
        return StreamingEncoder(output: output, depth: depth).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        member(key)
        return StreamingEncoder(output: output, depth: depth).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        output.beginMember(at: depth, key: "super")
        return StreamingEncoder(output: output, depth: depth)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        member(key)
        return StreamingEncoder(output: output, depth: depth)
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let output: JSONOutput
    let depth: Int
    private(set) var count = 0

    init(output: JSONOutput, depth: Int) {
        self.output = output
        self.depth = depth
    }

    var codingPath: [any CodingKey] { [] }

    private mutating func element() {
        output.beginMember(at: depth)
        count += 1
    }

    mutating func encodeNil() throws { element(); output.writeNull() }
    mutating func encode(_ value: Bool) throws { element(); output.writeBool(value) }
    mutating func encode(_ value: String) throws { element(); output.writeString(value) }
    mutating func encode(_ value: Double) throws { element(); try output.writeNumber(value, codingPath: []) }
    mutating func encode(_ value: Float) throws { element(); try output.writeNumber(value, codingPath: []) }
    mutating func encode(_ value: Int) throws { element(); output.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { element(); output.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { element(); output.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { element(); output.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { element(); output.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { element(); output.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { element(); output.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { element(); output.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { element(); output.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { element(); output.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { element(); try output.writeValue(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        element()
        return StreamingEncoder(output: output, depth: depth).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        element()
        return StreamingEncoder(output: output, depth: depth).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        element()
        return StreamingEncoder(output: output, depth: depth)
    }
}

/// A single value writes at the place its encoder was given; the separator and key are already out.
private struct SingleValueContainer: SingleValueEncodingContainer {
    let output: JSONOutput

    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { output.writeNull() }
    mutating func encode(_ value: Bool) throws { output.writeBool(value) }
    mutating func encode(_ value: String) throws { output.writeString(value) }
    mutating func encode(_ value: Double) throws { try output.writeNumber(value, codingPath: []) }
    mutating func encode(_ value: Float) throws { try output.writeNumber(value, codingPath: []) }
    mutating func encode(_ value: Int) throws { output.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { output.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { output.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { output.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { output.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { output.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try output.writeValue(value) }
}

/// A flat object that hands its members over one by one, for the objects an answer holds by the
/// hundred (the friends of a contact list). ``JSONWriter`` writes them without `Encoder`'s keyed
/// containers, whose boxed container and run-time type lookups per object were four fifths of its
/// time on `GET /friend/list`; any other encoder gets them through a keyed container: a
/// conforming type's `encode(to:)` calls ``encodeMembers(to:)``.
protocol JSONObjectWritable: Encodable {
    func writeMembers(to members: inout JSONMembers) throws
}

extension JSONObjectWritable {
    func encodeMembers(to encoder: any Encoder) throws {
        var members = JSONMembers(container: encoder.container(keyedBy: MemberName.self))
        try writeMembers(to: &members)
    }
}

/// Where a ``JSONObjectWritable`` writes its members: ``JSONWriter``'s output, else a keyed container.
struct JSONMembers {
    private let output: JSONOutput?
    /// The depth of the object in `output`.
    private let depth: Int
    private var container: KeyedEncodingContainer<MemberName>?

    fileprivate init(output: JSONOutput, depth: Int) {
        self.output = output
        self.depth = depth
    }

    fileprivate init(container: KeyedEncodingContainer<MemberName>) {
        self.output = nil
        self.depth = 0
        self.container = container
    }

    mutating func write(_ value: Int, for key: String) throws {
        try member(key, value) { $0.writeInteger(value) }
    }

    mutating func write(_ value: String, for key: String) throws {
        try member(key, value) { $0.writeString(value) }
    }

    /// Writes `key` and, with `writeValue`, `value` into the output; else encodes them into the container.
    private mutating func member<Value: Encodable>(_ key: String, _ value: Value, writeValue: (JSONOutput) -> Void) throws {
        if let output {
            output.beginMember(at: depth, key: key)
            writeValue(output)
        } else {
            try container?.encode(value, forKey: MemberName(stringValue: key))
        }
    }
}
