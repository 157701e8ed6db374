#!/usr/bin/env bash
# Installs what Parley needs to build, run and test, with apt-get, only where it is missing.
set -euo pipefail

missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15 postgresql-client-15)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v pkg-config >/dev/null || missing+=(pkg-config)
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev)
command -v runuser >/dev/null || missing+=(util-linux)
python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
command -v nginx >/dev/null || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
command -v chromium >/dev/null || missing+=(chromium)
# promtool, which checks deploy/prometheus/alerts.yml in the tests (a 19 MB package).
command -v promtool >/dev/null || missing+=(prometheus)
# parley-bench's `idle` measures Node's ws (the old backend's stack) beside Parley.
command -v node >/dev/null || missing+=(nodejs)
[ -d /usr/share/nodejs/ws ] || missing+=(node-ws)

if [ ${#missing[@]} -gt 0 ]; then
    echo "provision: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The multi-node tests drive real nodes from Python: pytest and a WebSocket client, in a venv of
# the project's own, and moto's S3-compatible server, which the media tests store files in
# (PARLEY_MEDIA_URL), and openapi-spec-validator for docs/openapi.json. An existing venv without
# one of them gets them added.
venv="$(cd "$(dirname "$0")/.." && pwd)/.local/venv"
if [ ! -x "$venv/bin/pytest" ] || ! "$venv/bin/python" -c "import websockets, yaml, openapi_spec_validator" 2>/dev/null \
    || [ ! -x "$venv/bin/moto_server" ]; then
    echo "provision: setting up $venv (pytest, websockets, pyyaml, moto[server], openapi-spec-validator)"
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check pytest websockets pyyaml 'moto[server]' openapi-spec-validator
fi
