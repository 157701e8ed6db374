import Foundation

/// Splits a SQL file into its statements.
///
/// postgres-nio speaks only the extended query protocol, which runs one statement per query, so
/// a migration file is run statement by statement. The split honours quoted strings and
/// identifiers, dollar-quoted bodies and comments, so a `;` inside any of them stays put.
enum SQLScript {
    static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var index = script.startIndex

        func peek(_ offset: Int = 1) -> Character? {
            script.index(index, offsetBy: offset, limitedBy: script.endIndex).flatMap { $0 < script.endIndex ? script[$0] : nil }
        }
        /// Copies everything up to and including `terminator` into `current`.
        func copy(through terminator: String) {
            if let range = script.range(of: terminator, range: index..<script.endIndex) {
                current += script[index..<range.upperBound]
                index = range.upperBound
            } else {
                current += script[index...]
                index = script.endIndex
            }
        }
        func finishStatement() {
            let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !statement.isEmpty, !isOnlyComments(statement) { statements.append(statement) }
            current = ""
        }

        while index < script.endIndex {
            let character = script[index]
            switch character {
            case "'", "\"":
                current.append(character)
                index = script.index(after: index)
                copy(through: String(character))  // a doubled quote is two adjacent quoted runs
            case "-" where peek() == "-":
                copy(through: "\n")
            case "/" where peek() == "*":
                copy(through: "*/")
            case "$":
                if let tag = dollarTag(in: script, at: index) {
                    current += tag
                    index = script.index(index, offsetBy: tag.count)
                    copy(through: tag)
                } else {
                    current.append(character)
                    index = script.index(after: index)
                }
            case ";":
                finishStatement()
                index = script.index(after: index)
            default:
                current.append(character)
                index = script.index(after: index)
            }
        }
        finishStatement()
        return statements
    }

    /// `$$` or `$tag$` starting at `index`, or `nil` when the `$` opens no dollar quote (`$1`).
    private static func dollarTag(in script: String, at index: String.Index) -> String? {
        var end = script.index(after: index)
        while end < script.endIndex, script[end] == "_" || script[end].isLetter || (script[end].isNumber && end > script.index(after: index)) {
            end = script.index(after: end)
        }
        guard end < script.endIndex, script[end] == "$" else { return nil }
        return String(script[index...end])
    }

    private static func isOnlyComments(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
    }
}
