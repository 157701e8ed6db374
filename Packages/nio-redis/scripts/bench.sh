#!/usr/bin/env bash
# Measures NIORedis pipelined SET/GET throughput against a private redis-server
# and compares it with redis-benchmark on the same server in the same run.
#   REQUESTS (default 100000), PIPELINE (16), RUNS (3)
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${REQUESTS:-100000}
PIPELINE=${PIPELINE:-16}
RUNS=${RUNS:-3}

swift build -c release --product nio-redis-bench >&2
BENCH="$(swift build -c release --show-bin-path)/nio-redis-bench"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >/dev/null &
SERVER=$!
trap 'kill -9 $SERVER 2>/dev/null || true' EXIT
until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.05; done

RESULTS=$(mktemp)
for run in $(seq "$RUNS"); do
    echo "run $run/$RUNS" >&2
    echo "ours $("$BENCH" --url "redis://127.0.0.1:$PORT/0" --requests "$REQUESTS" --pipeline "$PIPELINE" | head -1)" >>"$RESULTS"
    echo "rb $(redis-benchmark -p "$PORT" -P "$PIPELINE" -t set,get -n "$REQUESTS" -q | tr '\r' '\n' | grep -E '^(SET|GET):' | tr '\n' ' ')" >>"$RESULTS"
    echo "rb1 $(redis-benchmark -p "$PORT" -c 1 -P "$PIPELINE" -t set,get -n "$REQUESTS" -q | tr '\r' '\n' | grep -E '^(SET|GET):' | tr '\n' ' ')" >>"$RESULTS"
done

python3 - "$RESULTS" "$PIPELINE" "$REQUESTS" "$RUNS" <<'PY'
import json, re, statistics, sys
path, pipeline, requests, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
samples = {}
for line in open(path):
    kind, _, rest = line.partition(" ")
    if kind == "ours":
        d = json.loads(rest)
        samples.setdefault(("ours", "SET"), []).append(d["set_ops_per_sec"])
        samples.setdefault(("ours", "GET"), []).append(d["get_ops_per_sec"])
    else:
        for op, value in re.findall(r"(SET|GET): ([0-9.]+) requests per second", rest):
            samples.setdefault((kind, op), []).append(float(value))
med = {k: statistics.median(v) for k, v in samples.items()}
print(f"pipeline={pipeline} requests={requests} runs={runs} (medians, ops/s)")
for op in ("SET", "GET"):
    ours, rb, rb1 = med[("ours", op)], med[("rb", op)], med[("rb1", op)]
    print(f"{op}: NIORedis {ours:,.0f} | redis-benchmark -P {pipeline} (50 conns) {rb:,.0f} -> ratio {ours / rb:.2f} | redis-benchmark -c 1 -P {pipeline} {rb1:,.0f} -> ratio {ours / rb1:.2f}")
print(json.dumps({"pipeline": int(pipeline), "requests": int(requests), "runs": int(runs),
                  "medians": {f"{k[0]}_{k[1]}": v for k, v in med.items()},
                  "samples": {f"{k[0]}_{k[1]}": v for k, v in samples.items()}}))
PY
rm -f "$RESULTS"
