import Foundation
import Testing
@testable import ParleyService

/// README.md's Configuration table and API.md §7's held to ``Setting/all``: a setting added,
/// renamed or given another default fails here until the documents say the same.
@Suite("Settings documentation")
struct SettingsDocumentationTests {
    /// The repository: this file is `Tests/ParleyServiceTests/App/` in it.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The contract, in the shared folder beside the repository (as Tests/cluster reads it).
    static let contract = root.deletingLastPathComponent().appending(path: "shared/API.md")

    @Test func readmeListsEverySettingWithItsDefault() throws {
        let documented = try Self.defaults(in: Self.root.appending(path: "README.md"), section: "## Configuration")
        let declared = Set(Setting.all.map(\.variable))
        #expect(declared.subtracting(documented.keys).isEmpty, "declared but not in README.md")
        #expect(Set(documented.keys).subtracting(declared).isEmpty, "in README.md but not declared")
        for setting in Setting.all {
            guard let cell = documented[setting.variable] else { continue }
            #expect(Self.states(setting.defaultValue, cell), "README.md: \(setting.variable) defaults to \(setting.defaultValue.text), not \(cell)")
        }
    }

    @Test func contractNamesAndDefaultsAreDeclaredAlike() throws {
        let documented = try Self.defaults(in: Self.contract, section: "## 7. Process interface")
        #expect(documented.count > 10, "the table of API.md §7 was not found")
        for (variable, cell) in documented {
            let setting = try #require(Setting.all.first { $0.variable == variable }, "API.md names \(variable), which is not declared")
            #expect(Self.states(setting.defaultValue, cell), "API.md: \(variable) defaults to \(cell), not \(setting.defaultValue.text)")
        }
        // API.md §7's own examples of the flag names.
        #expect(Setting.nodeID.flag == "--node-id")
        #expect(Setting.port.flag == "--port")
    }

    /// Whether a document's default cell says `declared`: the value in backticks, or the
    /// description, then nothing or an explanation (`none (admin API off)`, `` `604800` (s)``).
    static func states(_ declared: Setting.Default, _ cell: String) -> Bool {
        let expected =
            switch declared {
            case .value(let value): "`\(value)`"
            case .described(let meaning): meaning
            }
        guard cell.hasPrefix(expected) else { return false }
        return cell.dropFirst(expected.count).first.map { !$0.isLetter && !$0.isNumber } ?? true
    }

    /// The default cell of each variable in the table of `section` (a row may pair two variables,
    /// `` `PARLEY_HOST` / `PARLEY_PORT` ``, and their defaults likewise).
    static func defaults(in file: URL, section heading: String) throws -> [String: String] {
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix(heading) }, "\(file.lastPathComponent) has no \(heading)")
        let section = lines[(start + 1)...].prefix { !$0.hasPrefix("## ") }
        var defaults: [String: String] = [:]
        for row in section where row.hasPrefix("| `PARLEY_") {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let variables = cells[0].matches(of: /`(PARLEY_[A-Z_]+)`/).map { String($0.output.1) }
            let values = cells[1].components(separatedBy: " / ")
            try #require(values.count == variables.count || variables.count == 1, "\(row)")
            for (variable, value) in zip(variables, variables.count == 1 ? [cells[1]] : values) {
                defaults[variable] = value
            }
        }
        return defaults
    }
}
