import Foundation
import Testing
@testable import ParleyService

/// The pure parts behind `GET /admin/series`: the histogram's buckets and percentiles, the ring's
/// fixed memory, the rates of a sample, the cluster's sums, `/proc` parsing.
@Suite("Series arithmetic")
struct SeriesArithmeticTests {
    @Test func aDurationFallsInTheBucketWhoseUpperBoundHoldsIt() {
        #expect(LatencyBuckets.index(microseconds: 10) == 0)
        #expect(LatencyBuckets.index(microseconds: 64) == 0)
        #expect(LatencyBuckets.index(microseconds: 128) == 4)  // one doubling: four buckets on
        #expect(LatencyBuckets.index(microseconds: 129) == 5)
        #expect(LatencyBuckets.index(microseconds: 1e12) == LatencyBuckets.count - 1)
        for microseconds in [65.0, 300, 1_000, 12_345, 2_000_000] {
            let bound = LatencyBuckets.upperBoundMilliseconds(of: LatencyBuckets.index(microseconds: microseconds)) * 1000
            #expect(bound >= microseconds * 0.999999 && bound < microseconds * 1.19, "\(microseconds) µs reads \(bound) µs")
        }
    }

    @Test func theP99IsOfWhatWasRecordedBetweenTwoReadings() {
        let recorder = LatencyRecorder()
        for _ in 0..<1000 { recorder.record(.milliseconds(500)) }  // before the interval: not counted
        let earlier = recorder.reading()
        #expect(recorder.reading().quantileMilliseconds(0.99, since: earlier) == nil)
        for _ in 0..<98 { recorder.record(.milliseconds(1)) }
        for _ in 0..<2 { recorder.record(.milliseconds(40)) }
        let p99 = recorder.reading().quantileMilliseconds(0.99, since: earlier)!
        #expect(p99 >= 40 && p99 < 40 * 1.19)
        let p50 = recorder.reading().quantileMilliseconds(0.5, since: earlier)!
        #expect(p50 >= 1 && p50 < 1.19)
    }

    @Test func theRingKeepsTheLastCapacityElementsOldestFirst() {
        var ring = SampleRing<Int>(capacity: 3)
        #expect(ring.elements.isEmpty)
        ring.append(1)
        ring.append(2)
        #expect(ring.elements == [1, 2])
        for value in 3...7 { ring.append(value) }
        #expect(ring.elements == [5, 6, 7])
        #expect(ring.count == 3)
    }

    @Test func aSampleHoldsRatesOverTheIntervalAndGaugesAtItsEnd() {
        var before = CounterReading(connectsAccepted: 10, connectsRefused: ["token_invalid": 1], kicks: 3, messages: 100, redisErrors: 2)
        before.process = .init(residentBytes: 1, cpuSeconds: 4)
        var after = before
        after.sockets = 7
        after.accountsOnline = 6
        after.connectsAccepted = 30
        after.connectsRefused = ["token_invalid": 1, "rate_limited": 5]
        after.kicks = 8
        after.messages = 150
        after.redisErrors = 2
        after.heartbeatLagMicroseconds = 2_500
        after.postgresInFlight = 25
        after.postgresPoolSize = 20
        after.process = .init(residentBytes: 50_000_000, cpuSeconds: 6.5)
        after.http = ["chat": .init(requests: 50, latency: LatencyBuckets())]

        let sample = Sampler.sample(from: before, to: after, seconds: 5, at: 1_000)
        #expect(sample.t == 1_000)
        #expect(sample.sockets == 7 && sample.accountsOnline == 6)
        #expect(sample.connects == Sample.Connects(accepted: 4, refused: ["token_invalid": 0, "rate_limited": 1]))
        #expect(sample.kicks == 1 && sample.messages == 10 && sample.redisErrors == 0)
        #expect(sample.heartbeatLagMilliseconds == 2.5)
        #expect(sample.postgresInUse == 20 && sample.postgresWaiting == 5)
        #expect(sample.rssBytes == 50_000_000 && sample.cpu == 0.5)
        #expect(sample.http == ["chat": Sample.HTTPGroup(requests: 10, p99Milliseconds: nil)])
        #expect(sample.kickP99Milliseconds == nil)
    }

    @Test func theClusterSumsCountsAndTakesTheWorstLatencyOfTheSameTime() {
        let a = Sampler.sample(from: CounterReading(), to: CounterReading(sockets: 2, kicks: 10), seconds: 1, at: 5_000)
        var b = Sampler.sample(from: CounterReading(), to: CounterReading(sockets: 3, kicks: 5), seconds: 1, at: 5_000)
        b.kickP99Milliseconds = 12
        b.heartbeatLagMilliseconds = 30
        b.http = ["chat": .init(requests: 4, p99Milliseconds: 8)]
        var aHTTP = a
        aHTTP.http = ["chat": .init(requests: 1, p99Milliseconds: 20), "login": .init(requests: 2, p99Milliseconds: nil)]
        let later = Sampler.sample(from: CounterReading(), to: CounterReading(sockets: 1), seconds: 1, at: 10_000)

        let cluster = ClusterSeries.combine([[aHTTP, later], [b]])
        #expect(cluster.map(\.t) == [5_000, 10_000])
        #expect(cluster[0].sockets == 5 && cluster[0].kicks == 15)
        #expect(cluster[0].kickP99Milliseconds == 12 && cluster[0].heartbeatLagMilliseconds == 30)
        #expect(cluster[0].http == ["chat": Sample.HTTPGroup(requests: 5, p99Milliseconds: 20), "login": Sample.HTTPGroup(requests: 2, p99Milliseconds: nil)])
        #expect(cluster[1] == later)
    }

    @Test func procStatIsReadPastACommandNameWithSpacesAndParentheses() {
        let stat = "4242 (parley (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 100 0 0"
        let reading = ProcessUsage.parse(stat: stat, statm: "5000 1200 300 1 0 800 0\n", pageSize: 4096, ticksPerSecond: 100)
        #expect(reading == ProcessUsage.Reading(residentBytes: 1200 * 4096, cpuSeconds: 3))
        #expect(ProcessUsage.read().residentBytes > 0)
    }

    @Test func routesGroupByTheirFirstSegment() {
        #expect(NodeCounters.routeGroup("/friend/read/:id") == "friend")
        #expect(NodeCounters.routeGroup("/login") == "login")
        #expect(NodeCounters.routeGroup("/") == "/")
        #expect(NodeCounters.routeGroup("unmatched") == "unmatched")
    }

    @Test func theHeartbeatMaximumRisesAndStartsAgainWhenTaken() {
        let counter = AtomicCounter()
        counter.raise(to: 5)
        counter.raise(to: 3)
        #expect(counter.current == 5)
        #expect(counter.take() == 5)
        #expect(counter.current == 0)
    }
}
