import Configuration

/// One setting of API.md §7: an environment variable, the flag that overrides it, what it accepts
/// and what a node does without it.
///
/// Each is declared once, in ``Setting/all``; the command line's flags and help, the reads of
/// ``ParleyConfiguration`` and the tests that hold README.md and API.md to it all derive from that
/// declaration, so none of them can drift from another.
public struct Setting: Sendable {
    /// What a setting accepts; a value outside it keeps the node from starting.
    enum Kind: Sendable {
        case text
        /// An `http://` or `https://` URL.
        case httpURL
        case integer(ClosedRange<Int>)
        /// One of these words, in any case.
        case choice([String])
    }

    /// What a node does when the variable is not set.
    enum Default: Sendable {
        /// It reads this value, written as the variable would be.
        case value(String)
        /// It does what this says (`none`, `host name + random suffix`); no value stands for it.
        case described(String)

        /// The value or the description, as `--help` shows it.
        var text: String {
            switch self {
            case .value(let text), .described(let text): text
            }
        }
    }

    /// `PARLEY_NODE_ID`.
    public let variable: String
    let kind: Kind
    let defaultValue: Default
    /// What the setting is, for `--help`, which adds its range or choices and its default.
    let summary: String
    /// Kept out of logs and access reports.
    public let isSecret: Bool
    /// Read by every command (`migrate` too), not by `serve` alone.
    public let isCommon: Bool

    init(_ variable: String, _ kind: Kind, default: Default, summary: String, isSecret: Bool = false, isCommon: Bool = false) {
        precondition(variable.hasPrefix(Self.prefix), "\(variable) is not a PARLEY_ variable")
        self.variable = variable
        self.kind = kind
        self.defaultValue = `default`
        self.summary = summary
        self.isSecret = isSecret
        self.isCommon = isCommon
    }

    private static let prefix = "PARLEY_"

    /// The words of the name after `PARLEY_`, lowercased: `node`, `id`.
    private var words: [String] {
        variable.dropFirst(Self.prefix.count).lowercased().split(separator: "_").map(String.init)
    }

    /// `--node-id` for `PARLEY_NODE_ID` (API.md §7).
    public var flag: String {
        "--" + words.joined(separator: "-")
    }

    /// `parley.node.id`: what swift-configuration's `EnvironmentVariablesProvider` reads as `PARLEY_NODE_ID`.
    var key: ConfigKey {
        ConfigKey(["parley"] + words)
    }

    /// The setting's entry in `parley serve --help`, below its flag and variable.
    public var help: String {
        var details = [summary]
        switch kind {
        case .text, .httpURL: break
        case .integer(let range): details.append("\(range.lowerBound)...\(range.upperBound).")
        case .choice(let words): details.append("One of \(words.joined(separator: ", ")).")
        }
        details.append("Default: \(defaultValue.text).")
        return details.joined(separator: " ")
    }

    /// Keeps the node from starting, naming the variable to fix.
    func refusal(_ reason: String) -> ConfigurationError {
        .invalid(variable, reason: reason)
    }
}
