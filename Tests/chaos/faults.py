"""Performs the schedule's fault episodes, one after another, and records each fault's window.

A window lasts from the fault's start until it is healed: the node restarted *and ready*, resumed,
Redis answering again, PostgreSQL accepting connections, the proxy flowing. The checker's bounds
count only time outside every window (`history.Timeline`). Episodes run one at a time; the two
combinations overlap a partition or a freeze with a Redis restart, on purpose.
"""
import asyncio

from history import FaultRecord


class FaultInjector:
    def __init__(self, clock, history, nodes, redis, postgres, redis_proxies, pg_proxies, provoke=None):
        self.clock = clock
        self.provoke = provoke  # async (node index): client operations aimed at the faulted node
        self.provocations = []
        self.repairs = []
        for node in nodes:
            node.on_crash = self.node_crashed
        self.history = history
        self.nodes = nodes
        self.redis = redis
        self.postgres = postgres
        self.redis_proxies = redis_proxies
        self.pg_proxies = pg_proxies

    async def run(self, episodes, until):
        """Performs episodes until the schedule's end; one never starts after `until`."""
        for episode in episodes:
            await asyncio.sleep(episode.gap)
            if self.clock.now() + episode.duration >= until:
                return
            await getattr(self, episode.kind)(episode)

    def _begin(self, kind, target, detail=""):
        record = FaultRecord(kind, target, self.clock.now(), detail=detail)
        self.history.faults.append(record)
        return record

    def _healed(self, record):
        record.healed = self.clock.now()

    async def _hold(self, episode):
        """Waits out the fault, provoking the clients near its middle — in the background, so a slow
        request never lengthens the fault."""
        await asyncio.sleep(episode.duration * 0.4)
        if self.provoke is not None:
            self.provocations.append(asyncio.ensure_future(self.provoke(episode.node)))
        await asyncio.sleep(episode.duration * 0.6)

    async def _restart_node(self, node):
        try:
            await node.start(ready_timeout=30)
        except TimeoutError as error:
            self.history.harness_errors.append(f"{self.clock.now():.2f}s: {error}")

    # -- nodes -------------------------------------------------------------------------------------

    async def node_kill(self, episode):
        node = self.nodes[episode.node]
        record = self._begin("node_kill", node.name, f"down {episode.duration:.1f}s")
        await node.kill()
        await self._hold(episode)
        await self._restart_node(node)
        self._healed(record)

    async def node_pause(self, episode):
        node = self.nodes[episode.node]
        record = self._begin("node_pause", node.name, f"SIGSTOP {episode.duration:.1f}s")
        node.pause()
        await self._hold(episode)
        node.resume()
        self._healed(record)

    def node_crashed(self, node, status):
        """A node exited by itself: recorded (a violation), then restarted like a supervisor would —
        a fault window until it is ready, so what follows from the crash is not counted twice."""
        self.history.crashes.append({"node": node.name, "at": self.clock.now(), "status": status,
                                     "report": node.crash_report()})
        record = self._begin("node_crash", node.name, f"exited with {status}")

        async def restart():
            await self._restart_node(node)
            self._healed(record)
        self.repairs.append(asyncio.ensure_future(restart()))

    # -- Redis -------------------------------------------------------------------------------------

    async def redis_restart(self, episode):
        record = self._begin("redis_restart", "redis", "restarted empty")
        await self.redis.restart_empty()
        self._healed(record)

    async def redis_flush(self, episode):
        record = self._begin("redis_flush", "redis", "FLUSHALL, connections kept")
        await self.redis.cli("FLUSHALL")
        self._healed(record)

    async def redis_reset(self, episode):
        proxy = self.redis_proxies[episode.node]
        record = self._begin("redis_reset", proxy.name, "connections reset")
        proxy.reset()
        self._healed(record)

    async def _partition(self, kind, proxy, episode, apply, detail):
        heal = "reset" if episode.params["reset_on_heal"] else "resumed"
        record = self._begin(kind, proxy.name, f"{detail} {episode.duration:.1f}s, then {heal}")
        apply()
        await self._hold(episode)
        proxy.heal(reset=episode.params["reset_on_heal"])
        self._healed(record)

    async def redis_blackhole(self, episode):
        proxy = self.redis_proxies[episode.node]
        await self._partition("redis_blackhole", proxy, episode, proxy.blackhole, "blackholed")

    async def redis_cut(self, episode):
        proxy = self.redis_proxies[episode.node]
        direction = episode.params["direction"]
        await self._partition("redis_cut", proxy, episode, lambda: proxy.cut(direction), f"cut {direction}")

    async def redis_delay(self, episode):
        proxy = self.redis_proxies[episode.node]
        delay = episode.params["delay"]
        await self._partition("redis_delay", proxy, episode, lambda: proxy.delay(delay), f"delayed {delay:.2f}s")

    async def partition_redis_restart(self, episode):
        """Issue 13 (b): one node cut off from Redis while Redis restarts empty and the others go on."""
        proxy = self.redis_proxies[episode.node]

        async def restart_meanwhile():
            await asyncio.sleep(min(1.0, episode.duration / 2))
            await self.redis_restart(episode)

        restart = asyncio.ensure_future(restart_meanwhile())
        await self._partition("redis_blackhole", proxy, episode, proxy.blackhole, "blackholed across a Redis restart,")
        await restart

    async def pause_redis_restart(self, episode):
        """A node frozen past the TTL (its peers reap it) while Redis restarts empty."""
        restart = asyncio.ensure_future(self._after(1.0, self.redis_restart(episode)))
        await self.node_pause(episode)
        await restart

    @staticmethod
    async def _after(seconds, action):
        await asyncio.sleep(seconds)
        await action

    # -- PostgreSQL --------------------------------------------------------------------------------

    async def pg_stop(self, episode):
        how = "immediate" if episode.params["immediate"] else "fast"
        record = self._begin("pg_stop", "postgres", f"{how} shutdown, down {episode.duration:.1f}s")
        await self.postgres.stop(immediate=episode.params["immediate"])
        await asyncio.sleep(episode.duration)
        await self.postgres.start()
        self._healed(record)

    async def pg_blackhole(self, episode):
        proxy = self.pg_proxies[episode.node]
        await self._partition("pg_blackhole", proxy, episode, proxy.blackhole, "blackholed")

    # -- the end -----------------------------------------------------------------------------------

    async def heal_all(self):
        """Whatever is still broken is repaired (a failed restart), once the provocations are done."""
        await asyncio.gather(*self.provocations, *self.repairs, return_exceptions=True)
        for proxy in self.redis_proxies + self.pg_proxies:
            proxy.heal()
        if not await self.redis.answers():
            await self.redis.start()
        if not await self.postgres.answers():
            await self.postgres.start()
        for node in self.nodes:
            if node.paused:
                node.resume()
            if not node.running:
                await self._restart_node(node)
