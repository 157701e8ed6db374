#!/usr/bin/env bash
# `make bench`: every parley-bench scenario against real release nodes, each next to its limit
# measured in the same run (see BENCHMARKS.md).
#
#   scripts/bench.sh              full sizes, RUNS=3 runs of each scenario
#   SIZE=tiny scripts/bench.sh    tiny sizes, one run (checks the script itself)
#   ONLY="kick push" scripts/bench.sh   a subset of: kick push message http storm idle cluster peer
#   BUILD=0 scripts/bench.sh      use the release binaries already built
#   PROFILE="http storm" scripts/bench.sh   also sample node 1 with `perf record -g` during those
#                                 scenarios: <scenario>.perf.data and a report <scenario>.perf.txt
#
# Provisions like `make run`: the local PostgreSQL and Redis (scripts/local-services.sh), a dedicated
# database `parley_bench` (migrated), Redis db 2 with the prefix `bench:`. Starts release nodes
# (bcrypt cost 4) on ports 18201…, writes every JSON result line to .local/bench/<time>/results.jsonl
# and a table of medians to .local/bench/<time>/summary.md, and stops the nodes it started.
set -euo pipefail
cd "$(dirname "$0")/.."

size="${SIZE:-full}"
runs="${RUNS:-3}"
only="${ONLY:-kick push message http storm idle cluster peer}"
base_port="${BENCH_PORT:-18200}"
if [ "$size" = tiny ]; then
    runs="${RUNS:-1}"
    kick_rounds=20; push_count=20; http_duration=2s; storm_connects=50; idle_sizes="50"; idle_settle=1; cluster_per_node=50; cpu_window=1; pgbench_seconds=2
else
    kick_rounds=1000; push_count=1000; http_duration=10s; storm_connects=10000; idle_sizes="10000 19000"; idle_settle=10; cluster_per_node=17000; cpu_window=10; pgbench_seconds=10
fi

if [ -n "${PROFILE:-}" ] && ! command -v perf >/dev/null; then apt-get install -y -q linux-perf >/dev/null; fi

services=scripts/local-services.sh
$services start >/dev/null
eval "$($services env | sed 's/^/export /')"
server_url="${PARLEY_DATABASE_URL%/*}"
database_url="$server_url/parley_bench"
redis_url="${PARLEY_REDIS_URL%/*}/2"
if ! psql "$server_url/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = 'parley_bench'" | grep -q 1; then
    psql "$server_url/postgres" -qc "CREATE DATABASE parley_bench"
fi
redis-cli -u "$redis_url" flushdb >/dev/null

# (one --product per invocation: SwiftPM builds only the last one given)
if [ "${BUILD:-1}" = 1 ]; then
    swift build -c release --product parley
    swift build -c release --product parley-bench
fi
bin="$(swift build -c release --show-bin-path)"
PARLEY_DATABASE_URL="$database_url" "$bin/parley" migrate >/dev/null

out=".local/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
results="$out/results.jsonl"
export PARLEY_ADMIN_TOKEN="bench-admin-token"
secret="bench-jwt-secret-$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')"
pids=()

start_node() {  # start_node N: node bench-N on base_port+N
    local n="$1" port=$((base_port + $1))
    PARLEY_PORT="$port" PARLEY_NODE_ID="bench-$n" PARLEY_DATABASE_URL="$database_url" PARLEY_REDIS_URL="$redis_url" \
        PARLEY_REDIS_PREFIX="bench:" PARLEY_JWT_SECRET="$secret" PARLEY_BCRYPT_COST=4 PARLEY_LOG_LEVEL=warning PARLEY_SOCKET_RATE=0 PARLEY_REG_RATE=0 \
        "$bin/parley" serve >"$out/node-$n.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    echo "$pid" >"$out/node-$n.pid"
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/ready" >/dev/null && return 0
        sleep 0.1
    done
    echo "bench: node bench-$n did not become ready (see $out/node-$n.log)" >&2
    exit 1
}

stop_node() {  # stop_node N (SIGTERM: it drains)
    local pid
    pid="$(cat "$out/node-$1.pid")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

stop_nodes() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    pids=()
}
trap stop_nodes EXIT

node_url() { echo "http://127.0.0.1:$((base_port + $1))"; }
node_pid() { cat "$out/node-$1.pid"; }

# run NAME ARGS...: one scenario; its JSON line goes to results.jsonl, its summary to the terminal.
run() {
    local name="$1"
    shift
    echo "bench: $name: parley-bench $*" >&2
    local perf_pid=""
    if [[ " ${PROFILE:-} " == *" $name "* ]]; then
        perf record -F 999 -g -p "$(node_pid 1)" -o "$out/$name.perf.data" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    "$bin/parley-bench" "$@" 2>>"$out/bench.log" | tee -a "$out/$name.out" | {
        read -r json && echo "$json" >>"$results" && read -r summary && echo "  $summary"
    } || echo "  $name failed: $(tail -1 "$out/bench.log")"
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid" && wait "$perf_pid" || true
        perf report -i "$out/$name.perf.data" --no-children --percent-limit 0.5 --stdio 2>/dev/null |
            swift demangle --simplified >"$out/$name.perf.txt" || true
        echo "  $name profile: $out/$name.perf.txt" >&2
    fi
}

wants() { [[ " $only " == *" $1 "* ]]; }

