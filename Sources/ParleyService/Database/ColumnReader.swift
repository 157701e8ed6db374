import PostgresNIO

/// Reads a row's columns one after the other, each decoded by code specialized for its type.
///
/// For rows read by the thousand — a contact list is one row per friend — in place of
/// ``QueryRows/decode(_:)``: the tuple decoder is compiled in postgres-nio for any tuple and looks
/// up the type metadata of every column of every row at run time (BENCHMARKS.md, fix 8).
struct ColumnReader {
    private var cells: PostgresRow.Iterator

    init(_ row: PostgresRow) {
        cells = row.makeIterator()
    }

    mutating func next<Value: PostgresDecodable>(_ type: Value.Type = Value.self) throws -> Value {
        guard let cell = cells.next() else { throw MissingColumn(type: "\(Value.self)") }
        return try cell.decode(Value.self)
    }

    /// A text column holding one of `Value`'s raw values (a table's CHECK constraint lists them).
    mutating func next<Value: RawRepresentable<String>>(_ type: Value.Type = Value.self) throws -> Value {
        let raw: String = try next()
        guard let value = Value(rawValue: raw) else { throw UnknownValue(type: "\(Value.self)", value: raw) }
        return value
    }

    /// A value the code does not know: a migration added it without the code, or the reverse.
    struct UnknownValue: Error {
        let type: String
        let value: String
    }

    /// The query returned fewer columns than its reader reads: a bug in one or the other.
    struct MissingColumn: Error {
        let type: String
    }
}
