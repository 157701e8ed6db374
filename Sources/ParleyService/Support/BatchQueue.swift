import Synchronization

/// Work handed in one item at a time and done a batch at a time: ``run(maximumBatch:_:)`` takes
/// everything that arrived while the previous batch ran. Under load, one query or one script call
/// serves hundreds of sockets; when idle, a batch is one item and waits for nothing.
final class BatchQueue<Item: Sendable>: Sendable {
    private let items = Mutex<[Item]>([])
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    init() {
        (signals, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func append(_ item: Item) {
        items.withLock { $0.append(item) }
        signal.yield()
    }

    /// Ends ``run(maximumBatch:_:)`` once it has handed over what is queued.
    func finish() {
        signal.finish()
    }

    /// Hands what is queued to `process`, at most `maximumBatch` items at a time and one batch at a
    /// time, until ``finish()``.
    func run(maximumBatch: Int, _ process: ([Item]) async -> Void) async {
        for await _ in signals {
            while true {
                let batch = items.withLock { items -> [Item] in
                    let batch = Array(items.prefix(maximumBatch))
                    items.removeFirst(batch.count)
                    return batch
                }
                if batch.isEmpty { break }
                await process(batch)
            }
        }
    }
}
