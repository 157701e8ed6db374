/// The last `capacity` elements appended, in fixed memory: the storage is allocated once and the
/// oldest element is overwritten by the next.
struct SampleRing<Element: Sendable>: Sendable {
    let capacity: Int
    private var storage: [Element] = []
    /// Where the next element goes once the storage is full.
    private var next = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    var count: Int { storage.count }

    mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[next] = element
            next = (next + 1) % capacity
        }
    }

    /// Oldest first.
    var elements: [Element] {
        Array(storage[next...] + storage[..<next])
    }
}
