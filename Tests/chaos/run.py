"""`make chaos`: three real nodes, a private PostgreSQL and redis-server, a fault proxy on every node's
links, a seeded schedule of client operations and faults; then heal, converge, snapshot and check.

    python Tests/chaos/run.py --duration 60 [--seed N] [--binary PATH]

Prints the seed first and the checker's report last; exits 1 when a property was violated, 2 when the
harness itself failed. Everything it starts is stopped when it ends, also on Ctrl-C or SIGTERM.
Its files (node logs, `history.json`, `report.txt`) stay in `.local/chaos/runs/<seed>-<pid>/`.
"""
import argparse
import asyncio
import dataclasses
import fcntl
import os
import random
import shutil
import signal
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "cluster"))

from conftest import free_port  # noqa: E402  (the multi-node tests' helper)

import checker  # noqa: E402
from clients import ADMIN_TOKEN, PASSWORD, Account, Clock, World  # noqa: E402
from faults import FaultInjector  # noqa: E402
from history import History  # noqa: E402
from proxy import FaultProxy  # noqa: E402
from schedule import Step, plan  # noqa: E402
from services import Node, Postgres, Redis, run as run_command  # noqa: E402
from settings import Settings  # noqa: E402
import web  # noqa: E402

CHAOS_DIR = ROOT / ".local" / "chaos"
SECRET = "chaos-secret-0123456789abcdef-0123456789"
KEEP_RUNS = 8


