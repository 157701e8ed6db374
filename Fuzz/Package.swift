// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for every parser of client bytes (README "Tests", scripts/fuzz.sh).
//
// Only the code under test is built here, instrumented: `ParleyParsers` is the parsers' own files
// from Sources/ParleyService (Sources/ParleyParsers holds a symlink per file), `NIORedis` and
// `CHiredis` the Redis client's (directory symlinks into Packages/nio-redis). Their dependencies
// build plainly, so the fuzzer's coverage feedback is about Parley's parsers rather than NIO's
// internals. Compiling the parsers rather than the whole server keeps this package's dependencies
// to Hummingbird's: it builds in a fraction of the server's time, which `make test` pays on every
// clean clone. A parser that comes to need another file fails this build (`make test` runs it);
// add the file's symlink.

/// Coverage instrumentation and AddressSanitizer, for the code under test and the targets.
let instrumented: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

/// A fuzz target: its main.swift hands its test to libFuzzer (see FuzzSupport/RunFuzzer.swift).
/// Linked by lld: gold warns once for every AddressSanitizer symbol it cannot export, hundreds.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + dependencies,
        swiftSettings: instrumented,
        linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]
    )
}

let package = Package(
    name: "parley-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
    ],
    targets: [
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(
            name: "NIORedis",
            dependencies: [
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: instrumented
        ),
        .target(
            name: "ParleyParsers",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: instrumented
        ),
        .systemLibrary(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        fuzzTarget("FuzzRequestFields", ["ParleyParsers", .product(name: "NIOCore", package: "swift-nio")]),
        fuzzTarget("FuzzUpgradeToken", ["ParleyParsers"]),
        fuzzTarget(
            "FuzzFrameAggregator",
            ["ParleyParsers", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio")]
        ),
        fuzzTarget("FuzzJSONWriter", ["ParleyParsers"]),
        fuzzTarget("FuzzRESPReader", ["NIORedis", .product(name: "NIOCore", package: "swift-nio")]),
    ]
)
