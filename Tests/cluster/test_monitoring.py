"""deploy/grafana/parley.json and deploy/prometheus/alerts.yml: the alert rules pass `promtool check
rules` (scripts/provision.sh installs Debian's prometheus for it; without promtool, a schema check),
the dashboard is well formed, and every series either names is one a live node exports at /metrics."""
import json
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT, wait_until
from sockets import Socket, raw_connection, seconds_until_closed
from test_metrics import scrape

ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "parley.json"
# Series Prometheus makes itself, not a node: `up` is 0 when a scrape fails.
PROMETHEUS_SERIES = {"up"}
# What the alerts must cover (issue 17): node down, heartbeat lag, kick p99, refused-connect ratio,
# PostgreSQL pool saturation, Redis errors; each by the series it watches.
COVERED = {"ParleyNodeDown": "up", "ParleyHeartbeatLag": "parley_heartbeat_lag_seconds",
           "ParleyKickDeliveryP99": "parley_kick_delivery_seconds_bucket",
           "ParleyRefusedConnects": "parley_socket_connects_total",
           "ParleyPostgresPoolSaturated": "parley_postgres_pool_waiting", "ParleyRedisErrors": "parley_redis_errors_total"}

# PromQL's own words, which look like series names in an expression.
PROMQL_WORDS = {"sum", "min", "max", "avg", "count", "by", "without", "rate", "increase", "irate", "histogram_quantile",
                "min_over_time", "max_over_time", "avg_over_time", "label_values", "and", "or", "unless", "on",
                "ignoring", "group_left", "group_right", "bool", "offset", "le", "instance", "job"}


def rules():
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def dashboard():
    return json.loads(DASHBOARD.read_text())


def dashboard_expressions():
    panels = [panel for panel in dashboard()["panels"] if panel["type"] != "row"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def series_names(expression):
    """The series an expression reads: names outside label matchers, strings, ranges and functions."""
    text = re.sub(r'"[^"]*"', '""', expression)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)
    names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", text))
    return {name for name in names if name not in PROMQL_WORDS and not re.fullmatch(r"e\d*|\d.*", name)}


def test_the_alert_rules_pass_promtool_or_the_schema():
    promtool = shutil.which("promtool")
    if promtool:
        result = subprocess.run([promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"SUCCESS: {len(rules())} rules found" in result.stdout, result.stdout
    # The schema Prometheus reads, checked either way (promtool allows rules without severity or text).
    document = yaml.safe_load(ALERTS.read_text())
    assert set(document) == {"groups"}
    for group in document["groups"]:
        assert set(group) <= {"name", "interval", "rules"} and group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"]), rule
            assert isinstance(rule["expr"], str) and rule["expr"].strip(), rule["alert"]
            assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
            assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
            assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))


def test_the_alerts_cover_what_an_operator_is_paged_for():
    watched = {rule["alert"]: series_names(rule["expr"]) for rule in rules()}
    for alert, series in COVERED.items():
        assert series in watched.get(alert, set()), f"{alert} should watch {series}: {watched.get(alert)}"


def test_the_dashboard_is_well_formed():
    board = dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 36
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        position = panel["gridPos"]
        assert 0 <= position["x"] and position["x"] + position["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["type"] == "timeseries" and panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"] and all(target["expr"].strip() for target in panel["targets"]), panel["title"]
        # Every node-scoped query follows the node picker.
        assert all('instance=~"$instance"' in target["expr"] for target in panel["targets"]), panel["title"]


def provoke_every_series(node, redis):
    """Makes a fresh node create every series it creates only on first use: HTTP requests, an
    accepted and a refused socket, a kick, a Redis error and a connection dropped before its request."""
    account = node.sign_up()
    socket = Socket(node.ws, node.login(account))
    assert socket.is_open()
    node.login(account)  # kicks the socket
    assert socket.close_code() == 4409
    assert Socket(node.ws, "bad-token").close_code() == 4401
    token = node.login(account)
    # Redis refuses writes (noeviction over maxmemory): the socket's claim fails.
    redis.cli("CONFIG", "SET", "maxmemory", "1")
    try:
        assert Socket(node.ws, token).close_code() == 1013
    finally:
        redis.cli("CONFIG", "SET", "maxmemory", "0")
    idle = raw_connection(node.port)  # PARLEY_REQUEST_HEAD_TIMEOUT=1: dropped as head_timeout
    assert seconds_until_closed(idle, 10) is not None
    idle.close()


def test_every_series_the_dashboard_and_alerts_use_is_exported(spawn, redis):
    node = spawn("monitoring", PARLEY_REQUEST_HEAD_TIMEOUT="1")
    provoke_every_series(node, redis)
    used = set().union(*(series_names(expression) for expression in dashboard_expressions() + [r["expr"] for r in rules()]))
    assert {"parley_sockets", "parley_http_requests_total", "parley_redis_errors_total"} <= used, used

    def exported():
        text = scrape(node)
        names = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", text, re.M))
        return names if used - PROMETHEUS_SERIES <= names else None

    try:
        names = wait_until(exported, message="every series exported")
    except AssertionError:
        names = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", scrape(node), re.M))
        pytest.fail(f"used but not exported by a live node: {sorted(used - PROMETHEUS_SERIES - names)}")
    assert names