start_node 1
start_node 2
a="$(node_url 1)"
b="$(node_url 2)"
# Fresh accounts in every run (usernames stay within 20 characters), so every run's setup takes the
# same path: registration, then login.
tag="$(date +%s | tail -c 7)"

for i in $(seq 1 "$runs"); do
    wants kick && run kick kick --node "$a" --node "$b" --rounds "$kick_rounds" --redis "$redis_url" --prefix "k${tag}r${i}_"
    wants push && run push push --node "$a" --node "$b" --count "$push_count" --prefix "p${tag}r${i}_"
    wants message && run message message --node "$a" --node "$b" --count "$push_count" --concurrency 16 --redis "$redis_url" \
        --database-url "$database_url" --pgbench-seconds "$pgbench_seconds" --script-dir "$out" --prefix "m${tag}r${i}_"
    wants http && run http http --node "$a" --friends 50 --duration "$http_duration" --concurrency 16 \
        --database-url "$database_url" --script-dir "$out" --prefix "h${tag}r${i}_"
    wants storm && run storm storm --node "$a" --pid "$(node_pid 1)" --connects "$storm_connects" --concurrency 64 --prefix "s${tag}r${i}_"
    if wants idle; then
        for n in $idle_sizes; do
            # A fresh node: memory freed by earlier scenarios would otherwise hide in its RSS baseline.
            # RSS is read at rest, 10 s after the last connect: past the session cache's 5 s and the
            # heartbeat that drops its expired entries, which are the connects', not the sockets'.
            stop_node 1
            start_node 1
            run "idle-$n" idle --node "$a" --pid "$(node_pid 1)" --sockets "$n" --settle "$idle_settle" --cpu-window "$cpu_window" --prefix "i${tag}r${i}k$((n / 1000))_"
        done
    fi
done

if wants cluster; then
    # The cluster holding ≥ 50,000 sockets: three nodes, one client process per node (each process
    # and each node stays under the 20,000 open-file cap), then the cluster view counts them.
    start_node 3
    total=$((3 * cluster_per_node))
    hold=$([ "$size" = tiny ] && echo 5 || echo 40)
    echo "bench: cluster: $cluster_per_node sockets on each of 3 nodes" >&2
    client_pids=()
    for n in 1 2 3; do
        "$bin/parley-bench" idle --node "$(node_url "$n")" --pid "$(node_pid "$n")" --sockets "$cluster_per_node" \
            --cpu-window 1 --settle 1 --hold "$hold" --baselines "" --prefix "c${tag}n${n}_" >"$out/cluster-$n.out" 2>>"$out/bench.log" &
        client_pids+=($!)
    done
    best=0
    deadline=$((SECONDS + 600))
    while [ $SECONDS -lt $deadline ]; do
        online="$(curl -s -H "Authorization: Bearer $PARLEY_ADMIN_TOKEN" "$a/admin/cluster" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["online"])' 2>/dev/null || echo 0)"
        [ "$online" -gt "$best" ] && best="$online"
        [ "$best" -ge "$total" ] && break
        alive=0
        for pid in "${client_pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 1 ] || break
        sleep 1
    done
    curl -s -H "Authorization: Bearer $PARLEY_ADMIN_TOKEN" "$a/admin/cluster" >"$out/cluster-view.json"
    for pid in "${client_pids[@]}"; do wait "$pid" || true; done
    printf '{"scenario":"cluster","nodes":3,"sockets_per_node":%d,"target":%d,"online_max":%d}\n' \
        "$cluster_per_node" "$total" "$best" >>"$results"
    echo "  cluster: $best accounts online at once across 3 nodes (target $total)"
    for n in 1 2 3; do head -1 "$out/cluster-$n.out" >>"$results" || true; done
fi

stop_nodes

# The old backend (Node + ws + pg: ../shared/peers/seed-node) and Parley, each with its own
# PostgreSQL (and Redis), through the same client in this invocation: one run of each in turn, so
# a change in the machine's speed over the quarter hour falls on both sides alike.
peer_dir="${PEER_DIR:-../shared/peers/seed-node}"
if wants peer; then
    if [ -x "$peer_dir/run.sh" ] && [ "$size" != tiny ]; then
        echo "bench: peer: the old backend and Parley, $runs runs each, interleaved ($peer_dir)" >&2
        for i in $(seq 1 "$runs"); do
            RUNS=1 RESULTS="$PWD/$out/peer-old/run$i" "$peer_dir/run.sh" >>"$out/peer-old.log" 2>&1 ||
                echo "  peer: old backend failed in run $i (see $out/peer-old.log)"
            RUNS=1 RESULTS="$PWD/$out/peer-parley/run$i" PARLEY_BIN="$bin/parley" SQL_DIR="$PWD/sql" "$peer_dir/run-parley.sh" \
                >>"$out/peer-parley.log" 2>&1 || echo "  peer: Parley failed in run $i (see $out/peer-parley.log)"
        done
        python3 scripts/bench/peer_summary.py "$out/peer-old" "$out/peer-parley" | tee "$out/peer.md"
    else
        echo "bench: peer: skipped ($peer_dir/run.sh not found, or SIZE=tiny)" >&2
    fi
fi

if [ -s "$results" ]; then python3 scripts/bench/summarize.py "$results" | tee "$out/summary.md"; fi
echo "bench: results in $out" >&2
