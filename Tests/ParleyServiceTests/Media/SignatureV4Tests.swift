import Crypto
import Foundation
import Testing
@testable import ParleyService

/// ``SignatureV4`` against the signatures AWS publishes: the S3 API reference's worked examples
/// ("Signature Calculations for the Authorization Header" and "Query String Authentication") and
/// cases of the SigV4 test suite (aws-sig-v4-test-suite).
@Suite("AWS Signature Version 4")
struct SignatureV4Tests {
    /// The S3 examples' key, bucket host and time.
    static let s3 = SignatureV4(
        credentials: .init(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1",
        service: "s3"
    )
    static let s3Host = "examplebucket.s3.amazonaws.com"
    static let may24 = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    /// The test suite's key, host and time.
    static let suite = SignatureV4(
        credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1",
        service: "service"
    )
    static let august30 = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    static func authorization(
        _ signer: SignatureV4, _ request: SignatureV4.Request, payloadHash: String, date: Date
    ) -> (signedHeaders: String, signature: String) {
        let headers = signer.headers(for: request, payloadHash: payloadHash, date: date)
        let authorization = headers.first { $0.0 == "authorization" }!.1
        let signed = authorization.components(separatedBy: "SignedHeaders=")[1].components(separatedBy: ",")[0]
        return (signed, authorization.components(separatedBy: "Signature=")[1])
    }

    /// An S3 example: `x-amz-content-sha256` is one of the signed headers, as S3 wants it.
    static func s3Signature(_ method: String, _ path: String, query: [(String, String)] = [], headers: [(String, String)] = [], body: String = "")
        -> (signedHeaders: String, signature: String)
    {
        let payloadHash = SignatureV4.hex(SHA256.hash(data: Data(body.utf8)))
        let request = SignatureV4.Request(
            method: method, host: s3Host, path: path, query: query, headers: headers + [("x-amz-content-sha256", payloadHash)]
        )
        return authorization(s3, request, payloadHash: payloadHash, date: may24)
    }

    @Test func s3GetObjectWithARange() {
        let signed = Self.s3Signature("GET", "/test.txt", headers: [("Range", "bytes=0-9")])
        #expect(signed.signedHeaders == "host;range;x-amz-content-sha256;x-amz-date")
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func s3PutObjectEncodesTheKeyAndSignsTheBody() {
        let signed = Self.s3Signature(
            "PUT", "/test$file.text",
            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            body: "Welcome to Amazon S3."
        )
        #expect(signed.signedHeaders == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func s3GetBucketLifecycleHasAParameterWithoutValue() {
        #expect(Self.s3Signature("GET", "/", query: [("lifecycle", "")]).signature
            == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func s3ListObjectsSortsTheQuery() {
        #expect(Self.s3Signature("GET", "/", query: [("prefix", "J"), ("max-keys", "2")]).signature
            == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func s3PresignedGet() {
        let request = SignatureV4.Request(method: "GET", host: Self.s3Host, path: "/test.txt")
        #expect(
            Self.s3.presignedQuery(for: request, expires: 86_400, date: Self.may24)
                == "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
                + "&X-Amz-SignedHeaders=host"
        )
    }

    @Test(arguments: [
        ("GET", [(String, String)](), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),  // get-vanilla
        ("GET", [("Param2", "value2"), ("Param1", "value1")], "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),  // get-vanilla-query-order-key-case
        ("POST", [], "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),  // post-vanilla
    ])
    func testSuite(method: String, query: [(String, String)], signature: String) {
        let request = SignatureV4.Request(method: method, host: "example.amazonaws.com", path: "/", query: query)
        let signed = Self.authorization(Self.suite, request, payloadHash: SignatureV4.emptyPayloadHash, date: Self.august30)
        #expect(signed.signedHeaders == "host;x-amz-date")
        #expect(signed.signature == signature)
    }

    @Test func encodesAsS3Wants() {
        #expect(SignatureV4.encode(path: "/a b/ü~_-.") == "/a%20b/%C3%BC~_-.")
        #expect(SignatureV4.encode("a/b=c") == "a%2Fb%3Dc")
        #expect(SignatureV4.timestamp(Self.august30) == "20150830T123600Z")
    }
}
