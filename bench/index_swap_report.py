#!/usr/bin/python3
"""Turns the raw output of bench/index_swap.sh into a Markdown table and JSON.

Latency is split by the swap's wall-clock window: per-second rows of the load
generator that start before the swap, overlap it, or start after it. Memory
comes from the server's VmRSS sampled every 0.2 s.
"""

import argparse
import json
import os
import re
import statistics


def parse_args():
    p = argparse.ArgumentParser()
    for name in ("work", "out"):
        p.add_argument("--" + name, required=True)
    for name in ("items", "users", "rate"):
        p.add_argument("--" + name, type=int, required=True)
    for name in ("load_start", "swap_start", "swap_end"):
        p.add_argument("--" + name, type=float, required=True)
    return p.parse_args()


def read(path):
    with open(path) as f:
        return f.read()


def build_figures(work):
    out = read(os.path.join(work, "build.out"))
    timing = re.search(r"read ([\d.]+) s, build ([\d.]+) s, write ([\d.]+) s, total ([\d.]+) s",
                       out)
    peak_kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                        read(os.path.join(work, "build.time")))
    return {
        "read_s": float(timing.group(1)),
        "build_s": float(timing.group(2)),
        "write_s": float(timing.group(3)),
        "total_s": float(timing.group(4)),
        "builder_peak_rss_mib": int(peak_kb.group(1)) / 1024.0,
    }


def memory_figures(work, swap_start, swap_end):
    samples = []
    for line in read(os.path.join(work, "rss.txt")).splitlines():
        parts = line.split()
        if len(parts) == 2:
            samples.append((float(parts[0]), int(parts[1]) / 1024.0))
    before = [m for t, m in samples if t < swap_start]
    during = [m for t, m in samples if swap_start <= t <= swap_end + 2.0]
    after = [m for t, m in samples if t > swap_end + 2.0]
    return {
        "before_mib": before[-1] if before else None,
        "peak_during_swap_mib": max(during) if during else None,
        "after_mib": after[-1] if after else None,
    }


def phase_of(row_start, row_end, swap_start, swap_end):
    if row_end <= swap_start:
        return "before"
    if row_start >= swap_end:
        return "after"
    return "during"


def latency_figures(load, load_start, swap_start, swap_end):
    phases = {"before": [], "during": [], "after": []}
    for row in load["timeline"]:
        if row["warmup"] or int(row["requests"]) == 0:
            continue
        start = load_start + row["t_s"]
        phases[phase_of(start, start + 1.0, swap_start, swap_end)].append(row)
    figures = {}
    for phase, rows in phases.items():
        if not rows:
            figures[phase] = None
            continue
        p99s = [r["p99_ms"] for r in rows]
        figures[phase] = {
            "seconds": len(rows),
            "requests": sum(int(r["requests"]) for r in rows),
            "errors": sum(int(r["errors"]) for r in rows),
            "median_p50_ms": statistics.median(r["p50_ms"] for r in rows),
            "median_p99_ms": statistics.median(p99s),
            "worst_p99_ms": max(p99s),
            "worst_max_ms": max(r["max_ms"] for r in rows),
        }
    return figures


def main():
    args = parse_args()
    load = json.loads(read(os.path.join(args.work, "load.json")))
    swap = json.loads(read(os.path.join(args.work, "swap.json")))
    result = {
        "machine": load.get("machine", {}),
        "items": args.items,
        "users": args.users,
        "offered_getfeed_per_s": args.rate,
        "build": build_figures(args.work),
        "swap": {
            "seconds": args.swap_end - args.swap_start,
            "server_millis": int(swap.get("millis", 0)),
            "replayed_items": int(swap.get("replayedItems", 0)),
            "serving": swap.get("serving", {}),
        },
        "memory": memory_figures(args.work, args.swap_start, args.swap_end),
        "getfeed_latency": latency_figures(load, args.load_start, args.swap_start,
                                           args.swap_end),
        "overall": load.get("overall", {}),
    }
    with open(args.out + ".json", "w") as f:
        json.dump(result, f, indent=2)

    b, m, s = result["build"], result["memory"], result["swap"]
    lines = [
        "# Index rebuild and swap (%d items x 64, %d users)" % (args.items, args.users),
        "",
        "Machine: %s. Command: `ITEMS=%d USERS=%d RATE=%d bench/index_swap.sh`."
        % (json.dumps(result["machine"]), args.items, args.users, args.rate),
        "",
        "## Offline build (`zhongcao_build_index --data_dir`, HNSW32,Flat, all cores)",
        "",
        "| read store | build | write snapshot | total | builder peak RSS |",
        "|---|---|---|---|---|",
        "| %.1f s | %.1f s | %.1f s | %.1f s | %.0f MiB |"
        % (b["read_s"], b["build_s"], b["write_s"], b["total_s"], b["builder_peak_rss_mib"]),
        "",
        "## Swap (`LoadIndex` of that snapshot under load)",
        "",
        "| swap wall time | of which server | items replayed | RSS before | peak RSS during | RSS after |",
        "|---|---|---|---|---|---|",
        "| %.1f s | %d ms | %d | %.0f MiB | %.0f MiB | %.0f MiB |"
        % (s["seconds"], s["server_millis"], s["replayed_items"], m["before_mib"] or 0,
           m["peak_during_swap_mib"] or 0, m["after_mib"] or 0),
        "",
        "## GetFeed (count 20, all sources) at %d requests/s offered, open loop" % args.rate,
        "",
        "Per-second rows of the load generator, by where they fall against the swap.",
        "",
        "| phase | seconds | requests | errors | median p50 | median p99 | worst 1-s p99 | worst max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for phase in ("before", "during", "after"):
        f = result["getfeed_latency"][phase]
        if f is None:
            lines.append("| %s | 0 | | | | | | |" % phase)
            continue
        lines.append("| %s | %d | %d | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms |"
                     % (phase, f["seconds"], f["requests"], f["errors"], f["median_p50_ms"],
                        f["median_p99_ms"], f["worst_p99_ms"], f["worst_max_ms"]))
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
