#!/usr/bin/env python3
"""The old backend and Parley side by side, from the JSON files of ../shared/peers/seed-node's
run.sh and run-parley.sh (one rate file and one memory file per run, in the directory or the
directories under it, one per run): the median of each figure over the runs, and Parley's ratio to
the old backend, as a markdown table.

    peer_summary.py OLD_RESULTS_DIR PARLEY_RESULTS_DIR
"""
import json
import statistics
import sys
from pathlib import Path

FIGURES = [
    # (label, file kind, path in the JSON, better when higher)
    ("authenticated connects/s (5,000 users, 200 in flight)", "rate", "connect.rate_per_s", True),
    ("server CPU per connect, µs", "rate", "connect.server_cpu_us_per_op", False),
    ("PostgreSQL CPU per connect, µs", "rate", "connect.pg_cpu_us_per_op", False),
    ("kick p99, 2nd socket's handshake → 1st socket's fail frame, ms", "rate", "kick.after_handshake_ms.p99", False),
    ("RSS per authenticated idle socket at 15,000, bytes", "mem", "bytes_per_socket_at_hold", False),
]


def value(document, path):
    for key in path.split("."):
        if not isinstance(document, dict) or key not in document:
            return None
        document = document[key]
    return document


def medians(directory):
    figures = {}
    for label, kind, path, _ in FIGURES:
        samples = [value(json.loads(f.read_text()), path) for f in sorted(Path(directory).rglob(f"*-r*.{kind}.json"))]
        samples = [s for s in samples if s is not None]
        figures[label] = (statistics.median(samples), samples) if samples else (None, [])
    return figures


def main():
    old, parley = medians(sys.argv[1]), medians(sys.argv[2])
    print("| figure (median of runs) | old backend | Parley | Parley / old | runs (old; Parley) |")
    print("| --- | ---: | ---: | ---: | --- |")
    for label, _, _, _ in FIGURES:
        (o, os_), (p, ps) = old[label], parley[label]
        ratio = f"{p / o:.2f}" if o and p is not None else "-"
        print(f"| {label} | {o if o is not None else '-'} | {p if p is not None else '-'} | {ratio} | {os_}; {ps} |")


if __name__ == "__main__":
    main()
