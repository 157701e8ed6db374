"""`/metrics` exposes the series an operator watches (Prometheus text)."""
import re
import urllib.request

from conftest import wait_until
from sockets import Socket
from test_gateway import kick_across_nodes


def scrape(node):
    with urllib.request.urlopen(node.base + "/metrics", timeout=10) as response:
        assert response.headers["content-type"].startswith("text/plain")
        return response.read().decode()


SAMPLE = re.compile(r'^(\w+)(?:\{(.*)\})? (\S+)$')


def value(text, name, **labels):
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if not match or match.group(1) != name:
            continue
        sample_labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(sample_labels.get(key) == wanted for key, wanted in labels.items()):
            total += float(match.group(3))
    return total


def test_metrics_follow_requests_sockets_and_kicks(cluster):
    a, b = cluster
    kick_across_nodes(a, b)
    Socket(a.ws, "bad-token").close_code()

    text_a = wait_until(lambda: (lambda t: t if 'parley_kick_delivery_seconds_count' in t else None)(scrape(a)),
                        message="kick latency recorded")
    text_b = scrape(b)
    assert value(text_a, "parley_http_requests_total", method="POST", route="/reg", status="200") >= 1
    assert value(text_a, "parley_http_request_duration_seconds_count", route="/reg") >= 1
    assert value(text_a, "parley_socket_connects_total", outcome="accepted") >= 1
    assert value(text_a, "parley_socket_connects_total", outcome="refused", reason="token_invalid") >= 1
    assert value(text_a, "parley_kicks_received_total", reason="kicked") >= 1
    assert value(text_b, "parley_kicks_sent_total", reason="kicked") >= 1
    for series in ("parley_sockets", "parley_accounts_online", "parley_heartbeat_lag_seconds",
                   "parley_heartbeat_duration_seconds", "parley_postgres_pool_in_use", "parley_postgres_pool_waiting"):
        assert re.search(rf"^{series}", text_a, re.M), series
