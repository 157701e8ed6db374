"""The run's settings and the bounds the checker holds the cluster to, derived from them.

A bound is counted in *healthy seconds*: time during which no fault is active (see
`history.Timeline`). During a partition a node cannot learn of a kick, so two sockets may coexist;
what Parley promises is that once the faults heal, the cluster converges within a bounded time.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    duration: float = 60.0          # seconds of schedule (client operations and faults)
    seed: int = 0
    nodes: int = 3
    accounts: int = 24              # registered accounts; every one has ≥ 2 friends
    loop_clients: int = 6           # of them, clients that reconnect whenever their socket closes
    operation_rate: float = 6.0     # scheduled client operations per second (Poisson)
    heartbeat: int = 1              # PARLEY_HEARTBEAT
    presence_ttl: int = 3           # PARLEY_PRESENCE_TTL
    token_ttl: int = 60             # PARLEY_TOKEN_TTL (its minimum), so long runs see tokens expire
    redis_backoff_cap: float = 2.0  # nio-redis's reconnect back-off maximum (RedisBackoff)
    slack: float = 3.0              # a shared 2-core machine running three debug nodes, PostgreSQL and this harness
    loop_backoff_cap: float = 2.0   # a reconnecting client's longest wait between two attempts

    @property
    def bound(self):
        """How long (healthy seconds) a socket may outlive its supersession, revocation or expiry, or
        two sockets of one account coexist. After a heal a node may first wait out its Redis
        reconnect back-off, then the cards of nodes that died or froze expire (TTL), a heartbeat of
        any node reaps them and drains inboxes, and the owner's next heartbeat re-registers or closes
        (one more heartbeat), plus slack for a loaded machine: TTL + 2 × heartbeat + back-off + slack."""
        return self.presence_ttl + 2 * self.heartbeat + self.redis_backoff_cap + self.slack

    @property
    def liveness_bound(self):
        """How long (healthy seconds, account enabled) a reconnecting client may be without any open
        socket: the bound above, plus its own back-off before the next attempt."""
        return self.bound + self.loop_backoff_cap

    @property
    def delivery_grace(self):
        """A frame read this long after its socket's session was revoked (the revoking request had
        answered) still counts as delivered: the node may have written it just before the
        revocation, and the harness reads it a little later on a busy machine."""
        return 2.0

    def describe(self):
        return (f"seed={self.seed} duration={self.duration:g}s nodes={self.nodes} accounts={self.accounts} "
                f"loop_clients={self.loop_clients} rate={self.operation_rate:g}/s heartbeat={self.heartbeat}s "
                f"ttl={self.presence_ttl}s token_ttl={self.token_ttl}s bound={self.bound:g}s "
                f"liveness_bound={self.liveness_bound:g}s")
