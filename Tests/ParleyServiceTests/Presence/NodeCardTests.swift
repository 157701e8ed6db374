import Foundation
import NIOCore
import Testing
@testable import ParleyService

/// Node cards as Redis holds them, across a rolling upgrade.
@Suite("Node cards")
struct NodeCardTests {
    private static let card = NodeCard(
        id: "node-1", address: "10.0.0.1:8080", version: "1.2.3", startedAt: Date(timeIntervalSince1970: 1_764_000_000.125),
        lastSeen: Date(timeIntervalSince1970: 1_764_000_060.5), connections: 3, draining: true
    )

    @Test func cardsKeepTheirDatesAsTimestamps() throws {
        let stored = try Self.card.jsonText()
        #expect(stored.contains(#""started_at":"2025-11-24T16:00:00.125Z""#))
        #expect(stored.contains(#""last_seen":"2025-11-24T16:01:00.500Z""#))
        #expect(try NodeCard(stored: ByteBuffer(string: stored)) == Self.card)
    }

    /// What the previous release writes, seconds since 2001 as numbers, while a rollout replaces it.
    @Test func cardsOfThePreviousReleaseAreRead() throws {
        let stored = try JSONEncoder().encode(Self.card)
        #expect(String(decoding: stored, as: UTF8.self).contains(#""started_at":785692800."#))
        #expect(try NodeCard(stored: ByteBuffer(bytes: stored)) == Self.card)
    }
}
