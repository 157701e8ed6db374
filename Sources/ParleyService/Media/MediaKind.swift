/// What an uploaded file is, as its bytes say (docs/api.md §5), with the size each kind may have.
enum MediaKind: String, Sendable, Equatable, CaseIterable {
    case image
    case audio
    case video

    private static let mebibyte = 1024 * 1024

    /// The most bytes a file of this kind may have.
    var sizeLimit: Int {
        switch self {
        case .image: 10 * Self.mebibyte
        case .audio: 20 * Self.mebibyte
        case .video: 100 * Self.mebibyte
        }
    }

    /// ``sizeLimit`` as the texts say it (MiB, which people call MB).
    var sizeLimitInMB: Int { sizeLimit / Self.mebibyte }

    /// The largest limit: an upload is cut off beyond it before its kind is known.
    static var largestSizeLimit: Int { allCases.map(\.sizeLimit).max()! }

    /// The kind a declared `Content-Type` names (`image/png` → image); `nil` for one that names none
    /// (`application/octet-stream`, as many clients label every file).
    init?(declaredContentType: String) {
        let type = declaredContentType.split(separator: "/").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard let type, let kind = MediaKind(rawValue: type) else { return nil }
        self = kind
    }
}

/// The largest width or height of an image, in pixels.
enum ImageLimits {
    static let maximumSide = 8192
}
