import Hummingbird

/// The URLs `POST /upload` answers, `<base>/media/<hash>`, and the hash they name (docs/api.md §5).
enum MediaURL {
    /// The URL of the file named `hash`: under `publicURL` when configured, else under the host the
    /// request was sent to.
    static func url(hash: String, publicURL: String?, request: Request) -> String {
        let base = publicURL ?? "http://\(request.head.authority ?? "localhost")"
        return "\(base.hasSuffix("/") ? String(base.dropLast()) : base)/media/\(hash)"
    }

    /// The hash a media URL (or its path alone) names; `nil` when it names none.
    static func hash(in url: String) -> String? {
        guard let range = url.range(of: "/media/", options: .backwards) else { return nil }
        let hash = String(url[range.upperBound...])
        return isHash(hash) ? hash : nil
    }

    /// Whether `text` is a SHA-256 in lower-case hex.
    static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
