import Foundation
import MultipartKit
import NIOCore

/// Picks the file out of a `multipart/form-data` body as it streams in: the bytes of the first part
/// named ``fieldName`` (as `uni.uploadFile` names it), slice by slice, and its declared
/// `Content-Type`. Other parts are skipped; nothing is buffered beyond what one input buffer holds.
///
/// multipart-kit's parser calls back synchronously while it reads a buffer; ``take()`` hands what
/// those calls collected to the caller, who writes it asynchronously before feeding the next one.
final class MultipartFileReader {
    static let fieldName = "files"

    private let parser: MultipartParser
    private var partHeaders: [(name: String, value: String)] = []
    /// Whether the part being read is the file: decided at its first body bytes.
    private var partIsFile: Bool?
    private var collected: [ByteBuffer] = []
    private(set) var declaredContentType: String?
    private(set) var foundFile = false
    /// The file's part was read to its closing boundary.
    private(set) var fileComplete = false

    /// `nil` when `contentType` is not `multipart/form-data` with a boundary.
    init?(contentType: String?) {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = Self.parameter("boundary", in: contentType), !boundary.isEmpty, boundary.utf8.count <= 70
        else { return nil }
        parser = MultipartParser(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in
            partHeaders.append((name, value))
        }
        parser.onBody = { [unowned self] body in
            if partIsFile == nil { partIsFile = startFileIfNamed() }
            if partIsFile == true { collected.append(body) }
        }
        parser.onPartComplete = { [unowned self] in
            if partIsFile == nil { partIsFile = startFileIfNamed() }
            if partIsFile == true { fileComplete = true }
            partHeaders = []
            partIsFile = nil
        }
    }

    /// Reads `buffer`; throws ``ParleyError`` `no_file` when the body is not multipart.
    func read(_ buffer: ByteBuffer) throws {
        do {
            try parser.execute(buffer)
        } catch {
            throw ParleyError(.noFile)
        }
    }

    /// The file's bytes read since the last call.
    func take() -> [ByteBuffer] {
        defer { collected = [] }
        return collected
    }

    /// Whether the part whose headers were just read is the file (the first part named `files`).
    private func startFileIfNamed() -> Bool {
        guard !foundFile, Self.formName(partHeaders) == Self.fieldName else { return false }
        foundFile = true
        declaredContentType = partHeaders.first { $0.name.lowercased() == "content-type" }?.value
        return true
    }

    /// The `name` parameter of a part's `Content-Disposition: form-data; name="files"; filename=…`.
    static func formName(_ headers: [(name: String, value: String)]) -> String? {
        headers.first { $0.name.lowercased() == "content-disposition" }.flatMap { parameter("name", in: $0.value) }
    }

    /// The parameter `name` of a header value `type; name=value; …`, unquoted.
    static func parameter(_ name: String, in headerValue: String) -> String? {
        for parameter in headerValue.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            return pair[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }
}
