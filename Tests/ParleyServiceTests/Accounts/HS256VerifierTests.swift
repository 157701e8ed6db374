import Foundation
import JWTKit
import Testing
@testable import ParleyService

/// ``HS256Verifier`` against jwt-kit, which signs every token and verified them before: both must
/// accept exactly the same tokens.
@Suite("HS256 verification")
struct HS256VerifierTests {
    static let secret = TestEnvironment.jwtSecret

    static func jwtKit(_ secret: String = secret) async -> JWTKeyCollection {
        await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    static func claims(exp: Date = Date().addingTimeInterval(60)) -> TokenClaims {
        TokenClaims(sub: "42", sid: "6f1c1a1e-8d5e-4a57-9b7a-2d6f0c3b9e11", iat: .init(value: Date()), exp: .init(value: exp))
    }

    @Test func readsTheClaimsOfWhatJWTKitSigns() async throws {
        let claims = Self.claims()
        let token = try await Self.jwtKit().sign(claims)
        let read = try #require(HS256Verifier(secret: Self.secret).claims(of: token))
        #expect(read.subject == "42")
        #expect(read.sessionID == claims.sid)
        #expect(abs(read.issuedAt - claims.iat.value.timeIntervalSince1970) < 1)
        #expect(abs(read.expiresAt - claims.exp.value.timeIntervalSince1970) < 1)
    }

    /// Every one-character change to a signed token, and a few forgeries: only the untouched token
    /// passes, and nothing passes that jwt-kit refuses. (jwt-kit may take a last character whose
    /// unused bits differ; the verifier refuses what no encoder writes.)
    @Test func agreesWithJWTKitOnEveryAlteredToken() async throws {
        let keys = await Self.jwtKit()
        let verifier = HS256Verifier(secret: Self.secret)
        let token = try await keys.sign(Self.claims())
        let otherKey = try await Self.jwtKit(String(repeating: "k", count: 40)).sign(Self.claims())
        let noneHeader = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + token.split(separator: ".")[1] + "."
        let hs384Header = "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9." + token.split(separator: ".").dropFirst().joined(separator: ".")
        var candidates = [token, otherKey, noneHeader, hs384Header, "", ".", "..", "a.b.c", token + ".", token + "=", "." + token]
        let characters = Array(token)
        for index in characters.indices {
            var altered = characters
            altered[index] = altered[index] == "A" ? "B" : "A"
            candidates.append(String(altered))
        }
        for candidate in candidates {
            let byJWTKit = (try? await keys.verify(candidate, as: TokenClaims.self)) != nil
            let byVerifier = verifier.claims(of: candidate) != nil
            #expect(byJWTKit || !byVerifier, "\(candidate): jwt-kit refuses what the verifier accepts")
            #expect(byVerifier == (candidate == token), "\(candidate)")
        }
    }

    @Test func tellsExpiredFromInvalid() async throws {
        let authority = try await TokenAuthority(secret: Self.secret, lifetime: .seconds(60))
        let expired = try await Self.jwtKit().sign(Self.claims(exp: Date().addingTimeInterval(-1)))
        #expect(throws: TokenRejection.expired) { try authority.verify(expired) }
        var notASession = Self.claims()
        notASession.sid = "not-a-uuid"
        let invalid = try await Self.jwtKit().sign(notASession)
        #expect(throws: TokenRejection.invalid) { try authority.verify(invalid) }
    }

    @Test(arguments: [
        ("", []), ("Zg", [0x66]), ("Zm8", [0x66, 0x6F]), ("Zm9v", [0x66, 0x6F, 0x6F]), ("-_8", [0xFB, 0xFF]),
    ] as [(String, [UInt8])])
    func decodesBase64URL(text: String, bytes: [UInt8]) {
        #expect(Base64URL.decode(ArraySlice(text.utf8)) == bytes)
    }

    /// A length no encoding has, padding, characters of plain base64, and (`Zh`, `Zm9`) unused
    /// bits that are not zero.
    @Test(arguments: ["Z", "Zm9v=", "Zm+v", "Zm/v", "Zh", "Zm9", "Z m9"])
    func refusesWhatNoEncoderWrites(text: String) {
        #expect(Base64URL.decode(ArraySlice(text.utf8)) == nil)
    }
}
