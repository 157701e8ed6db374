import CLibFuzzer
import Foundation

/// Runs libFuzzer's driver on the target's `LLVMFuzzerTestOneInput` with the program's arguments,
/// and exits with its status.
///
/// libFuzzer's own `main` does not run here: SwiftPM renames an executable's `main` to
/// `<module>_main` and links `main` to that (so that tests can link executables), unless the whole
/// build is `--sanitize=fuzzer`, which would instrument every dependency too. So each target's
/// `main.swift` calls this, which starts libFuzzer's driver as libFuzzer documents for programs
/// with a main of their own.
public func runFuzzer() -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
}

/// The bytes of one fuzz run.
public func fuzzBytes(_ start: UnsafePointer<UInt8>?, _ count: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : count)
}
