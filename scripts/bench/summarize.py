#!/usr/bin/env python3
"""Medians of parley-bench result lines (results.jsonl written by scripts/bench.sh), as Markdown."""
import json
import statistics
import sys
from collections import defaultdict


def med(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else float("nan")


def fmt(value, digits=2):
    return "n/a" if value != value else f"{value:,.{digits}f}"


def raw(values, digits=2):
    return " / ".join(fmt(v, digits) for v in values)


def main(path):
    lines = defaultdict(list)
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                record = json.loads(line)
                key = record["scenario"]
                if key == "idle":
                    key = f"idle-{record['sockets']}"
                lines[key].append(record)
    out = ["| scenario | figure (median) | limit, same run (median) | ratio (median) | runs | raw samples |",
           "| --- | ---: | ---: | ---: | ---: | --- |"]
    for r in [lines.get("kick", [])]:
        if r:
            p99 = [x["kick"]["p99_ms"] for x in r]
            out.append(f"| kick p50 / p99 / p99.9 (ms) | {fmt(med([x['kick']['p50_ms'] for x in r]), 3)} / {fmt(med(p99), 3)} / "
                       f"{fmt(med([x['kick']['p999_ms'] for x in r]), 3)} | Redis publish→receive p50 "
                       f"{fmt(med([x['redis_roundtrip']['p50_ms'] for x in r]), 3)}, p99 {fmt(med([x['redis_roundtrip']['p99_ms'] for x in r]), 3)} "
                       f"| p99 ×{fmt(med([x['p99_ratio_to_redis'] for x in r]), 1)} | {len(r)} | kick p99 {raw(p99, 3)} |")
    for key in sorted(k for k in lines if k.startswith("idle-")):
        r = [x for x in lines[key] if "echo" in x or "ws" in x]
        if not r:
            continue
        p = [x["parley"]["bytes_per_socket"] / 1000 for x in r]
        e = [x.get("echo", {}).get("bytes_per_socket", float("nan")) / 1000 for x in r]
        w = [x.get("ws", {}).get("bytes_per_socket", float("nan")) / 1000 for x in r]
        cpu = [x["parley"]["cpu_percent"] for x in r]
        out.append(f"| {key}: node RSS per socket (KB) | {fmt(med(p))} (idle CPU {fmt(med(cpu), 1)} %) | bare NIO echo {fmt(med(e))}, "
                   f"Node ws {fmt(med(w))} | ×{fmt(med([x.get('ratio_to_echo') for x in r]))} echo, ×{fmt(med([x.get('ratio_to_ws') for x in r]))} ws "
                   f"| {len(r)} | Parley {raw(p)}; echo {raw(e)}; ws {raw(w)} |")
    r = lines.get("storm", [])
    if r:
        p = [x["parley"]["connects_per_s"] for x in r]
        e = [x.get("echo", {}).get("connects_per_s") for x in r]
        out.append(f"| storm: authenticated connects/s | {fmt(med(p), 0)} | bare NIO echo upgrades/s {fmt(med(e), 0)} "
                   f"| {fmt(med([x.get('ratio_to_echo') for x in r]))} | {len(r)} | Parley {raw(p, 0)}; echo {raw(e, 0)} |")
        lean = [x.get("echo_lean", {}).get("connects_per_s") for x in r]
        hb = [x.get("echo_hummingbird", {}).get("connects_per_s") for x in r]
        if any(isinstance(v, (int, float)) for v in lean + hb):
            out.append(f"| storm: lean-upgrade echo upgrades/s, bare · behind Hummingbird's server | {fmt(med(lean), 0)} · {fmt(med(hb), 0)} "
                       f"| | | {len(r)} | {raw(lean, 0)}; {raw(hb, 0)} |")
        pc = [x["parley"].get("cpu_us_per_connect") for x in r]
        ec = [x.get("echo", {}).get("cpu_us_per_connect") for x in r]
        lc = [x.get("echo_lean", {}).get("cpu_us_per_connect") for x in r]
        hc = [x.get("echo_hummingbird", {}).get("cpu_us_per_connect") for x in r]
        if any(isinstance(v, (int, float)) for v in pc + ec):
            ratios = [a / b for a, b in zip(pc, ec) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0]
            out.append(f"| storm: node CPU per connect (µs) | {fmt(med(pc), 0)} | bare NIO echo per upgrade {fmt(med(ec), 0)}, "
                       f"lean upgrade {fmt(med(lc), 0)}, behind Hummingbird's server {fmt(med(hc), 0)} | {fmt(med(ratios))} | {len(r)} "
                       f"| Parley {raw(pc, 0)}; echo {raw(ec, 0)}; lean {raw(lc, 0)}; Hummingbird {raw(hc, 0)} |")
    r = lines.get("http", [])
    if r:
        h = [x["http"]["requests_per_s"] for x in r]
        g = [x["pgbench"]["tps"] for x in r]
        out.append(f"| http: GET /friend/list (50 friends) req/s | {fmt(med(h), 0)} | pgbench same SQL tps {fmt(med(g), 0)} "
                   f"| {fmt(med([x['ratio_to_pgbench'] for x in r]))} | {len(r)} | HTTP {raw(h, 0)}; pgbench {raw(g, 0)} |")
    r = lines.get("push", [])
    if r:
        q = [x["from_request"]["p99_ms"] for x in r]
        out.append(f"| push: request sent → frame p50 / p99 (ms) | {fmt(med([x['from_request']['p50_ms'] for x in r]), 3)} / {fmt(med(q), 3)} "
                   f"| response → frame p50 {fmt(med([x['from_response']['p50_ms'] for x in r]), 3)}, p99 {fmt(med([x['from_response']['p99_ms'] for x in r]), 3)} "
                   f"| | {len(r)} | p99 {raw(q, 3)} |")
    r = lines.get("message", [])
    if r:
        def figure(mode, key):
            return med([x[mode]["latency"][key] for x in r])
        out.append(f"| message: HTTP answer → frame p50 / p99 (ms), acks off · on | {fmt(figure('legacy', 'p50_ms'), 3)} / "
                   f"{fmt(figure('legacy', 'p99_ms'), 3)} · {fmt(figure('acknowledged', 'p50_ms'), 3)} / {fmt(figure('acknowledged', 'p99_ms'), 3)} "
                   f"| Redis publish→receive p50 {fmt(med([x['redis_roundtrip']['p50_ms'] for x in r]), 3)}, "
                   f"p99 {fmt(med([x['redis_roundtrip']['p99_ms'] for x in r]), 3)} | | {len(r)} | "
                   f"p99 off {raw([x['legacy']['latency']['p99_ms'] for x in r], 3)}; on {raw([x['acknowledged']['latency']['p99_ms'] for x in r], 3)} |")
        off = [x["legacy"]["messages_per_second"] for x in r]
        on = [x["acknowledged"]["messages_per_second"] for x in r]
        tps = [x["pgbench"]["tps"] for x in r]
        out.append(f"| message: messages/s, 16 in flight, acks off · on | {fmt(med(off), 0)} · {fmt(med(on), 0)} "
                   f"| pgbench send statements tps {fmt(med(tps), 0)} | {fmt(med([x['ratio_to_pgbench'] for x in r]))} · "
                   f"{fmt(med([x['acknowledged_ratio_to_pgbench'] for x in r]))} | {len(r)} | off {raw(off, 0)}; on {raw(on, 0)}; pgbench {raw(tps, 0)} |")
    r = lines.get("cluster", [])
    if r:
        out.append(f"| cluster: accounts online at once, 3 nodes | {r[-1]['online_max']:,} | target {r[-1]['target']:,} | | 1 | |")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
