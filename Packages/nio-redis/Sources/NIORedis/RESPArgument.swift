import NIOCore

/// A value that can be sent as one argument of a Redis command (a RESP bulk string).
public protocol RESPArgument: Sendable {
    func write(into buffer: inout ByteBuffer)
}

extension String: RESPArgument {
    public func write(into buffer: inout ByteBuffer) { buffer.writeRESPBulkString(self.utf8) }
}

extension Substring: RESPArgument {
    public func write(into buffer: inout ByteBuffer) { buffer.writeRESPBulkString(self.utf8) }
}

extension ByteBuffer: RESPArgument {
    public func write(into buffer: inout ByteBuffer) { buffer.writeRESPBulkString(self.readableBytesView) }
}

extension [UInt8]: RESPArgument {
    public func write(into buffer: inout ByteBuffer) { buffer.writeRESPBulkString(self) }
}

extension Int: RESPArgument {
    public func write(into buffer: inout ByteBuffer) { String(self).write(into: &buffer) }
}

extension Int64: RESPArgument {
    public func write(into buffer: inout ByteBuffer) { String(self).write(into: &buffer) }
}

extension Double: RESPArgument {
    public func write(into buffer: inout ByteBuffer) { String(self).write(into: &buffer) }
}
