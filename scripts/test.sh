#!/usr/bin/env bash
# The whole test suite against real services: starts the local PostgreSQL and Redis (stopping them
# again afterwards if they were not running before), migrates a fresh test database, builds, and runs
# every test target.
set -euo pipefail
cd "$(dirname "$0")/.."

services=scripts/local-services.sh
stop_services=false
$services status 2>/dev/null || stop_services=true
background=()
cleanup() {
    for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
    if $stop_services; then $services stop; fi
}
trap cleanup EXIT
$services start
eval "$($services env | sed 's/^/export /')"

# A fresh database for every run, so tests never see an earlier run's rows.
admin_url="${PARLEY_DATABASE_URL%/*}/postgres"
psql "$admin_url" -qc "DROP DATABASE IF EXISTS parley_test WITH (FORCE)" -c "CREATE DATABASE parley_test"
export PARLEY_TEST_DATABASE_URL="${PARLEY_DATABASE_URL%/*}/parley_test"
export PARLEY_TEST_REDIS_URL="${PARLEY_REDIS_URL%/*}/1"
redis-cli -u "$PARLEY_TEST_REDIS_URL" flushdb >/dev/null

mkdir -p .local
# Where the time goes, for a CI budget: each step is announced with the minutes since the start.
step() { printf '\n== %d:%02d %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# Two builds only later steps need — the Redis client under AddressSanitizer, and the fuzz targets —
# start now in the background at the lowest priority: they take the CPU the other steps leave idle
# (the multi-node tests mostly wait), so a clean clone's CI costs less than the sum of its builds.
# The Redis client's own tests run only under AddressSanitizer: a plain run would build swift-nio
# once more for nothing the sanitized run does not check.
(cd Packages/nio-redis && nice -n 19 swift build --build-tests --sanitize=address --scratch-path .build-asan) \
    >.local/test-asan-build.log 2>&1 &
asan_build=$!
nice -n 19 swift build --package-path Fuzz --scratch-path .build-fuzz >.local/test-fuzz-build.log 2>&1 &
fuzz_build=$!
background=("$asan_build" "$fuzz_build")

step "build"
swift build --build-tests
step "static checks"
# The static checks first (SQL hygiene, deployment files, provisioning): seconds, and no service.
.local/venv/bin/pytest -q Tests/static
PARLEY_DATABASE_URL="$PARLEY_TEST_DATABASE_URL" .build/debug/parley migrate
step "Swift tests"
# DatabaseTests loads both cores on purpose (busy threads preempting PostgreSQL callers): alone,
# after the parallel run, so the other suites' 4-second PostgreSQL deadlines are not its victims.
# A hung test (seen once, 2026-12-02: DedicatedConnectionTests waiting on a terminated connection)
# fails the step after 15 minutes, where the whole suite takes one, instead of holding CI to its limit.
timeout 15m swift test --skip-build --skip DatabaseTests
timeout 15m swift test --skip-build --filter DatabaseTests
step "multi-node tests"
# Several real nodes sharing PostgreSQL and Redis: kicks, races, node death, Redis faults, drain.
# Two modules at a time (each has its own redis-server): they mostly wait on nodes and timeouts, so
# this halves the step's minutes. Modules marked `alone` stop what the others share, so run after.
.local/venv/bin/pytest -q -n 2 --dist loadfile -m "not alone" Tests/cluster
.local/venv/bin/pytest -q -m alone Tests/cluster

step "the Redis client under AddressSanitizer"
# The background builds, then what they were for: the Redis client package on its own, against the
# shared Redis plus private servers it starts for its fault tests.
wait $asan_build || { tail -30 .local/test-asan-build.log; exit 1; }
# Its warnings say why a connection was restarted or a command failed, should a test fail on CI.
(cd Packages/nio-redis && NIOREDIS_TEST_URL="$PARLEY_TEST_REDIS_URL" NIOREDIS_TEST_LOG=warning \
    swift test --skip-build --sanitize=address --scratch-path .build-asan)
step "fuzz smoke"
wait $fuzz_build || { tail -30 .local/test-fuzz-build.log; exit 1; }
# A 10-second smoke of every fuzz target: it must build, and the seeds plus a short run must not crash.
DURATION=10 scripts/fuzz.sh
step "chaos"
# The fault-injecting checker (Tests/chaos, docs/chaos.md), 60 seconds of random faults and client
# operations against three nodes with their own PostgreSQL and Redis: "one live socket per account,
# nothing lost" must hold. A failing run prints its seed; `make chaos SEED=…` replays it. Last, with
# no build in the background: its bounds are in seconds of a loaded machine.
DURATION=60 scripts/chaos.sh
step "done"
