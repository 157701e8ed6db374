#if canImport(Glibc)
import Glibc
#endif

/// How the C allocator gives memory back, set once before the node starts.
enum HeapSettings {
    /// Blocks this large and larger get mappings of their own, unmapped when freed.
    static let mmapThreshold: Int32 = 128 * 1024

    /// glibc raises its mmap threshold to the size of each large block freed, up to 32 MiB: after
    /// a connect storm, the batch tables and the dictionary copies it freed stay in the heap and in
    /// the node's RSS. A fixed threshold (glibc's default size, without the raising) gives them back
    /// when freed (BENCHMARKS.md, fix 28).
    static func apply() {
        #if canImport(Glibc)
        // `mallopt` is declared in <malloc.h>, which the Glibc module does not export.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mmapThresholdParameter: Int32 = -3  // M_MMAP_THRESHOLD
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThresholdParameter, mmapThreshold)
        #endif
    }
}
