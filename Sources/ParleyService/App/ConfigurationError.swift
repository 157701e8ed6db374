/// A setting that keeps Parley from starting, with the reason in words an operator can act on.
struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    let description: String

    static func invalid(_ setting: String, reason: String) -> ConfigurationError {
        ConfigurationError(description: "\(setting): \(reason)")
    }
}