class Run:
    def __init__(self, settings, binary, workdir):
        self.settings = settings
        self.binary = binary
        self.workdir = workdir
        self.history = History(settings=dataclasses.asdict(settings))
        self.postgres = self.redis = None
        self.nodes, self.redis_proxies, self.pg_proxies = [], [], []
        self.accounts = []
        self.loop_tasks = []

    # -- start -------------------------------------------------------------------------------------

    async def start_services(self):
        self.postgres = Postgres(self.workdir, free_port())
        await _copy_postgres_template(self.postgres)
        await self.postgres.start()
        await self.postgres.psql("CREATE DATABASE parley_chaos", database="postgres")
        status, output = await run_command([self.binary, "migrate", "--sql-dir", ROOT / "sql"],
                                           env=dict(os.environ, PARLEY_DATABASE_URL=self.postgres.url()))
        if status != 0:
            raise RuntimeError(f"migrate failed: {output}")
        self.redis = Redis(self.workdir, free_port())
        await self.redis.start()
        for i in range(self.settings.nodes):
            name = f"node-{i + 1}"
            redis_proxy = FaultProxy(f"{name}→redis", ("127.0.0.1", self.redis.port), free_port())
            pg_proxy = FaultProxy(f"{name}→postgres", ("127.0.0.1", self.postgres.port), free_port())
            await redis_proxy.start()
            await pg_proxy.start()
            self.redis_proxies.append(redis_proxy)
            self.pg_proxies.append(pg_proxy)
            self.nodes.append(Node(name, free_port(), self.binary, self.workdir, self.settings,
                                   f"redis://127.0.0.1:{redis_proxy.port}/0", self.postgres.url(pg_proxy.port),
                                   ADMIN_TOKEN, SECRET))
        await asyncio.gather(*(node.start() for node in self.nodes))

    async def create_accounts(self, world, pairs, account_seeds):
        node = self.nodes[0]
        for index in range(self.settings.accounts):
            username = f"chaos{index:02d}{random.Random(account_seeds[index]).randrange(10**6):06d}"
            answer = await web.request(node.port, "POST", "/reg",
                                       {"username": username, "password": PASSWORD, "repassword": PASSWORD})
            if not answer.ok:
                raise RuntimeError(f"registration failed: {answer}")
            account = Account(world, index, answer.data["id"], username, index < self.settings.loop_clients,
                              random.Random(account_seeds[index]))
            if not await account.login(node):
                raise RuntimeError("setup login failed")
            self.accounts.append(account)
        for a, b in pairs:
            first, second = self.accounts[a], self.accounts[b]
            applied = await web.request(node.port, "POST", "/apply/addfriend",
                                        {"friend_id": second.user_id, "lookme": 1, "lookhim": 1},
                                        {"token": first.token})
            agreed = await web.request(node.port, "POST", f"/apply/handle/{applied.data['id']}" if applied.ok else "/",
                                       {"status": "agree", "lookme": 1, "lookhim": 1}, {"token": second.token})
            if not (applied.ok and agreed.ok):
                raise RuntimeError(f"befriending failed: {applied} {agreed}")
            first.friends.append(second)
            second.friends.append(first)
        for account in self.accounts:
            self.history.accounts[account.index] = {
                "user_id": account.user_id, "username": account.username, "loop": account.loop,
                "friends": [f.index for f in account.friends]}

    # -- the schedule ------------------------------------------------------------------------------

    async def perform(self, step):
        account = self.accounts[step.account]
        node = self.nodes[step.node]
        if step.kind == "presence":
            await account.presence(node)
            return
        # An enable waits for its turn: skipped, it would leave the account disabled for the rest of the run.
        if account.lock.locked() and step.kind != "enable":
            self.history.skipped[step.kind] = self.history.skipped.get(step.kind, 0) + 1
            return
        async with account.lock:
            if step.kind == "send":
                await account.send(node, self.accounts[step.friend])
            elif step.kind == "connect":
                await account.connect(node, step.fetch)
            elif step.kind == "login":
                await account.login(node)
            elif step.kind == "getmessage":
                await account.get_messages(node)
            elif step.kind == "logout":
                await account.logout(node)
            elif step.kind == "close":
                await account.close_newest()
            elif step.kind == "disable":
                await account.disable(node)
            elif step.kind == "enable":
                await account.enable(node)

    async def provoke(self, node_index):
        """Operations aimed at a node that is cut off, frozen or dead — where issue 13's holes are:
        a login elsewhere and a new socket elsewhere for an account whose socket is on that node
        (the old socket must close after the heal), a message to such an account (it must reach the
        new socket, not the old one), and a login *on* that node for an account whose socket is
        elsewhere (its kick cannot be published). Accounts are picked by the run's seeded rng."""
        rng, now = self.provoke_rng, self.clock.now()
        faulted = self.nodes[node_index].name
        elsewhere = [i for i in range(len(self.nodes)) if i != node_index]
        on_node = [a for a in self.accounts if any(s.record.node == faulted for s in a.sockets)]
        off_node = [a for a in self.accounts if a.sockets and a not in on_node]
        steps = []
        if on_node:
            target = rng.choice(on_node)
            steps.append(Step(now, "login", target.index, rng.choice(elsewhere)))
            receiver = rng.choice(on_node)
            steps.append(Step(now, "send", rng.choice(receiver.friends).index, rng.choice(elsewhere), receiver.index))
            moving = rng.choice(on_node)
            if not moving.loop:
                steps.append(Step(now, "connect", moving.index, rng.choice(elsewhere), fetch=True))
        if off_node:
            steps.append(Step(now, "login", rng.choice(off_node).index, node_index))
        for step in steps:
            self.history.provoked[step.kind] = self.history.provoked.get(step.kind, 0) + 1
        await asyncio.gather(*(self.perform(step) for step in steps))

    async def run_steps(self, clock, steps):
        tasks = []
        for step in steps:
            await clock.sleep_until(step.at)
            tasks.append(asyncio.ensure_future(self.perform(step)))
        # Every request has its own timeout; a connect with its login and getmessage takes < 30 s.
        _, late = await asyncio.wait(tasks, timeout=30) if tasks else (set(), set())
        for task in late:
            task.cancel()
        if late:
            self.history.harness_errors.append(f"{len(late)} operations still running 30 s after the schedule")

    # -- the end -----------------------------------------------------------------------------------

    async def converge(self, clock, stop_loops):
        """Heal, enable everyone, give the cluster `bound` to converge; then every account logs in
        again (a fresh token outlives the final phase; the login kicks its old socket) and every
        scheduled account opens its final socket; the kicks land and the waiting messages arrive."""
        final = self.history.final
        bound = self.settings.bound
        for account in self.accounts:
            if account.disabled:
                async with account.lock:
                    await account.enable(self.nodes[0])
        await asyncio.sleep(bound)
        await asyncio.gather(*(self._login_again(a) for a in self.accounts))
        scheduled = [a for a in self.accounts if not a.loop]
        finals = await asyncio.gather(*(a.connect_finally(self.nodes) for a in scheduled))
        for account, socket_id in zip(scheduled, finals):
            if socket_id is not None:
                final.final_sockets[account.index] = socket_id
        await self._wait_for_loops(clock)
        await asyncio.sleep(bound)
        by_name = {node.name: node for node in self.nodes}
        for account in self.accounts:
            if account.sockets:
                await account.get_messages(by_name[account.sockets[-1].record.node])
        await self._wait_for_deliveries(bound)
        stop_loops.set()
        for task in self.loop_tasks:
            task.cancel()
        await asyncio.gather(*self.loop_tasks, return_exceptions=True)

    async def _login_again(self, account):
        for attempt in range(3):
            async with account.lock:
                if await account.login(self.nodes[(account.index + attempt) % len(self.nodes)]):
                    return

    async def _wait_for_loops(self, clock):
        deadline = clock.now() + self.settings.liveness_bound
        loops = [a for a in self.accounts if a.loop]
        while clock.now() < deadline:
            if all(a.sockets and clock.now() - a.sockets[-1].record.opened > 1.0 for a in loops):
                return
            await asyncio.sleep(0.2)

    async def _wait_for_deliveries(self, timeout):
        """Until every accepted message was received by some socket, or `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = {frame[1] for s in self.history.sockets for frame in s.frames}
            if all(m.id in received for m in self.history.messages):
                return
            await asyncio.sleep(0.25)

    async def _wait_for_quiet(self, clock, quiet):
        """Until no socket opened or closed for `quiet` seconds (at most `bound`): node cards count
        connections at their heartbeat, so a change just before the snapshot is not yet in them."""
        deadline = clock.now() + self.settings.bound
        while clock.now() < deadline:
            events = [t for s in self.history.sockets for t in (s.started, s.opened, s.closed) if t is not None]
            if clock.now() - max(events, default=0.0) >= quiet:
                return
            await asyncio.sleep(0.2)

    async def snapshot(self, clock):
        """The cluster's state as the admin API and PostgreSQL tell it, once the clients are quiet."""
        final = self.history.final
        await self._wait_for_quiet(clock, quiet=2 * self.settings.heartbeat + 1)
        final.live_nodes = [n.name for n in self.nodes if n.running]
        for account in self.accounts:
            for attempt in range(len(self.nodes)):  # any node answers for the cluster; one may be down
                answer = await account.presence(self.nodes[(account.index + attempt) % len(self.nodes)])
                if answer.ok:
                    final.presence[account.index] = {"online": bool(answer.data["online"]),
                                                     "node": answer.data["node"]}
                    break
        for node in self.nodes:
            answer = await web.request(node.port, "GET", "/admin/cluster",
                                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            final.clusters[node.name] = answer.data if answer.ok else None
        by_user = {a.user_id: a.index for a in self.accounts}
        for user_id, sid in await self.postgres.psql(
                "SELECT user_id, id FROM sessions WHERE revoked_at IS NULL AND expires_at > now()"):
            final.active_sessions.setdefault(by_user[int(user_id)], []).append(sid)
        for user_id, status in await self.postgres.psql("SELECT id, status FROM users"):
            final.enabled[by_user[int(user_id)]] = status == "1"
        final.taken = clock.now()

    async def stop(self):
        for account in self.accounts:
            for live in list(account.sockets):
                live.connection.transport.abort()
        for node in self.nodes:
            await node.kill()
        for proxy in self.redis_proxies + self.pg_proxies:
            await proxy.close()
        if self.redis:
            await self.redis.stop()
        if self.postgres:
            await self.postgres.stop(immediate=True)
            shutil.rmtree(self.postgres.data, ignore_errors=True)

    # -- all of it ---------------------------------------------------------------------------------

    async def execute(self):
        settings = self.settings
        pairs, _, steps, episodes, account_seeds = plan(settings)
        self.provoke_rng = random.Random(account_seeds[0] * 7919)
        await self.start_services()
        clock = self.clock = Clock()
        world = World(clock, self.history, self.nodes)
        await self.create_accounts(world, pairs, account_seeds)
        injector = FaultInjector(clock, self.history, self.nodes, self.redis, self.postgres,
                                 self.redis_proxies, self.pg_proxies, provoke=self.provoke)
        stop_loops = asyncio.Event()
        self.loop_tasks = [asyncio.ensure_future(a.keep_connected(stop_loops, settings.loop_backoff_cap))
                           for a in self.accounts if a.loop]
        schedule_start = clock.now()
        shifted = [dataclasses.replace(s, at=s.at + schedule_start) for s in steps]
        end = schedule_start + settings.duration
        print(f"chaos: schedule running ({len(steps)} client operations, faults until {settings.duration:g}s)", flush=True)
        await asyncio.gather(self.run_steps(clock, shifted), injector.run(episodes, end))
        await injector.heal_all()
        self.history.final.healed = clock.now()
        print("chaos: faults healed, converging", flush=True)
        await self.converge(clock, stop_loops)
        await self.snapshot(clock)


async def _copy_postgres_template(postgres):
    """initdb once into `.local/chaos/postgres-template`; every run starts from a copy of it, so
    concurrent runs never share a data directory and none pays for initdb."""
    template = Postgres(CHAOS_DIR, 0, data=CHAOS_DIR / "postgres-template")
    with open(CHAOS_DIR / "postgres-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two first runs at once: one initdb, the other waits for it
        await template.initialize()
    status, output = await run_command(["cp", "-a", template.data, postgres.data])
    if status != 0:
        raise RuntimeError(f"copying the PostgreSQL template failed: {output}")
    (postgres.data / "postmaster.pid").unlink(missing_ok=True)


def _prune_old_runs(runs):
    """Keeps the newest KEEP_RUNS runs' files, and any from the last three hours (a run in progress)."""
    recent = time.time() - 3 * 3600
    for old in sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime)[:-KEEP_RUNS]:
        if old.stat().st_mtime < recent:
            shutil.rmtree(old, ignore_errors=True)


async def main(settings, binary_source):
    runs = CHAOS_DIR / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    _prune_old_runs(runs)
    workdir = runs / f"{settings.seed}-{os.getpid()}"
    workdir.mkdir()
    binary = workdir / "parley"
    shutil.copy2(binary_source, binary)  # the lead may rebuild the source binary during the run
    print(f"chaos: {settings.describe()}", flush=True)
    print(f"chaos: files in {workdir}", flush=True)
    run = Run(settings, binary, workdir)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    started = time.monotonic()
    try:
        await run.execute()
    except asyncio.CancelledError:
        print("chaos: interrupted; stopping everything", flush=True)
        await run.stop()
        return 130
    except Exception as error:
        run.history.harness_errors.append(f"{type(error).__name__}: {error}")
        print(f"chaos: harness failed: {type(error).__name__}: {error}", flush=True)
        await run.stop()
        run.history.save(workdir / "history.json")
        return 2
    await run.stop()
    run.history.save(workdir / "history.json")
    violations = checker.check(run.history)
    report = checker.summarize(run.history, violations)
    report += f"\nwall time: {time.monotonic() - started:.0f}s; replay with SEED={settings.seed}"
    (workdir / "report.txt").write_text(report + "\n")
    print(report, flush=True)
    return 1 if violations or run.history.harness_errors else 0


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of schedule (default 60)")
    parser.add_argument("--seed", type=int, default=None, help="default: a random seed, printed")
    parser.add_argument("--binary", default=os.environ.get("PARLEY_BINARY", ROOT / ".build" / "debug" / "parley"))
    parser.add_argument("--accounts", type=int, default=Settings.accounts)
    parser.add_argument("--loop-clients", type=int, default=Settings.loop_clients)
    parser.add_argument("--rate", type=float, default=Settings.operation_rate, help="client operations per second")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    settings = Settings(duration=args.duration, seed=seed, accounts=args.accounts, loop_clients=args.loop_clients,
                        operation_rate=args.rate)
    return settings, Path(args.binary)


if __name__ == "__main__":
    settings, binary = parse(sys.argv[1:])
    sys.exit(asyncio.run(main(settings, binary)))
