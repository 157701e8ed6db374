import Configuration
import Foundation

/// Typed reads of the settings of ``Setting/all``: the value `reader` holds, else the setting's
/// declared default, each refused, naming its variable, when outside the setting's range or choices.
struct SettingReader {
    private let reader: ConfigReader

    init(_ reader: ConfigReader) {
        self.reader = reader
    }

    /// The declared defaults, read as the environment is, so that each is written once, the way an
    /// operator would write it, and is held to the same range or choices as a value given.
    private static let defaults = ConfigReader(
        provider: EnvironmentVariablesProvider(
            environmentVariables: Dictionary(
                uniqueKeysWithValues: Setting.all.compactMap { setting in
                    guard case .value(let value) = setting.defaultValue else { return nil }
                    return (setting.variable, value)
                }
            )
        )
    )

    /// The text of a `.text` or `.httpURL` setting. Empty is unset where there is no default
    /// (deployment files write `PARLEY_ADMIN_TOKEN: ""` for none) and empty where there is one
    /// (`PARLEY_CORS_ORIGINS=` turns CORS off).
    func string(_ setting: Setting) throws -> String? {
        guard let (text, _) = source(of: setting) else { return nil }
        if text.isEmpty, case .described = setting.defaultValue { return nil }
        switch setting.kind {
        case .text: break
        case .httpURL:
            guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
                throw setting.refusal("expected an http:// or https:// URL, got \(text)")
            }
        case .integer, .choice: preconditionFailure("\(setting.variable) is not read as text")
        }
        return text
    }

    /// The text of a setting that has a default.
    func requiredString(_ setting: Setting) throws -> String {
        guard let text = try string(setting) else { throw setting.refusal("has no value") }
        return text
    }

    /// A whole number in the setting's range.
    func int(_ setting: Setting) throws -> Int? {
        guard case .integer(let range) = setting.kind else { preconditionFailure("\(setting.variable) is not a whole number") }
        guard let (text, reader) = source(of: setting) else { return nil }
        guard let value = reader.int(forKey: setting.key, isSecret: setting.isSecret), range.contains(value) else {
            throw setting.refusal("expected a whole number in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return value
    }

    /// A whole number of a setting that has a default.
    func requiredInt(_ setting: Setting) throws -> Int {
        guard let value = try int(setting) else { throw setting.refusal("has no value") }
        return value
    }

    /// One of the setting's choices, as the enumeration whose raw values they are.
    func choice<Value: RawRepresentable<String>>(_ setting: Setting) throws -> Value {
        guard case .choice(let words) = setting.kind else { preconditionFailure("\(setting.variable) is not a choice") }
        guard let (text, _) = source(of: setting) else { throw setting.refusal("has no value") }
        guard let value = Value(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw setting.refusal("expected \(words.dropLast().joined(separator: ", ")) or \(words.last ?? ""), got \(text)")
        }
        return value
    }

    /// The setting's text and the reader it came from: the one given, else the defaults.
    private func source(of setting: Setting) -> (text: String, reader: ConfigReader)? {
        for reader in [reader, Self.defaults] {
            if let text = reader.string(forKey: setting.key, isSecret: setting.isSecret) { return (text, reader) }
        }
        return nil
    }
}
