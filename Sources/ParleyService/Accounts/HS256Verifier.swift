import Crypto
import Foundation
import Synchronization

/// Checks an HS256 token's signature and reads its claims, synchronously on the caller's thread.
///
/// Every socket connect and authenticated request verifies a token. jwt-kit's key collection is an
/// actor, so each verification hopped to it and back, and decoded the claims through `JSONDecoder`;
/// checking one HMAC needs neither (BENCHMARKS.md, fix 25). jwt-kit still signs (``TokenAuthority``), so both ends agree on
/// the format, which `HS256VerifierTests` holds against jwt-kit's own verification.
struct HS256Verifier: Sendable {
    /// The claims Parley puts in a token (``TokenClaims``), times in seconds since 1970.
    struct Claims: Equatable {
        let subject: String
        let sessionID: String
        let issuedAt: Double
        let expiresAt: Double
    }

    /// HMAC's state after the key, derived once: each verification copies it rather than padding
    /// and hashing the key again (BENCHMARKS.md, fix 33).
    private let keyed: HMAC<SHA256>
    private let headers = HS256Headers()

    init(secret: String) {
        keyed = HMAC(key: SymmetricKey(data: Array(secret.utf8)))
    }

    /// The token's claims if it is `header.payload.signature` with an HS256 header, a signature by
    /// this key, and the four claims of the right types; `nil` otherwise.
    func claims(of token: String) -> Claims? {
        let bytes = Array(token.utf8)
        guard let firstDot = bytes.firstIndex(of: UInt8(ascii: ".")),
            let secondDot = bytes[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
            !bytes[(secondDot + 1)...].contains(UInt8(ascii: "."))
        else { return nil }
        var mac = keyed
        mac.update(data: bytes[..<secondDot])
        guard let signature = Base64URL.decode(bytes[(secondDot + 1)...]), signature.count == SHA256.byteCount,
            mac.finalize() == signature,  // compared in constant time
            isHS256(bytes[..<firstDot]),
            let payload = Base64URL.decode(bytes[(firstDot + 1)..<secondDot]),
            case .object(let members)? = try? JSONParser.parse(payload),
            case .string(let subject)? = members["sub"], case .string(let sessionID)? = members["sid"],
            let issuedAt = members["iat"]?.seconds, let expiresAt = members["exp"]?.seconds
        else { return nil }
        return Claims(subject: subject, sessionID: sessionID, issuedAt: issuedAt, expiresAt: expiresAt)
    }

    /// Whether the header says HS256. Only HS256 is ever accepted, whatever the header claims; a
    /// signature that verified with this key was made by a node, so the header is checked after it.
    private func isHS256(_ header: ArraySlice<UInt8>) -> Bool {
        if headers.contains(header) { return true }
        guard let decoded = Base64URL.decode(header), case .object(let members)? = try? JSONParser.parse(decoded),
            members["alg"] == .string("HS256")
        else { return false }
        headers.remember(header)
        return true
    }
}

extension JSONValue {
    /// A NumericDate (RFC 7519): whole or fractional seconds.
    fileprivate var seconds: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}

/// Header segments already found to say HS256. Tokens carry one of very few spellings (jwt-kit's
/// member order varies between processes), so reading each token's header again is wasted work
/// (BENCHMARKS.md, fix 5).
private final class HS256Headers: Sendable {
    /// Enough for every spelling; a client sending more only misses the shortcut.
    static let capacity = 16
    private let known = Mutex<Set<ArraySlice<UInt8>>>([])

    func contains(_ header: ArraySlice<UInt8>) -> Bool {
        known.withLock { $0.contains(header) }
    }

    func remember(_ header: ArraySlice<UInt8>) {
        known.withLock { known in
            if known.count < Self.capacity { known.insert(ArraySlice(Array(header))) }
        }
    }
}

/// Base64url without padding (RFC 4648 §5), as JWT segments are written.
enum Base64URL {
    private static let values: [UInt8] = {
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8.enumerated() {
            values[Int(character)] = UInt8(index)
        }
        return values
    }()

    /// The bytes `text` encodes; `nil` for a character outside the alphabet, padding, or a length
    /// no encoding has.
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in text {
            let value = values[Int(character)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // The leftover bits of the last character must be zero, as an encoder writes them.
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return output
    }
}
