"""The seeded schedule: every client operation and fault of a run, drawn up front from the seed.

The same seed gives the same plan — which account does what on which node at which second, and which
faults hit what for how long — so a failing seed replays the same sequence. The outcomes still
depend on timing (the cluster is real), so a replay reproduces the conditions, usually the failure.
"""
import random
from dataclasses import dataclass, field

# Client operations and their weights. `connect` is for accounts without a reconnect loop (a loop
# opens its own sockets); a disable is always followed by an enable a few seconds later.
OPERATIONS = {"send": 30, "connect": 20, "login": 14, "presence": 12, "getmessage": 6, "logout": 5,
              "close": 5, "disable": 3}

# Faults and their weights. The two combinations are the situations of issue 13's holes: Redis
# restarted empty while one node is cut off from it, or frozen.
FAULTS = {"node_kill": 2, "node_pause": 2, "redis_restart": 1, "redis_flush": 1, "redis_blackhole": 2,
          "redis_cut": 2, "redis_delay": 1, "redis_reset": 1, "pg_stop": 1, "pg_blackhole": 1,
          "partition_redis_restart": 2, "pause_redis_restart": 1}


@dataclass
class Step:
    at: float
    kind: str
    account: int
    node: int
    friend: int = -1      # send: the recipient
    fetch: bool = False   # connect: ask for waiting messages afterwards


@dataclass
class Episode:
    gap: float            # healthy seconds before it starts
    kind: str
    node: int
    duration: float
    params: dict = field(default_factory=dict)


def client_steps(rng, settings, friends):
    """Poisson-timed operations over the run; `friends[i]` lists account i's friends."""
    kinds, weights = zip(*OPERATIONS.items())
    loops = range(settings.loop_clients)
    steps, at = [], 0.0
    while True:
        at += rng.expovariate(settings.operation_rate)
        if at >= settings.duration:
            break
        kind = rng.choices(kinds, weights)[0]
        account = rng.randrange(settings.accounts)
        if kind == "connect" and account in loops:
            kind = "getmessage"
        step = Step(at, kind, account, rng.randrange(settings.nodes))
        if kind == "send":
            step.friend = rng.choice(friends[account])
        elif kind == "connect":
            step.fetch = rng.random() < 0.6
        elif kind == "disable":
            steps.append(Step(at + rng.uniform(2, 6), "enable", account, rng.randrange(settings.nodes)))
        steps.append(step)
    return sorted(steps, key=lambda s: s.at)


def fault_episodes(rng, settings, count=1000):
    kinds, weights = zip(*FAULTS.items())
    ttl = settings.presence_ttl
    episodes = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        node = rng.randrange(settings.nodes)
        params = {"reset_on_heal": rng.random() < 0.3}
        if kind == "node_kill":
            duration = rng.uniform(0.5, 3)
        elif kind in ("node_pause", "pause_redis_restart"):
            duration = ttl + rng.uniform(1, 3)  # longer than the presence TTL: its peers reap it
        elif kind == "redis_cut":
            duration = rng.uniform(2, 6)
            params["direction"] = rng.choice(["up", "down"])
        elif kind == "redis_delay":
            duration = rng.uniform(3, 6)
            params["delay"] = rng.uniform(0.1, 0.8)
        elif kind == "pg_stop":
            duration = rng.uniform(1, 4)
            params["immediate"] = rng.random() < 0.5
        elif kind in ("redis_restart", "redis_flush", "redis_reset"):
            duration = 0.0
        else:
            duration = rng.uniform(2, 6)
        episodes.append(Episode(rng.uniform(1.5, 4), kind, node, duration, params))
    return episodes


def make_friends(rng, accounts):
    """Each account befriends the next two (a ring), so everybody has at least two friends."""
    pairs = {(i, (i + k) % accounts) for i in range(accounts) for k in (1, 2)}
    friends = {i: [] for i in range(accounts)}
    for a, b in pairs:
        friends[a].append(b)
        friends[b].append(a)
    return sorted(pairs), {i: sorted(f) for i, f in friends.items()}


def plan(settings):
    """(friend pairs, friends per account, client steps, fault episodes, a per-account rng seed)."""
    rng = random.Random(settings.seed)
    pairs, friends = make_friends(rng, settings.accounts)
    steps = client_steps(random.Random(rng.random()), settings, friends)
    episodes = fault_episodes(random.Random(rng.random()), settings)
    account_seeds = [rng.random() for _ in range(settings.accounts)]
    return pairs, friends, steps, episodes, account_seeds
