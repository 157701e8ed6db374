import NIOCore
import Testing
@testable import ParleyService

@Suite("Contact list cache")
struct ContactListCacheTests {
    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func answersOnlyForTheVersionItWasReadAt() {
        let cache = ContactListCache()
        cache.store(Self.body("v3"), for: 1, version: 3)
        #expect(cache.body(for: 1, version: 3) == Self.body("v3"))
        #expect(cache.body(for: 1, version: 4) == nil)
        #expect(cache.body(for: 2, version: 3) == nil)
    }

    /// Two requests racing: the one that read the older version stores last, and must not replace
    /// the newer list.
    @Test func neverReplacesANewerList() {
        let cache = ContactListCache()
        cache.store(Self.body("new"), for: 1, version: 5)
        cache.store(Self.body("old"), for: 1, version: 4)
        #expect(cache.body(for: 1, version: 5) == Self.body("new"))
        cache.store(Self.body("newer"), for: 1, version: 6)
        #expect(cache.body(for: 1, version: 6) == Self.body("newer"))
        #expect(cache.size.lists == 1 && cache.size.bytes == 5)
    }

    @Test func dropsTheListsStoredLongestAgoPastItsCapacity() {
        let cache = ContactListCache(capacity: 10)
        cache.store(Self.body("aaaa"), for: 1, version: 1)
        cache.store(Self.body("bbbb"), for: 2, version: 1)
        cache.store(Self.body("aaaaa"), for: 1, version: 2)  // 1 is now the most recent
        cache.store(Self.body("cc"), for: 3, version: 1)
        #expect(cache.body(for: 2, version: 1) == nil)
        #expect(cache.body(for: 1, version: 2) == Self.body("aaaaa"))
        #expect(cache.body(for: 3, version: 1) == Self.body("cc"))
        #expect(cache.size.bytes == 7)
        cache.store(Self.body(String(repeating: "x", count: 11)), for: 4, version: 1)  // larger than the whole cache
        #expect(cache.body(for: 4, version: 1) == nil)
        #expect(cache.size.lists == 2)
    }

    /// An owner stored again and again leaves stale places in the order; they are dropped, so the
    /// bookkeeping stays bounded by the lists kept.
    @Test func storingOneListRepeatedlyKeepsOneEntry() {
        let cache = ContactListCache(capacity: 1 << 20)
        for version in 1...10_000 { cache.store(Self.body("list"), for: 7, version: Int64(version)) }
        #expect(cache.size.lists == 1 && cache.size.bytes == 4)
        #expect(cache.size.places <= 2 + 64)
        #expect(cache.body(for: 7, version: 10_000) == Self.body("list"))
    }
}
