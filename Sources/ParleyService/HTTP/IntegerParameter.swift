import Hummingbird

/// Integers from the path (`/friend/read/:id`) and the query (`?limit=20`), validated with the same
/// templates as body fields, so `/friend/read/x` is a 422 and never a 500.
extension AppRequestContext {
    /// The path parameter named `field.key`, an integer of at least `minimum`.
    func integerParameter(_ field: Field, minimum: Int) throws -> Int {
        let text = parameters.get(field.key) ?? ""
        let value = try RequestFields([field.key: .string(text)]).int(field)
        guard value >= minimum else {
            throw ParleyError.validation(.outOfRange(field, value: text, min: minimum, max: nil))
        }
        return value
    }
}

extension Request {
    /// The query parameter named `field.key`, an integer within `bounds`; `defaultValue` when it is
    /// absent or empty.
    func integerQuery(_ field: Field, in bounds: ClosedRange<Int>, default defaultValue: Int) throws -> Int {
        guard let text = uri.queryParameters.get(field.key), !text.isEmpty else { return defaultValue }
        let value = try RequestFields([field.key: .string(text)]).int(field)
        guard bounds.contains(value) else {
            throw ParleyError.validation(.outOfRange(field, value: text, min: bounds.lowerBound, max: bounds.upperBound))
        }
        return value
    }
}
