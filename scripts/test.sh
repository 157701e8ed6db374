#!/usr/bin/env bash
# The whole test suite against real services: starts the local PostgreSQL and Redis (stopping them
# again afterwards if they were not running before), migrates a fresh test database, builds, and runs
# every test target.
set -euo pipefail
cd "$(dirname "$0")/.."

services=scripts/local-services.sh
if ! $services status 2>/dev/null; then
    trap '$services stop' EXIT
fi
$services start
eval "$($services env | sed 's/^/export /')"

# A fresh database for every run, so tests never see an earlier run's rows.
admin_url="${PARLEY_DATABASE_URL%/*}/postgres"
psql "$admin_url" -qc "DROP DATABASE IF EXISTS parley_test WITH (FORCE)" -c "CREATE DATABASE parley_test"
export PARLEY_TEST_DATABASE_URL="${PARLEY_DATABASE_URL%/*}/parley_test"
export PARLEY_TEST_REDIS_URL="${PARLEY_REDIS_URL%/*}/1"
redis-cli -u "$PARLEY_TEST_REDIS_URL" flushdb >/dev/null

# The Redis client package on its own (against the shared Redis, plus private servers it starts for
# the fault tests), then again under AddressSanitizer.
(cd Packages/nio-redis && NIOREDIS_TEST_URL="$PARLEY_TEST_REDIS_URL" swift test \
    && swift test --sanitize=address --scratch-path .build-asan)

swift build --build-tests
PARLEY_DATABASE_URL="$PARLEY_TEST_DATABASE_URL" .build/debug/parley migrate
# DatabaseTests loads both cores on purpose (busy threads preempting PostgreSQL callers): alone,
# after the parallel run, so the other suites' 4-second PostgreSQL deadlines are not its victims.
swift test --skip-build --skip DatabaseTests
swift test --skip-build --filter DatabaseTests
# A 20-second smoke of every fuzz target: it must build, and the seeds plus a short run must not crash.
DURATION=20 scripts/fuzz.sh
# Several real nodes sharing PostgreSQL and Redis: kicks, races, node death, Redis faults, drain.
.local/venv/bin/pytest -q Tests/cluster
# The fault-injecting checker (Tests/chaos, docs/chaos.md), 60 seconds of random faults and client
# operations against three nodes with their own PostgreSQL and Redis: "one live socket per account,
# nothing lost" must hold. A failing run prints its seed; `make chaos SEED=…` replays it.
DURATION=60 scripts/chaos.sh

