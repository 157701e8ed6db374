import ArgumentParser
import Configuration
import ParleyService

/// A command whose settings are flags named after their variables (API.md §7: `PARLEY_NODE_ID` →
/// `--node-id`), each overriding its variable.
///
/// ArgumentParser declares an option as a property at compile time, and declaring the settings so
/// would write each a second time beside ``Setting/all``. Instead ArgumentParser hands over what it
/// does not recognise (`@Argument(parsing: .allUnrecognized)`), this reads it against the command's
/// settings, refusing an unknown flag or a missing value as ArgumentParser would, and the help lists
/// the same settings.
protocol SettingsCommand: AsyncParsableCommand {
    /// The settings the command reads.
    static var settings: [Setting] { get }
    /// The arguments ArgumentParser did not recognise.
    var settingFlags: [String] { get }
}

extension SettingsCommand {
    /// The settings' part of `--help`.
    static var settingsHelp: String {
        """
        Each setting is an environment variable; its flag (--flag value or --flag=value) overrides it.

        SETTINGS:
        \(settings.map { "  \($0.flag) <value>  (\($0.variable))\n" + indented($0.help) }.joined(separator: "\n"))
        """
    }

    /// `text` in indented lines of at most 78 columns, which ArgumentParser, wrapping the overview
    /// to the terminal's width without indenting, leaves as they are.
    private static func indented(_ text: String) -> String {
        let indent = String(repeating: " ", count: 8)
        var lines: [String] = []
        for word in text.split(separator: " ") {
            if let line = lines.last, line.count + 1 + word.count <= 78 {
                lines[lines.count - 1] = line + " " + word
            } else {
                lines.append(indent + word)
            }
        }
        return lines.joined(separator: "\n")
    }

    func validate() throws {
        _ = try flags()
    }

    /// Flags first, then the environment, then the declared defaults.
    func loadConfiguration() throws -> ParleyConfiguration {
        let flags = EnvironmentVariablesProvider(
            environmentVariables: try flags(),
            secretsSpecifier: .specific(Set(Self.settings.filter(\.isSecret).map(\.variable)))
        )
        return try ParleyConfiguration(reader: ConfigReader(providers: [flags, EnvironmentVariablesProvider()]))
    }

    /// The values given as flags, by variable; the last one given wins.
    private func flags() throws -> [String: String] {
        var values: [String: String] = [:]
        var arguments = settingFlags[...]
        while let argument = arguments.popFirst() {
            guard argument.hasPrefix("--") else { throw ValidationError("Unexpected argument '\(argument)'") }
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard let setting = Self.settings.first(where: { $0.flag == parts[0] }) else {
                throw ValidationError("Unknown option '\(parts[0])'")
            }
            if parts.count == 2 {
                values[setting.variable] = parts[1]
            } else if let value = arguments.first, !value.hasPrefix("--") {
                values[setting.variable] = arguments.removeFirst()
            } else {
                throw ValidationError("Missing value for '\(setting.flag) <value>'")
            }
        }
        return values
    }
}
