#!/usr/bin/env bash
# Installs what Parley needs, with apt-get, only where it is missing, for one purpose at a time:
#
#   scripts/provision.sh [run]   build and run one node (`make run`): PostgreSQL, Redis, hiredis,
#                                pkg-config, util-linux (runuser). No browser, no test tools.
#   scripts/provision.sh cluster run + nginx and curl (`make cluster`)
#   scripts/provision.sh bench   run + curl, Node.js and its ws (`make bench`: the `idle` scenario
#                                measures Node's ws, the old backend's stack, beside Parley)
#   scripts/provision.sh chaos   run + the Python venv (`make chaos`)
#   scripts/provision.sh test    everything above + chromium (`make test`: the dashboard tests)
#
# PROVISION_DRY_RUN=1 prints the Debian packages it would install, and installs nothing.
set -euo pipefail

purpose="${1:-run}"
case "$purpose" in
    run | cluster | bench | chaos | test) ;;
    *) echo "provision: unknown purpose $purpose (run, cluster, bench, chaos or test)" >&2; exit 2 ;;
esac
wants() {  # wants PURPOSE...: whether this purpose includes any of them
    local candidate
    [ "$purpose" = test ] && return 0
    for candidate in "$@"; do
        if [ "$purpose" = "$candidate" ]; then return 0; fi
    done
    return 1
}

missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15 postgresql-client-15)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev)
command -v runuser >/dev/null || missing+=(util-linux)
if wants cluster bench; then
    command -v curl >/dev/null || missing+=(curl)
fi
if wants cluster; then
    command -v nginx >/dev/null || missing+=(nginx)
fi
if wants bench; then
    command -v node >/dev/null || missing+=(nodejs)
    [ -d /usr/share/nodejs/ws ] || missing+=(node-ws)
fi
if wants chaos; then
    python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
fi
if wants test; then
    command -v chromium >/dev/null || missing+=(chromium)
    # promtool, which checks deploy/prometheus/alerts.yml in the tests (a 19 MB package).
    command -v promtool >/dev/null || missing+=(prometheus)
fi

if [ "${PROVISION_DRY_RUN:-0}" = 1 ]; then
    echo "${missing[*]}"
    exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "provision ($purpose): installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The multi-node tests and the chaos checker drive real nodes from Python: pytest (with xdist, which
# runs the multi-node modules two at a time) and a WebSocket client, in a venv of the project's own,
# and moto's S3-compatible server, which the media tests store files in (PARLEY_MEDIA_URL), and
# openapi-spec-validator for docs/openapi.json. An existing venv without one of them gets them added.
if wants chaos; then
    venv="$(cd "$(dirname "$0")/.." && pwd)/.local/venv"
    if [ ! -x "$venv/bin/pytest" ] || ! "$venv/bin/python" -c "import websockets, yaml, openapi_spec_validator, xdist" 2>/dev/null \
        || [ ! -x "$venv/bin/moto_server" ]; then
        echo "provision: setting up $venv (pytest, pytest-xdist, websockets, pyyaml, moto[server], openapi-spec-validator)"
        [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check pytest pytest-xdist websockets pyyaml 'moto[server]' openapi-spec-validator
    fi
fi
