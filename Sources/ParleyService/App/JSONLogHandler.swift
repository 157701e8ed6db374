import Foundation
import Logging

/// One JSON object per line on standard output (`PARLEY_LOG_FORMAT=json`), for log shippers:
/// `ts`, `level`, `label`, `message` and the metadata as text members, sorted by name, slashes
/// unescaped, written by ``JSONWriter``.
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    /// Metadata of the moment, e.g. the current span's `trace_id` and `span_id` when tracing is on.
    var metadataProvider: Logger.MetadataProvider?
    private let label: String

    init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard let bytes = try? line(for: event, at: Date()) else { return }
        try? FileHandle.standardOutput.write(contentsOf: bytes)
    }

    /// The event's line, newline included.
    func line(for event: LogEvent, at time: Date) throws -> [UInt8] {
        var fields: [String: JSONValue] = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }
            .merging(event.metadata ?? [:]) { $1 }.mapValues { .string($0.description) }
        fields["ts"] = .string(Timestamp.string(from: time))
        fields["level"] = .string(event.level.rawValue)
        fields["label"] = .string(label)
        fields["message"] = .string(event.message.description)
        // A JSONValue object writes its members sorted by name.
        var line = try JSONWriter.encode(JSONValue.object(fields))
        line.append(UInt8(ascii: "\n"))
        return line
    }
}
