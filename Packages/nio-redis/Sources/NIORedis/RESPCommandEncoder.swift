import NIOCore

// Commands are encoded here rather than with hiredis's `redisFormatCommandArgv`:
// writing straight into a ByteBuffer avoids a malloc'd C copy per command and
// handles ByteBuffer arguments without flattening them first.
extension ByteBuffer {
    /// Appends `*<n>\r\n` followed by each argument as a bulk string.
    mutating func writeRESPCommand(_ arguments: [any RESPArgument]) {
        self.writeRESPHeader(prefix: UInt8(ascii: "*"), count: arguments.count)
        for argument in arguments {
            argument.write(into: &self)
        }
    }

    mutating func writeRESPBulkString<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        self.writeRESPHeader(prefix: UInt8(ascii: "$"), count: bytes.count)
        self.writeBytes(bytes)
        self.writeStaticString("\r\n")
    }

    private mutating func writeRESPHeader(prefix: UInt8, count: Int) {
        self.writeInteger(prefix)
        self.writeString(String(count))
        self.writeStaticString("\r\n")
    }
}
