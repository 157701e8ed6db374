/// Under `--sanitize=address`, XCTest (async test plumbing, test-case names) and
/// Foundation's `Process` (weak-reference side tables) leak a few bookkeeping
/// objects that live until exit. Those are toolchain issues, not ours, so leaks
/// whose stack passes through those two libraries are suppressed; any leak in
/// NIORedis, NIO or hiredis is still reported and fails the run.
@_cdecl("__lsan_default_suppressions")
public func leakSanitizerDefaultSuppressions() -> UnsafePointer<CChar> {
    let suppressions: StaticString = "leak:libXCTest.so\nleak:libFoundation.so\n"
    return UnsafeRawPointer(suppressions.utf8Start).assumingMemoryBound(to: CChar.self)
}
