/// A setting that keeps Parley from starting, with the reason in words an operator can act on.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public static func invalid(_ setting: String, reason: String) -> ConfigurationError {
        ConfigurationError(description: "\(setting): \(reason)")
    }
}
