#!/usr/bin/env bash
# The fault-injecting checker (Tests/chaos, issue 13 §3): three real nodes, a private PostgreSQL and
# redis-server, a TCP fault proxy on every node's links, a seeded schedule of client operations and
# faults, then the checker's properties on what was recorded. Needs no running services: it starts
# its own on free ports and stops them when it ends (also on Ctrl-C).
#
#   DURATION=60     seconds of schedule (a run takes about DURATION + 40 s)
#   SEED=…          replay a seed (printed by every run); random when unset
#   PARLEY_BINARY   the binary under test (default .build/debug/parley; copied at the start)
#
# First the checker's own unit tests (it can fail: synthetic histories with known violations), then
# the run. Exit status 1 when a property was violated; files in .local/chaos/runs/<seed>-<pid>/.
set -euo pipefail
cd "$(dirname "$0")/.."

python=.local/venv/bin/python
binary="${PARLEY_BINARY:-.build/debug/parley}"
[ -x "$binary" ] || { echo "chaos: no binary at $binary (make build, or set PARLEY_BINARY)" >&2; exit 2; }

.local/venv/bin/pytest -q -p no:cacheprovider Tests/chaos/test_checker.py Tests/chaos/test_proxy.py Tests/chaos/test_schedule.py
exec "$python" Tests/chaos/run.py --duration "${DURATION:-60}" --binary "$binary" ${SEED:+--seed "$SEED"}
