"""parley-bench keeps working: every scenario at a tiny size against the cluster fixture's nodes.

Only the shape of each scenario's JSON line is checked, never a timing (the figures come from
`make bench`, see BENCHMARKS.md).
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import DATABASE_URL, ROOT

BENCH = Path(os.environ.get("PARLEY_BENCH_BINARY", ROOT / ".build" / "debug" / "parley-bench"))
ADMIN_TOKEN = "cluster-admin-token"


def bench(*args, timeout=180):
    result = subprocess.run(
        [str(BENCH), *args, "--admin-token", ADMIN_TOKEN] if args[0] != "echo-server" else [str(BENCH), *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2, result.stdout
    record = json.loads(lines[0])
    assert lines[1].startswith(record["scenario"] + ":"), lines[1]
    return record


def latency_keys(summary):
    assert {"count", "p50_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms"} <= summary.keys()


@pytest.fixture(scope="module", autouse=True)
def built():
    if not BENCH.exists():
        pytest.fail(f"{BENCH} is missing: swift build --product parley-bench")


def test_kick(cluster, redis):
    a, b = cluster
    record = bench("kick", "--node", a.base, "--node", b.base, "--rounds", "20", "--redis", redis.url)
    assert record["scenario"] == "kick" and record["rounds"] == 20 and record["failures"] == 0
    latency_keys(record["kick"])
    latency_keys(record["redis_roundtrip"])
    assert record["kick"]["count"] == 20
    assert "p99_ratio_to_redis" in record


def test_push(cluster):
    a, b = cluster
    record = bench("push", "--node", a.base, "--node", b.base, "--count", "20")
    assert record["failures"] == 0 and record["count"] == 20
    latency_keys(record["from_response"])
    latency_keys(record["from_request"])


def test_http(cluster):
    record = bench("http", "--node", cluster[0].base, "--friends", "50", "--duration", "2s", "--concurrency", "4",
                   "--database-url", DATABASE_URL)
    assert record["friends"] == 50
    assert record["http"]["ok"] > 0 and record["http"]["failed"] == 0
    assert record["pgbench"]["tps"] > 0
    assert "ratio_to_pgbench" in record


def test_storm(cluster):
    record = bench("storm", "--node", cluster[0].base, "--connects", "50", "--concurrency", "8", "--sources", "4")
    assert record["parley"]["accepted"] == 50 and record["parley"]["failures"] == 0
    assert record["echo"]["opened"] == 50
    assert {"connects_per_s", "seconds"} <= record["parley"].keys()
    assert "ratio_to_echo" in record


def test_idle(cluster):
    node = cluster[0]
    record = bench("idle", "--node", node.base, "--pid", str(node.process.pid), "--sockets", "50",
                   "--cpu-window", "0.5", "--settle", "0.2", "--sources", "4")
    for side in ("parley", "echo", "ws"):
        assert record[side]["opened"] == 50 and record[side]["failures"] == 0, record[side]
        assert {"rss_before", "rss_after", "bytes_per_socket", "cpu_percent"} <= record[side].keys()
    assert record["parley"]["accepted"] == 50
    assert "ratio_to_echo" in record and "ratio_to_ws" in record


def test_message(cluster, redis, tmp_path):
    a, b = cluster
    record = bench("message", "--node", a.base, "--node", b.base, "--count", "20", "--concurrency", "4",
                   "--redis", redis.url, "--database-url", DATABASE_URL, "--pgbench-seconds", "1",
                   "--script-dir", str(tmp_path))
    assert record["scenario"] == "message" and record["count"] == 20
    for mode in ("legacy", "acknowledged"):
        outcome = record[mode]
        assert outcome["latency_failures"] == 0 and outcome["throughput_sent_failures"] == 0, outcome
        assert outcome["throughput_received"] == 20
        latency_keys(outcome["latency"])
        assert outcome["messages_per_second"] > 0
    latency_keys(record["redis_roundtrip"])
    assert record["pgbench"]["tps"] > 0
    assert "ratio_to_pgbench" in record and "acknowledged_ratio_to_pgbench" in record
