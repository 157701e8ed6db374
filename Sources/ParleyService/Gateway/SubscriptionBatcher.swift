import Synchronization

/// The subscriptions to account channels the state machine asked for and Redis has not been sent
/// yet, sent in batches: one `SUBSCRIBE` for every account that connected meanwhile, not one per
/// socket. Only the latest wish per account counts, so a quick unsubscribe/subscribe can never end
/// unsubscribed.
final class SubscriptionBatcher: Sendable {
    /// Each account's wish: subscribed (`true`) or not.
    private let wishes = Mutex<[Int: Bool]>([:])
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    init() {
        (signals, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func request(_ userID: Int, subscribed: Bool) {
        wishes.withLock { $0[userID] = subscribed }
        signal.yield()
    }

    func finish() {
        signal.finish()
    }

    /// Hands each batch of wishes to `send`, one batch at a time, until ``finish()``.
    func run(_ send: (_ subscribe: [Int], _ unsubscribe: [Int]) async -> Void) async {
        for await _ in signals {
            let batch = wishes.withLock { wishes in
                defer { wishes = [:] }
                return wishes
            }
            await send(batch.filter(\.value).map(\.key), batch.filter { !$0.value }.map(\.key))
        }
    }
}
