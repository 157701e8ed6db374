#!/usr/bin/env bash
# A project-local PostgreSQL cluster and Redis server under .local/, on their own ports, so that
# nothing else on the machine is disturbed.
#
#   local-services.sh start     start both (creating the cluster the first time); reuse running ones
#   local-services.sh stop      stop both
#   local-services.sh status    exit 0 when both answer
#   local-services.sh env       print the environment a node or the tests use to reach them
#   local-services.sh stop-postgres | start-postgres   (the outage tests)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
local_dir="$root/.local"
pg_bin=/usr/lib/postgresql/15/bin
pg_port="${PARLEY_LOCAL_PG_PORT:-55432}"
redis_port="${PARLEY_LOCAL_REDIS_PORT:-56379}"
pg_data="$local_dir/postgres"
redis_dir="$local_dir/redis"

# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() { "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; }
redis_running() { redis-cli -p "$redis_port" ping >/dev/null 2>&1; }

start_postgres() {
    if pg_running; then return; fi
    mkdir -p "$local_dir"
    if [ ! -f "$pg_data/PG_VERSION" ]; then
        mkdir -p "$pg_data"
        [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$pg_data"
        chmod 700 "$pg_data"
        # Trust on loopback only: this cluster is for development and tests on this machine.
        as_postgres "$pg_bin/initdb" -D "$pg_data" -U parley --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    # The Swift suites run in parallel, each test with a node of its own and its fixed pool: at
    # their peak they hold over 300 connections (the multi-node tests and make cluster add more).
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 \
        -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c max_connections=600 -c fsync=off" start >/dev/null
    if ! psql -h 127.0.0.1 -p "$pg_port" -U parley -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'parley'" | grep -q 1; then
        psql -h 127.0.0.1 -p "$pg_port" -U parley -d postgres -qc "CREATE DATABASE parley" >/dev/null
    fi
    echo "PostgreSQL listening on 127.0.0.1:$pg_port (data in $pg_data)"
}

start_redis() {
    if redis_running; then return; fi
    mkdir -p "$redis_dir"
    redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --dir "$redis_dir" \
        --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" --save "" --appendonly no
    for _ in $(seq 1 50); do redis_running && break; sleep 0.1; done
    redis_running || { echo "Redis did not start: see $redis_dir/redis.log" >&2; exit 1; }
    echo "Redis listening on 127.0.0.1:$redis_port"
}

stop_postgres() {
    if [ -f "$pg_data/postmaster.pid" ]; then
        as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null || true
        echo "PostgreSQL stopped"
    fi
}

stop_redis() {
    if redis_running; then
        redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
        echo "Redis stopped"
    fi
}

case "${1:-}" in
    start) start_postgres; start_redis ;;
    stop) stop_redis; stop_postgres ;;
    status) pg_running && redis_running ;;
    stop-postgres) stop_postgres ;;
    start-postgres) start_postgres ;;
    env)
        echo "PARLEY_DATABASE_URL=postgres://parley@127.0.0.1:$pg_port/parley"
        echo "PARLEY_REDIS_URL=redis://127.0.0.1:$redis_port/0"
        ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
