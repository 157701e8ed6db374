/// A fuzz input read front to back as the choices of a structured test case (which frame comes
/// next, how long it is, what it holds); past the end every read gives zeros, so any input,
/// however short, decodes to some case and the fuzzer never wastes runs on rejected inputs.
public struct FuzzInput {
    private let data: UnsafeRawBufferPointer
    private var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.data = bytes
    }

    public var isAtEnd: Bool { offset >= data.count }

    public mutating func byte() -> UInt8 {
        guard offset < data.count else { return 0 }
        defer { offset += 1 }
        return data[offset]
    }

    public mutating func bool() -> Bool {
        byte() & 1 == 1
    }

    /// Eight bytes, little-endian.
    public mutating func uint64() -> UInt64 {
        (0..<8).reduce(0) { value, index in value | UInt64(byte()) << (8 * index) }
    }

    /// Up to `count` bytes, fewer at the end of the input.
    public mutating func bytes(upTo count: Int) -> UnsafeRawBufferPointer {
        let end = min(data.count, offset + count)
        defer { offset = max(offset, end) }
        return UnsafeRawBufferPointer(rebasing: data[min(offset, end)..<end])
    }

    /// What is left of the input.
    public mutating func rest() -> UnsafeRawBufferPointer {
        bytes(upTo: data.count)
    }
}
