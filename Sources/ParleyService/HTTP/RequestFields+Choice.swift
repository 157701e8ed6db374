extension RequestFields {
    /// A required field whose value must be the raw value of one of `allowed`, listed in the
    /// validation text in that order.
    func choice<Choice: RawRepresentable<String>>(_ field: Field, in allowed: [Choice]) throws -> Choice {
        let raw = try choice(field, in: allowed.map(\.rawValue))
        // `choice(_:in:)` returned one of the allowed raw values.
        return allowed.first { $0.rawValue == raw }!
    }
}
