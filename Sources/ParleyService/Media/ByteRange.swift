/// What a `Range` header asks of a file of `size` bytes (RFC 9110 §14): one range of bytes, the
/// whole file, or nothing it has.
enum ByteRange: Equatable {
    case whole
    case part(ClosedRange<Int>)
    case unsatisfiable

    /// `bytes=a-b`, `bytes=a-` and `bytes=-n`. Several ranges, other units and malformed headers get
    /// the whole file, which RFC 9110 allows a server to answer instead.
    init(header: String?, size: Int) {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else {
            self = .whole
            return
        }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let bounds = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2 else {
            self = .whole
            return
        }
        switch (Int(bounds[0]), Int(bounds[1]), bounds[0].isEmpty) {
        case (nil, let suffix?, true):
            // The last `suffix` bytes.
            self = suffix > 0 && size > 0 ? .part(max(0, size - suffix)...(size - 1)) : .unsatisfiable
        case (let start?, let end, false) where start >= 0 && (end ?? start) >= start && (bounds[1].isEmpty || end != nil):
            self = start < size ? .part(start...min(end ?? (size - 1), size - 1)) : .unsatisfiable
        default:
            self = .whole
        }
    }
}
