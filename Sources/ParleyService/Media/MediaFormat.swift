/// What the first bytes of a file say it is (docs/api.md §5): the kind, the `Content-Type` it is
/// served with, and an image's dimensions. The file name and the client's `Content-Type` are never
/// asked: both are the client's word, the bytes are not.
struct MediaFormat: Sendable, Equatable {
    let kind: MediaKind
    let contentType: String
    let width: Int?
    let height: Int?

    init(_ kind: MediaKind, _ contentType: String, width: Int? = nil, height: Int? = nil) {
        self.kind = kind
        self.contentType = contentType
        self.width = width
        self.height = height
    }

    /// Detection reads no more than this of a file's start (an image's dimensions must lie within it).
    static let sniffLength = MediaStore.chunkSize

    /// Why the bytes cannot be taken.
    enum Refusal: Error, Equatable {
        /// None of the formats Parley takes.
        case unsupported
        /// An image whose dimensions are over ``ImageLimits/maximumSide`` or cannot be read.
        case imageDimensions
    }

    /// The format of a file starting with `prefix` (its first ``sniffLength`` bytes, or all of it).
    static func detect(_ prefix: [UInt8]) throws(Refusal) -> MediaFormat {
        let bytes = ByteReader(prefix)
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            return try image("image/png", width: bytes.bigEndian(at: 16, size: 4), height: bytes.bigEndian(at: 20, size: 4))
        }
        if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) {
            return try image("image/gif", width: bytes.littleEndian(at: 6, size: 2), height: bytes.littleEndian(at: 8, size: 2))
        }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            let size = jpegSize(bytes)
            return try image("image/jpeg", width: size?.width, height: size?.height)
        }
        if bytes.starts(with: Array("RIFF".utf8)) {
            if bytes.matches(Array("WEBP".utf8), at: 8) {
                let size = webPSize(bytes)
                return try image("image/webp", width: size?.width, height: size?.height)
            }
            if bytes.matches(Array("WAVE".utf8), at: 8) { return MediaFormat(.audio, "audio/wav") }
            throw .unsupported
        }
        if bytes.matches(Array("ftyp".utf8), at: 4) { return isoMedia(brand: bytes.text(at: 8, count: 4)) }
        if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) {
            // Matroska's DocType sits in the first header; WebM says so there.
            let isWebM = (0..<60).contains { bytes.matches(Array("webm".utf8), at: $0) }
            return MediaFormat(.video, isWebM ? "video/webm" : "video/x-matroska")
        }
        if bytes.starts(with: Array("OggS".utf8)) { return MediaFormat(.audio, "audio/ogg") }
        if bytes.starts(with: Array("#!AMR".utf8)) { return MediaFormat(.audio, "audio/amr") }
        if bytes.starts(with: Array("fLaC".utf8)) { return MediaFormat(.audio, "audio/flac") }
        if bytes.starts(with: Array("ID3".utf8)) { return MediaFormat(.audio, "audio/mpeg") }
        if let first = bytes.byte(at: 0), let second = bytes.byte(at: 1), first == 0xFF {
            // An MPEG audio frame without ID3 tag: the sync bits, then layer III (MP3) or ADTS (AAC).
            if second & 0xF6 == 0xF0 { return MediaFormat(.audio, "audio/aac") }
            if second & 0xE6 == 0xE2 { return MediaFormat(.audio, "audio/mpeg") }
        }
        throw .unsupported
    }

    private static func image(_ contentType: String, width: Int?, height: Int?) throws(Refusal) -> MediaFormat {
        guard let width, let height, (1...ImageLimits.maximumSide).contains(width), (1...ImageLimits.maximumSide).contains(height) else {
            throw .imageDimensions
        }
        return MediaFormat(.image, contentType, width: width, height: height)
    }

    /// ISO base media (MP4 and its relatives), by the major brand of its `ftyp` box.
    private static func isoMedia(brand: String) -> MediaFormat {
        switch brand {
        case "M4A ", "M4B ": MediaFormat(.audio, "audio/mp4")
        case "qt  ": MediaFormat(.video, "video/quicktime")
        case _ where brand.hasPrefix("3g2"): MediaFormat(.video, "video/3gpp2")
        case _ where brand.hasPrefix("3gp"): MediaFormat(.video, "video/3gpp")
        default: MediaFormat(.video, "video/mp4")
        }
    }

    /// The dimensions in a JPEG's first start-of-frame segment, walking the segments before it.
    private static func jpegSize(_ bytes: ByteReader) -> (width: Int, height: Int)? {
        var offset = 2
        while let marker = bytes.byte(at: offset), marker == 0xFF, let code = bytes.byte(at: offset + 1) {
            switch code {
            case 0xFF:
                offset += 1  // fill byte
            case 0x01, 0xD0...0xD8:
                offset += 2  // markers without a length
            case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
                guard let height = bytes.bigEndian(at: offset + 5, size: 2), let width = bytes.bigEndian(at: offset + 7, size: 2) else {
                    return nil
                }
                return (width, height)
            default:
                guard let length = bytes.bigEndian(at: offset + 2, size: 2), length >= 2 else { return nil }
                offset += 2 + length
            }
        }
        return nil
    }

    /// The canvas of a WebP: lossy (`VP8 `), lossless (`VP8L`) or extended (`VP8X`).
    private static func webPSize(_ bytes: ByteReader) -> (width: Int, height: Int)? {
        switch bytes.text(at: 12, count: 4) {
        case "VP8 ":
            guard let width = bytes.littleEndian(at: 26, size: 2), let height = bytes.littleEndian(at: 28, size: 2) else { return nil }
            return (width & 0x3FFF, height & 0x3FFF)
        case "VP8L":
            guard let bits = bytes.littleEndian(at: 21, size: 4) else { return nil }
            return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        case "VP8X":
            guard let width = bytes.littleEndian(at: 24, size: 3), let height = bytes.littleEndian(at: 27, size: 3) else { return nil }
            return (width + 1, height + 1)
        default:
            return nil
        }
    }
}

/// Bounds-checked reads from the start of a file: a short or hostile file reads as `nil`, never
/// out of range.
private struct ByteReader {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func byte(at offset: Int) -> UInt8? {
        bytes.indices.contains(offset) ? bytes[offset] : nil
    }

    func matches(_ expected: [UInt8], at offset: Int) -> Bool {
        offset + expected.count <= bytes.count && bytes[offset..<offset + expected.count].elementsEqual(expected)
    }

    func starts(with expected: [UInt8]) -> Bool { matches(expected, at: 0) }

    func text(at offset: Int, count: Int) -> String {
        guard offset + count <= bytes.count else { return "" }
        return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
    }

    func bigEndian(at offset: Int, size: Int) -> Int? {
        guard offset >= 0, offset + size <= bytes.count else { return nil }
        return bytes[offset..<offset + size].reduce(0) { $0 << 8 | Int($1) }
    }

    func littleEndian(at offset: Int, size: Int) -> Int? {
        guard offset >= 0, offset + size <= bytes.count else { return nil }
        return bytes[offset..<offset + size].reversed().reduce(0) { $0 << 8 | Int($1) }
    }
}

/// An upload whose bytes were all stored: what `media` records of it.
struct FinishedUpload: Sendable {
    let hash: String
    let size: Int
    let format: MediaFormat
}
