import Foundation
import Hummingbird
import NIOCore

/// The fields of a request body, JSON or form-encoded, read through typed accessors that apply
/// API.md's validation rules and throw the first failure as a 422.
struct RequestFields: Sendable {
    /// Bodies over this many bytes are refused with 413 before they are parsed.
    static let maximumBodySize = 64 * 1024

    let values: [String: JSONValue]

    init(_ values: [String: JSONValue]) {
        self.values = values
    }

    /// Reads and parses the body of `request`.
    ///
    /// JSON objects and `application/x-www-form-urlencoded` bodies are accepted; an empty body has no
    /// fields, so required-field rules speak instead of a parse error.
    static func parse(_ request: Request) async throws -> RequestFields {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maximumBodySize)
        } catch is NIOTooManyBytesError {
            throw ParleyError(.payloadTooLarge)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw ParleyError(.payloadTooLarge)
        }
        return try parse(body: body, contentType: request.headers[.contentType])
    }

    /// Parses a request body of the given `Content-Type` (the header's value, `nil` when absent).
    static func parse(body: ByteBuffer, contentType: String?) throws -> RequestFields {
        guard body.readableBytes > 0 else { return RequestFields([:]) }
        // A body without a content type is read as JSON, as the client's requests always are; so is
        // a "form" that is plainly a JSON object (curl's `-d` labels everything a form).
        let mediaType = contentType.flatMap(MediaType.init(from:)) ?? .applicationJson
        if mediaType.isType(.applicationJson) || (mediaType.isType(.applicationUrlEncoded) && body.startsWithJSONObject) {
            return try RequestFields(jsonObject(body))
        } else if mediaType.isType(.applicationUrlEncoded) {
            return RequestFields(formFields(String(buffer: body)))
        } else {
            throw ParleyError(.unsupportedContentType)
        }
    }

    private static func jsonObject(_ body: ByteBuffer) throws -> [String: JSONValue] {
        guard case .object(let members) = try? JSONParser.parse(body.readableBytesView) else {
            throw ParleyError(.malformedBody)
        }
        return members
    }

    /// Form fields as strings; a repeated key (`tags=a&tags=b`, `tags[]=a`) becomes an array.
    private static func formFields(_ body: String) -> [String: JSONValue] {
        var fields: [String: [String]] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let rawKey = parts.first.flatMap({ decodeFormComponent($0) }), !rawKey.isEmpty else { continue }
            let value = parts.count > 1 ? decodeFormComponent(parts[1]) ?? "" : ""
            let key = rawKey.hasSuffix("[]") ? String(rawKey.dropLast(2)) : rawKey
            fields[key, default: []].append(value)
        }
        return fields.mapValues { values in
            values.count == 1 ? .string(values[0]) : .array(values.map(JSONValue.string))
        }
    }

    private static func decodeFormComponent(_ component: Substring) -> String? {
        component.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The value of a field, `nil` when absent. Every accessor reads through here, so no text with a
    /// NUL character (which PostgreSQL refuses in `text` and `jsonb`, and bcrypt would cut a
    /// password at) gets past the request layer.
    func value(_ field: Field) throws -> JSONValue? {
        let value = values[field.key]
        if let value { try value.requireNoNUL(field) }
        return value
    }
}

// MARK: - Typed accessors

extension RequestFields {
    /// A required string of `length` characters: Unicode scalars (code points), as PostgreSQL's
    /// `char_length` counts them, so a rule that passes here never fails a CHECK of the schema.
    func string(_ field: Field, length: ClosedRange<Int>) throws -> String {
        guard let value = try optionalString(field, length: length), !value.isEmpty else {
            throw ParleyError.validation(.required(field))
        }
        return value
    }

    /// An optional string: `nil` when absent or `null`; an empty string is returned as it is.
    func optionalString(_ field: Field, length: ClosedRange<Int>) throws -> String? {
        switch try value(field) {
        case .none, .null:
            return nil
        case .string(let value):
            if value.isEmpty { return value }
            guard length.contains(value.unicodeScalars.count) else {
                throw ParleyError.validation(.length(field, min: length.lowerBound, max: length.upperBound))
            }
            return value
        case .some(let other):
            throw ParleyError.validation(.wrongType(field, value: other.displayText, type: "string"))
        }
    }

    /// A required integer, from a JSON number or a numeric string (`"12"`).
    func int(_ field: Field) throws -> Int {
        switch try value(field) {
        case .none, .null, .string(""):
            throw ParleyError.validation(.required(field))
        case .integer(let value) where Int(exactly: value) != nil:
            return Int(value)
        case .number(let value) where Int(exactly: value) != nil:
            return Int(exactly: value)!
        case .string(let text):
            if let value = Int(text.trimmingCharacters(in: .whitespaces)) { return value }
            throw ParleyError.validation(.wrongType(field, value: text, type: "int"))
        case .some(let other):
            throw ParleyError.validation(.wrongType(field, value: other.displayText, type: "int"))
        }
    }

    /// A required 0/1 flag.
    func flag(_ field: Field) throws -> Int {
        let value = try int(field)
        guard value == 0 || value == 1 else {
            throw ParleyError.validation(.notInList(field, value: String(value), allowed: ["0", "1"]))
        }
        return value
    }

    /// A required string that must be one of `allowed`.
    func choice(_ field: Field, in allowed: [String]) throws -> String {
        let text: String
        switch try value(field) {
        case .none, .null, .string(""):
            throw ParleyError.validation(.required(field))
        case .string(let value):
            text = value
        case .some(let other):
            text = other.displayText
        }
        guard allowed.contains(text) else {
            throw ParleyError.validation(.notInList(field, value: text, allowed: allowed))
        }
        return text
    }
}

extension ByteBuffer {
    fileprivate var startsWithJSONObject: Bool {
        readableBytesView.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{")
    }
}
