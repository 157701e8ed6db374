import Foundation

/// Any JSON value, as a request body may carry it before validation gives it a type.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// How the value is quoted in a validation text: strings as they are, the rest as JSON.
    var displayText: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .string(let value): value
        // A request's value holds finite numbers only (``JSONParser``), so the writer cannot fail.
        case .array, .object: (try? jsonText()) ?? ""
        }
    }
}

extension JSONValue {
    /// Throws the validation failure of `field` when a string or a member name anywhere in the value
    /// holds a NUL character.
    func requireNoNUL(_ field: Field) throws {
        switch self {
        case .string(let text):
            if text.utf8.contains(0) { throw ParleyError.validation(.nulCharacter(field)) }
        case .array(let elements):
            for element in elements { try element.requireNoNUL(field) }
        case .object(let members):
            for (name, value) in members {
                try JSONValue.string(name).requireNoNUL(field)
                try value.requireNoNUL(field)
            }
        case .null, .bool, .integer, .number:
            break
        }
    }
}

extension JSONValue: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

extension JSONValue: Encodable {
    func encode(to encoder: any Encoder) throws {
        if case .object(let members) = self {
            // Sorted, so the same value is always the same text (a dictionary has no order of its own).
            var object = encoder.container(keyedBy: MemberName.self)
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                try object.encode(value, forKey: MemberName(stringValue: name))
            }
            return
        }
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object: preconditionFailure("encoded above")
        }
    }
}

/// An object member's name as a coding key (also for ``JSONMembers``).
struct MemberName: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        nil
    }
}
