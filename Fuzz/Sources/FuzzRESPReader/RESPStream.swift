import FuzzSupport
import NIOCore
@testable import NIORedis

/// Bytes from a Redis server into `HiredisReader`, twice: in one piece, and in the chunks that NIO
/// might hand over instead (sizes from the first input byte). Both must read the same replies and
/// both fail, or neither, at the same point; no trap, no leak, no overflow either way.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESPStream(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(fuzzBytes(start, count))
    let chunkSize = Int(input.byte() % 16) + 1
    let stream = input.rest()
    guard !announcesHugeArray(stream) else { return -1 }

    let whole = Replies()
    whole.feed(stream)

    let chunked = Replies()
    var offset = 0
    while offset < stream.count, !chunked.failed {
        let end = min(stream.count, offset + chunkSize)
        chunked.feed(UnsafeRawBufferPointer(rebasing: stream[offset..<end]))
        offset = end
    }
    precondition(whole.values == chunked.values && whole.failed == chunked.failed,
                 "one piece: \(whole.values), failed \(whole.failed); chunks of \(chunkSize): \(chunked.values), failed \(chunked.failed)")
    return 0
}

/// A reader and the replies read from it until it had none left or failed.
private final class Replies {
    private let reader = HiredisReader()
    private(set) var values: [RESPValue] = []
    private(set) var failed = false

    func feed(_ bytes: UnsafeRawBufferPointer) {
        do {
            try reader.feed(ByteBuffer(bytes: bytes))
            while let value = try reader.next() {
                values.append(value)
            }
        } catch {
            failed = true
        }
    }
}

/// Whether a `*` is followed by a count of a million or more.
///
/// hiredis 0.14 callocs a multi-bulk reply's element array as soon as its header arrives, for any
/// count the server sends (`*666666663\r\n` asks for 5 GB, README "Fuzzing"). Redis is trusted and
/// the limit is hiredis's, so such inputs are refused (-1 keeps them out of the corpus) rather
/// than found again and again. Over-eager on purpose: a bulk string holding `*1000000` is skipped too.
private func announcesHugeArray(_ stream: UnsafeRawBufferPointer) -> Bool {
    var index = stream.startIndex
    while let star = stream[index...].firstIndex(of: UInt8(ascii: "*")) {
        var digits = stream[(star + 1)...].drop { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "0") }
        digits = digits.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        if digits.count >= 7 { return true }
        index = star + 1
    }
    return false
}
