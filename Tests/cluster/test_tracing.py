"""Tracing (PARLEY_OTEL_ENDPOINT): a node exports its spans over OTLP/HTTP to a collector stub in this
process — a request's span with its PostgreSQL and Redis children, a span per socket connect — and
writes the trace ids into its JSON logs."""
import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import free_port, wait_until
from sockets import Socket


class Collector:
    """Receives OTLP/HTTP JSON exports (`POST /v1/traces`) and keeps their spans."""

    def __init__(self):
        self.spans = []
        self.paths = set()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                collector.paths.add((self.path, self.headers["Content-Type"]))
                for resource in json.loads(body).get("resourceSpans", []):
                    for scope in resource.get("scopeSpans", []):
                        collector.spans += [dict(span, resource=attributes(resource["resource"])) for span in scope.get("spans", [])]
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def named(self, name):
        return [span for span in self.spans if span["name"] == name]

    def stop(self):
        self.server.shutdown()


def attributes(item):
    """OTLP's `[{"key", "value": {"stringValue": …}}]` as a dict."""
    return {attribute["key"]: next(iter(attribute["value"].values()), None) for attribute in item.get("attributes", [])}


def identifier(value):
    """A trace or span id as hex: OTLP/JSON writes hex, protobuf's JSON mapping base64."""
    if not value:
        return None
    if len(value) in (16, 32) and all(c in "0123456789abcdef" for c in value.lower()):
        return value.lower()
    return base64.b64decode(value).hex()


@pytest.fixture
def collector():
    stub = Collector()
    yield stub
    stub.stop()


@pytest.fixture
def traced_node(spawn, collector):
    return spawn("traced", PARLEY_OTEL_ENDPOINT=collector.endpoint, PARLEY_LOG_FORMAT="json",
                 OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="http/json", OTEL_BSP_SCHEDULE_DELAY="100")


def test_a_request_span_has_its_postgresql_and_redis_children(traced_node, collector):
    account = traced_node.sign_up()
    traced_node.login(account)  # PostgreSQL (user, session) and Redis (throttle, supersession)

    def login_trace():
        requests = [span for span in collector.spans
                    if span["name"] == "/login" and span.get("kind") in (2, "SPAN_KIND_SERVER")]
        for request in requests:
            trace = identifier(request["traceId"])
            children = [span for span in collector.spans if identifier(span.get("parentSpanId")) == identifier(request["spanId"])
                        and identifier(span["traceId"]) == trace]
            names = {span["name"] for span in children}
            if any(name.startswith("postgresql ") for name in names) and any(name.startswith("redis ") for name in names):
                return request, children
        return None

    request, children = wait_until(login_trace, message="the login's span with its children")
    assert {path for path, _ in collector.paths} == {"/v1/traces"}
    assert request["resource"]["service.name"] == "parley"
    assert request["resource"]["service.instance.id"] == "traced"
    assert attributes(request)["http.response.status_code"] in (200, "200")
    for child in children:
        assert child.get("kind") in (3, "SPAN_KIND_CLIENT"), child
        assert child["name"].split()[0] == attributes(child)["db.system.name"], child
    statements = [attributes(child).get("db.query.text", "") for child in children]
    assert any("SELECT" in statement.upper() for statement in statements), statements
    assert not any(account.username in statement for statement in statements), "a parameter's value in a span"

    # The request's log line carries its trace and span ids.
    def request_log():
        for line in traced_node.log_path.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("message") == "Request" and entry.get("http.route") == "/login":
                return entry
        return None

    entry = wait_until(request_log, message="the login's log line")
    assert entry["trace_id"] == identifier(request["traceId"])
    assert entry["span_id"] == identifier(request["spanId"])


def test_a_socket_connect_has_its_span(traced_node, collector):
    account = traced_node.sign_up()
    socket = Socket(traced_node.ws, traced_node.login(account))
    assert socket.is_open()
    assert Socket(traced_node.ws, "bad-token").close_code() == 4401
    socket.close()

    def connects():
        outcomes = [attributes(span).get("parley.connect.outcome") for span in collector.named("socket connect")]
        return outcomes if {"accepted", "closed"} <= set(outcomes) else None

    wait_until(connects, message="both socket connect spans")
    accepted = next(span for span in collector.named("socket connect") if attributes(span)["parley.connect.outcome"] == "accepted")
    assert attributes(accepted)["parley.user.id"] in (account.id, str(account.id))
    assert not accepted.get("parentSpanId")

    # The batched steps it went through: spans linked to it, with their PostgreSQL and Redis calls.
    def linked(name):
        return [span for span in collector.named(name)
                if identifier(accepted["spanId"]) in {identifier(link["spanId"]) for link in span.get("links", [])}]

    def children(span):
        return {child["name"] for child in collector.spans if identifier(child.get("parentSpanId")) == identifier(span["spanId"])}

    claims = wait_until(lambda: linked("socket connect: claims"), message="the claim batch's span")
    assert any(name.startswith("redis EVAL") for name in children(claims[0])), children(claims[0])
    assert linked("socket connect: session checks")


def test_tracing_is_off_by_default(spawn, collector):
    node = spawn("untraced", PARLEY_LOG_FORMAT="json")
    node.login(node.sign_up())
    entries = [json.loads(line) for line in node.log_path.read_text().splitlines()]
    assert not any("trace_id" in entry for entry in entries)
    assert collector.spans == []


def test_a_collector_that_is_down_costs_the_node_nothing(spawn):
    node = spawn("collector-down", PARLEY_OTEL_ENDPOINT=f"http://127.0.0.1:{free_port()}", OTEL_BSP_SCHEDULE_DELAY="100")
    node.login(node.sign_up())
    assert node.ready()
    assert node.terminate() == 0  # the exporter's shutdown does not hang the drain
