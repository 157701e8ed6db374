# Parley: `make run` starts a node on :8080, `make test` runs the whole suite. Both install what is
# missing (apt-get) and start a project-local PostgreSQL and Redis under .local/. `make run` installs
# only what running needs; the browser, nginx, Node.js and the Python tools come with the targets
# that use them (scripts/provision.sh).

SHELL := /bin/bash
PORT ?= 8080
SERVICES := scripts/local-services.sh
LOCAL_ENV = $(shell $(SERVICES) env)

.PHONY: run test stop deps services build migrate clean cluster bench chaos fuzz

run: services build migrate
	@test -f .local/jwt-secret || head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > .local/jwt-secret
	@echo "Parley: starting a node on http://127.0.0.1:$(PORT)  (Ctrl-C stops it; make stop stops PostgreSQL and Redis)"
	$(LOCAL_ENV) PARLEY_JWT_SECRET="$$(cat .local/jwt-secret)" PARLEY_PORT=$(PORT) .build/debug/parley serve

test: deps
	scripts/provision.sh test
	scripts/test.sh

# Three nodes (node-1..3 on PORT+1..PORT+3) behind nginx on PORT, in the background; see scripts/cluster.sh.
cluster: services build migrate
	scripts/provision.sh cluster
	PORT=$(PORT) scripts/cluster.sh start

# Every parley-bench scenario against release nodes, next to its limits (BENCHMARKS.md); results under
# .local/bench/. SIZE=tiny for a quick check, RUNS=n, ONLY="kick push http storm idle cluster".
bench: deps
	scripts/provision.sh bench
	scripts/bench.sh

# The fault-injecting checker (Tests/chaos, docs/chaos.md): DURATION seconds (default 60) of client
# operations and faults against three nodes, then its properties; SEED=n replays a printed seed.
chaos: deps build
	scripts/provision.sh chaos
	DURATION=$(DURATION) SEED=$(SEED) scripts/chaos.sh

# Every libFuzzer target (Fuzz/) for DURATION seconds each (default 300), one per core at a time;
# crashes under .local/fuzz/. TARGETS="FuzzJSONWriter ..." runs only those.
fuzz: deps
	scripts/fuzz.sh

stop:
	PORT=$(PORT) scripts/cluster.sh stop
	$(SERVICES) stop

deps:
	scripts/provision.sh

services: deps
	$(SERVICES) start

build: deps
	swift build --product parley

migrate: services build
	$(LOCAL_ENV) .build/debug/parley migrate

clean: stop
	rm -rf .local .build .build-fuzz
