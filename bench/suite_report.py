#!/usr/bin/python3
"""The reporting half of bench/run.sh.

  suite_report.py ids --snapshot=DIR --out=FILE
      every item id of an index snapshot (ids.bin), one a line;
  suite_report.py report --work=DIR --out=PREFIX ...
      PREFIX.md and PREFIX.json from the raw outputs of one run;
  suite_report.py scaling --out=PREFIX [--append_to=REPORT.md] A.json B.json ...
      a table and a PNG plot of several runs' figures against catalog size.

Every figure carries the machine's load average before and after the step
that measured it: the machine is shared, and a busy one inflates latencies.
"""

import argparse
import datetime
import json
import os
import platform
import socket
import struct
import subprocess
import sys

GIB = 1024**3

# Issue 5, item 5. Where a figure depends on the catalog's size, the target
# is at 1M items x 64 dimensions.
TARGETS = {
    "ann_vs_hnswlib": "ANN stage in process, one thread, at recall@10 >= 0.98: QPS >= hnswlib's",
    "related_saturation": "GetRelated saturation >= 5,000 requests/s at recall@10 >= 0.95",
    "feed_p99": "GetFeed (count 20, all sources) p99 <= 10 ms at 500 requests/s offered",
    "feed_saturation": "GetFeed saturation >= 1,500 requests/s",
    "recall100": "ANN stage recall@100 >= 0.95 (server's efSearch)",
    "recall100_10": "ANN stage recall@100 >= 0.95 under a 10% filter",
    "recall100_1": "ANN stage recall@100 >= 0.95 under a 1% filter",
    "memory": "resident memory <= 1.5 GiB",
    "ingest_items": "batched ingest >= 50,000 item upserts/s",
    "ingest_events": "batched ingest >= 200,000 events/s",
}


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_text(path):
    with open(path) as f:
        return f.read()


# ---------------------------------------------------------------------------
# ids


def snapshot_ids(snapshot):
    """The ids of ids.bin (each a little-endian u32 length and its bytes), in
    order, each once (a replaced item is listed again under a new row)."""
    with open(os.path.join(snapshot, "ids.bin"), "rb") as f:
        data = f.read()
    seen = set()
    at = 0
    while at + 4 <= len(data):
        (size,) = struct.unpack_from("<I", data, at)
        at += 4
        item = data[at:at + size].decode()
        at += size
        if item not in seen:
            seen.add(item)
            yield item


def cmd_ids(args):
    with open(args.out, "w") as out:
        for item in snapshot_ids(args.snapshot):
            out.write(item + "\n")


# ---------------------------------------------------------------------------
# report


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_bytes": mem,
        "hostname": socket.gethostname(),
        "kernel": platform.release(),
    }


def git_state():
    def run(*cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""
    dirty = [line[3:] for line in run("git", "status", "--porcelain").splitlines()]
    return {"commit": run("git", "rev-parse", "--short", "HEAD").strip(),
            "uncommitted_paths": dirty}


def load_of(text):
    return [float(x) for x in text.split()[:3]]


def read_steps(work):
    steps = {}
    for line in read_text(os.path.join(work, "steps.tsv")).splitlines():
        (name, start, end, before, after, ticks_before, ticks_after, hz,
         command) = line.split("\t", 8)
        steps[name] = {
            "command": command,
            "seconds": round(float(end) - float(start), 1),
            "start": datetime.datetime.fromtimestamp(float(start)).isoformat(timespec="seconds"),
            "load_before": load_of(before),
            "load_after": load_of(after),
            # The server's user + system CPU over the step; None before it starts.
            "server_cpu_s": None if "-" in (ticks_before, ticks_after) else
            round((int(ticks_after) - int(ticks_before)) / int(hz), 2),
        }
    return steps


def add_server_cpu(figures, loadgen_doc, step):
    """The server's CPU time per request (and per row, for batches) over a
    load step. The step's CPU covers its warm-up too, so it is divided by
    every request sent, warm-up included. Unlike requests/s it does not
    fall when another process takes a core, though the machine's own speed
    still moves it by 10-15% between runs."""
    cpu_s = step["server_cpu_s"]
    sent = figures["requests"] + loadgen_doc.get("warmup_requests", 0)
    if cpu_s is None or sent == 0:
        figures["server_cpu_ms_per_request"] = figures["server_cpu_us_per_row"] = None
        return figures
    figures["server_cpu_s"] = cpu_s
    figures["server_cpu_ms_per_request"] = round(cpu_s * 1000 / sent, 3)
    figures["server_cpu_us_per_row"] = round(
        cpu_s * 1e6 / (sent * figures["rows_per_request"]), 2)
    return figures


def vm_status(path):
    out = {}
    for line in read_text(path).splitlines():
        key, value = line.split(":", 1)
        out[key.strip()] = int(value.split()[0]) * 1024
    return {"vmrss_bytes": out.get("VmRSS"), "vmhwm_bytes": out.get("VmHWM")}


def store_delta(before_path, after_path):
    """The store's counters between two GetStatus answers; None if either is absent."""
    if not (os.path.exists(before_path) and os.path.exists(after_path)):
        return None
    before = read_json(before_path).get("store", {})
    after = read_json(after_path).get("store", {})
    # protobuf's JSON writes int64 as strings and leaves out zeros.
    keys = ("itemCacheLookups", "itemCacheHits", "creatorScanAsks", "creatorScanKept")
    return {k: int(after.get(k, 0)) - int(before.get(k, 0)) for k in keys}


def load_figures(doc, call):
    stats = doc["calls"].get(call, doc["overall"])
    lat = stats["latency_ms"]
    if stats["ok"] == 0:  # percentiles of no response are not 0 ms
        lat = {k: None for k in lat}
    return {
        "mode": doc["mode"],
        "offered_per_s": doc["offered_rate_per_s"],
        "concurrency": doc["concurrency"],
        "measured_s": doc["measured_seconds"],
        "requests": stats["requests"],
        "ok": stats["ok"],
        "errors": stats["errors"],
        "dropped": stats["dropped"],
        "errors_by_code": stats["errors_by_code"],
        "rate_per_s": stats["rate_per_s"],
        "rows_per_request": stats.get("rows_per_request", 1),
        "rows_per_s": stats.get("rows_per_s", stats["rate_per_s"]),
        "p50_ms": lat["p50"], "p90_ms": lat["p90"], "p99_ms": lat["p99"],
        "p999_ms": lat["p99_9"], "max_ms": lat["max"],
        "send_lag_p99_ms": doc["send_lag_ms"]["p99"],
    }


def ann_row(ann, engine, ef=None):
    for row in ann["results"]:
        if row["engine"] == engine and (ef is None or row["ef"] == ef):
            return row
    return None


def server_ef(flags):
    for flag in flags.split():
        if flag.startswith("--hnsw_ef_search="):
            return int(flag.split("=", 1)[1])
    return 48  # zhongcao_server's default


def figures_of(args, work, steps):
    ann = read_json(os.path.join(work, "ann.json"))
    micro = read_json(os.path.join(work, "micro.json"))
    related = ann_row(ann, "getrelated")
    ef = server_ef(args.server_flags)
    # The served index at the server's efSearch: the zhongcao engine's row at
    # that ef if the sweep has it, else the nearest above.
    zc_rows = sorted((r for r in ann["results"] if r["engine"] == "zhongcao"),
                     key=lambda r: r["ef"])
    at_ef = next((r for r in zc_rows if r["ef"] >= ef), zc_rows[-1] if zc_rows else None)
    best = ann["best_qps_at_equal_recall"]
    mixed = os.path.exists(os.path.join(work, "feed_with_events.json"))

    def load_step(json_name, call, step):
        doc = read_json(os.path.join(work, json_name + ".json"))
        figures = load_figures(doc, call)
        # In an open loop, refused calls cost the server next to nothing and
        # would dilute the figure; closed loops run at saturation.
        return add_server_cpu(figures, doc, steps[step]) if doc["mode"] == "closed" else figures

    fig = {
        "ann": {
            "queries": ann["queries"],
            "data": ann["data"]["description"],
            "best_qps_at_equal_recall": best,
            "server_ef": ef,
            "zhongcao_at_server_ef": at_ef,
        },
        "getrelated_serial": related and {
            "recall@10": related["k10"]["recall"],
            "recall@100": related["k100"]["recall"],
            "qps_one_at_a_time": related["k10"]["qps"],
            "p50_us": related["k10"]["p50_us"],
            "p99_us": related["k10"]["p99_us"],
            "truth": ann.get("getrelated", {}).get("truth"),
        },
        "getrelated_saturation": load_step("related_closed", "GetRelated",
                                           "related_saturation"),
        "getfeed_open": load_step("feed_open", "GetFeed", "feed_open"),
        "getfeed_saturation": load_step("feed_closed", "GetFeed", "feed_saturation"),
        # Absent from runs before 2026-12-07.
        "getfeed_with_events": mixed and load_step("feed_with_events", "GetFeed",
                                                   "feed_with_events"),
        "events_with_feeds": mixed and load_step("feed_with_events", "RecordEvents",
                                                 "feed_with_events"),
        "feed_with_events_mix": mixed and read_json(
            os.path.join(work, "feed_with_events.json"))["flags"]["mix"],
        "memory": {
            "idle": vm_status(os.path.join(work, "memory_idle.txt")),
            "after_load": vm_status(os.path.join(work, "memory_after_load.txt")),
            "after_ingest": vm_status(os.path.join(work, "memory_after_ingest.txt")),
        },
        # Absent from runs before 2026-12-07-hitrate.
        "store_around_feeds": store_delta(os.path.join(work, "status_before_feeds.json"),
                                          os.path.join(work, "status_after_feeds.json")),
        # Absent from runs before 2026-12-07 (afternoon).
        "store_at_end": (read_json(os.path.join(work, "status_end.json")).get("store", {})
                         if os.path.exists(os.path.join(work, "status_end.json")) else None),
        # Absent from runs before 2026-12-07 (evening). The ingest adds items,
        # so the memory after it is at more than the catalog's count.
        "items_at_end": (int(read_json(os.path.join(work, "status_end.json")).get("items", 0))
                         if os.path.exists(os.path.join(work, "status_end.json")) else None),
        "ingest_items": load_step("ingest_items", "UpsertItems", "ingest_items"),
        "ingest_events": load_step("ingest_events", "RecordEvents", "ingest_events"),
        "micro": [
            {k: b.get(k) for k in ("name", "real_time", "cpu_time", "time_unit",
                                   "items_per_second", "recall@10", "recall@100", "pass")
             if k in b}
            for b in micro["benchmarks"]
        ],
        "micro_context": micro["context"],
    }
    return fig, ann, micro


def target_rows(fig, items):
    rows = []

    def add(key, measured, met, step, note=""):
        rows.append({"key": key, "target": TARGETS[key], "measured": measured,
                     "met": met, "step": step, "note": note})

    best98 = fig["ann"]["best_qps_at_equal_recall"].get("recall@10>=0.98", {})
    zc, hn = best98.get("zhongcao") or {}, best98.get("hnswlib") or {}
    if zc.get("cpu") and hn.get("cpu"):
        ratio = zc["cpu"]["qps"] / hn["cpu"]["qps"]
        wall = zc["wall"]["qps"] / hn["wall"]["qps"] if zc.get("wall") and hn.get("wall") else None
        add("ann_vs_hnswlib",
            f"{zc['cpu']['qps']:.0f} vs {hn['cpu']['qps']:.0f} CPU QPS ({ratio:.2f}x; "
            f"wall {wall:.2f}x)" if wall else f"{ratio:.2f}x",
            ratio >= 1.0, "ann", "CPU QPS: searches per second of the searching thread's CPU time")
    else:
        add("ann_vs_hnswlib", "recall@10 0.98 not reached", False, "ann")

    sat = fig["getrelated_saturation"]
    rel = fig["getrelated_serial"] or {}
    r10 = rel.get("recall@10", 0)
    add("related_saturation", f"{sat['rate_per_s']:.0f}/s at recall@10 {r10:.4f}",
        sat["rate_per_s"] >= 5000 and r10 >= 0.95 and sat["errors"] == 0,
        "related_saturation")

    feed = fig["getfeed_open"]
    add("feed_p99", (f"p99 {feed['p99_ms']:.2f} ms (p50 {feed['p50_ms']:.2f}), "
                     if feed["ok"] else "no OK response, ") +
        f"{feed['rate_per_s']:.0f}/s achieved, {feed['errors']} errors",
        feed["p99_ms"] is not None and feed["p99_ms"] <= 10 and feed["errors"] == 0,
        "feed_open")
    fsat = fig["getfeed_saturation"]
    add("feed_saturation", f"{fsat['rate_per_s']:.0f}/s", fsat["rate_per_s"] >= 1500
        and fsat["errors"] == 0, "feed_saturation")

    at_ef = fig["ann"]["zhongcao_at_server_ef"]
    if at_ef:
        r100 = at_ef["k100"]["recall"]
        add("recall100", f"{r100:.4f} (efSearch {at_ef['ef']}, the catalog's vectors)",
            r100 >= 0.95, "ann")
    for key, case in (("recall100_10", "pass:10%"), ("recall100_1", "pass:1%")):
        b = next((m for m in fig["micro"]
                  if m["name"] == f"ann_filtered/HNSW32,Flat/{case}/k:100"), None)
        if b is None:
            add(key, "not measured", False, "micro")
        else:
            add(key, f"{b['recall@100']:.4f} (bench/common vectors, k 100 so efSearch 100)",
                b["recall@100"] >= 0.95, "micro")

    mem = fig["memory"]["after_load"]
    add("memory", f"VmRSS {mem['vmrss_bytes'] / GIB:.2f} GiB after load "
        f"(VmHWM {mem['vmhwm_bytes'] / GIB:.2f} GiB)", mem["vmrss_bytes"] <= 1.5 * GIB,
        "feed_saturation", "VmRSS after the read load; VmHWM is the peak since start")
    items_fig = fig["ingest_items"]
    add("ingest_items", f"{items_fig['rows_per_s']:.0f} items/s "
        f"(batches of {items_fig['rows_per_request']}, {items_fig['errors']} errors)",
        items_fig["rows_per_s"] >= 50000 and items_fig["errors"] == 0, "ingest_items")
    ev = fig["ingest_events"]
    add("ingest_events", f"{ev['rows_per_s']:.0f} events/s "
        f"(batches of {ev['rows_per_request']}, {ev['errors']} errors)",
        ev["rows_per_s"] >= 200000 and ev["errors"] == 0, "ingest_events")
    if items != 1_000_000:
        for row in rows:
            row["note"] = (row["note"] + "; " if row["note"] else "") + \
                f"targets are set at 1M items, this run has {items:,}"
    return rows


def fmt_load(step):
    b, a = step["load_before"], step["load_after"]
    return f"{b[0]:.2f} → {a[0]:.2f}"


def fmt_opt(value, spec):
    return "-" if value is None else format(value, spec)


def size_name(n):
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def cpu_note(figures, unit):
    value = figures.get("server_cpu_" + unit)
    if value is None:
        return ""
    per = {"ms_per_request": "ms per request", "us_per_row": "us per row"}[unit]
    return f"; server CPU {value:.2f} {per}"


def markdown(doc, ann):
    fig, steps, size = doc["figures"], doc["steps"], doc["size"]
    m = doc["machine"]
    L = []
    L.append(f"# Benchmarks: {size_name(size['items'])} items x {size['dim']}, "
             f"{size_name(size['users'])} users ({doc['date']})\n")
    L.append(f"Machine: {m['cores']} cores ({m['cpu_model']}), "
             f"{m['memory_bytes'] / GIB:.1f} GiB, {m['hostname']}, Linux {m['kernel']}. "
             f"Load average (1/5/15 min) at the start {' '.join(map(str, doc['load_start']))}, "
             f"at the end {' '.join(map(str, doc['load_end']))}; each figure below has the "
             "1-minute load before → after its step. The machine is shared: a load above "
             "its core count means the figures include waiting for a CPU.\n")
    g = doc["git"]
    dirty = g["uncommitted_paths"]
    L.append(f"Code: commit {g['commit']}"
             + (f", with {len(dirty)} uncommitted paths in the tree (listed in the JSON)"
                if dirty else "") + ".\n")
    c = doc["catalog"]
    L.append(f"Catalog: `{c['path']}`, tools/demo with `--latent_dim={size['latent_dim']}` "
             f"(item offsets from their topic centroid in a {size['latent_dim']}-dimensional "
             f"subspace per topic), generated {c['generated_at']} "
             f"({c['age_hours']:.1f} h before the run) in {fmt_opt(c['generation_seconds'], '.0f')} s. "
             f"Server: `zhongcao_server {doc['server_flags'].strip()}`, "
             "`OMP_NUM_THREADS=1`, on a hard-linked copy of the catalog; the load "
             "generator runs on the same machine.\n")
    L.append(f"Whole run: {doc['run_seconds']:.0f} s. JSON: `{os.path.basename(doc['json'])}`.\n")

    L.append("## Targets (issue 5)\n")
    L.append("| target | measured | met | load | note |")
    L.append("|---|---|---|---|---|")
    for t in doc["targets"]:
        L.append(f"| {t['target']} | {t['measured']} | {'met' if t['met'] else '**missed**'} | "
                 f"{fmt_load(steps[t['step']])} | {t['note']} |")
    L.append("")

    L.append("## Figures\n")
    L.append("\"Server CPU\", on the closed-loop steps, is the server's user + system time "
             "over the whole step (from /proc), divided by every request sent, warm-up "
             "included. Requests per second also fall when another process takes a core; "
             "CPU per request does not, though this machine's speed still moves it by "
             "10-15% between runs.\n")
    L.append("| figure | value | load | step |")
    L.append("|---|---|---|---|")

    def row(name, value, step):
        L.append(f"| {name} | {value} | {fmt_load(steps[step])} | {step} |")

    rel = fig["getrelated_serial"]
    if rel:
        row("GetRelated recall@10 / @100 (gRPC, vs exact over available items)",
            f"{rel['recall@10']:.4f} / {rel['recall@100']:.4f}", "ann")
        row("GetRelated one call at a time: QPS, p50, p99",
            f"{rel['qps_one_at_a_time']:.0f}/s, {rel['p50_us'] / 1000:.2f} ms, "
            f"{rel['p99_us'] / 1000:.2f} ms", "ann")
    for key, name, step in (
            ("getrelated_saturation", "GetRelated saturation (closed loop, 16 callers, count 10)",
             "related_saturation"),
            ("getfeed_open", "GetFeed at 500/s offered (open loop, count 20)", "feed_open"),
            ("getfeed_saturation", "GetFeed saturation (closed loop, 16 callers, count 20)",
             "feed_saturation")):
        f = fig[key]
        errs = f"{f['errors']} errors" + (f" ({f['errors_by_code']})" if f["errors"] else "")
        lat = (f"p50 {f['p50_ms']:.2f}, p90 {f['p90_ms']:.2f}, p99 {f['p99_ms']:.2f}, "
               f"p99.9 {f['p999_ms']:.2f} ms" if f["ok"] else "no OK response")
        row(name, f"{f['rate_per_s']:.0f}/s; {lat}; {errs}"
            + (f"; client send lag p99 {f['send_lag_p99_ms']:.2f} ms"
               if f["mode"] == "open" else "") + cpu_note(f, "ms_per_request"), step)
    if fig.get("getfeed_with_events"):
        f, e = fig["getfeed_with_events"], fig["events_with_feeds"]
        lat = (f"p50 {f['p50_ms']:.2f}, p90 {f['p90_ms']:.2f}, p99 {f['p99_ms']:.2f}, "
               f"p99.9 {f['p999_ms']:.2f} ms" if f["ok"] else "no OK response")
        row(f"GetFeed while events arrive (one open loop at {f['offered_per_s']:.0f}/s, "
            f"mix {fig['feed_with_events_mix']}, {e['rows_per_request']} events a batch)",
            f"{f['rate_per_s']:.0f}/s; {lat}; {f['errors']} errors"
            + (f" ({f['errors_by_code']})" if f["errors"] else "")
            + f"; events {e['rows_per_s']:.0f}/s, {e['errors']} errors", "feed_with_events")
    around = fig.get("store_around_feeds")
    if around is not None:
        lookups, creators = around["itemCacheLookups"], around["creatorScanAsks"]
        row("Item cache over both GetFeed steps (AdminService.GetStatus before and after): "
            "rows found / looked up",
            f"{around['itemCacheHits'] / max(lookups, 1):.1%} of {lookups}; followed "
            f"creators answered by kept scans {around['creatorScanKept'] / max(creators, 1):.1%}"
            f" of {creators}", "feed_saturation")
    mem = fig["memory"]
    row("Server memory idle (VmRSS)", f"{mem['idle']['vmrss_bytes'] / GIB:.2f} GiB", "ann")
    row("Server memory after the read load (VmRSS / VmHWM)",
        f"{mem['after_load']['vmrss_bytes'] / GIB:.2f} / "
        f"{mem['after_load']['vmhwm_bytes'] / GIB:.2f} GiB", "feed_saturation")
    for key, what, step in (("ingest_items", "item upserts", "ingest_items"),
                            ("ingest_events", "events", "ingest_events")):
        f = fig[key]
        lat = (f"p50 {f['p50_ms']:.1f}, p99 {f['p99_ms']:.1f} ms per call"
               if f["ok"] else "no OK response")
        row(f"Ingest: {what} over gRPC (closed loop, 4 callers, batches of "
            f"{f['rows_per_request']})",
            f"{f['rows_per_s']:.0f}/s ({f['rate_per_s']:.1f} calls/s; {lat}; "
            f"{f['errors']} errors)" + cpu_note(f, "us_per_row"), step)
    items_at_end = fig.get("items_at_end")
    row("Server memory after ingest (VmRSS / VmHWM)",
        f"{mem['after_ingest']['vmrss_bytes'] / GIB:.2f} / "
        f"{mem['after_ingest']['vmhwm_bytes'] / GIB:.2f} GiB"
        + (f", with {items_at_end:,} items stored" if items_at_end else ""),
        "ingest_events")
    store = fig.get("store_at_end")
    if store is not None:
        # protobuf's JSON writes int64 as strings and leaves out zeros.
        def count(key):
            return int(store.get(key, 0))
        row("RocksDB write stops / slowdowns over the whole run (AdminService.GetStatus)",
            f"{count('writeStops')} / {count('writeSlowdowns')}; writes held "
            f"{count('writeStallMicros') / 1e6:.2f} s in all", "ingest_events")
        row("Item cache at the end (held / budget, evictions)",
            f"{count('itemCacheBytes') / 2**20:.0f} / "
            f"{count('itemCacheCapacityBytes') / 2**20:.0f} MiB, "
            f"{count('itemCacheEvictions')} evictions", "ingest_events")
    L.append("")

    L.append("## ANN engines on the served vectors\n")
    L.append(f"{fig['ann']['data']}; {fig['ann']['queries']['count']} queries, items of the "
             "set with the item itself excluded. One thread, one query at a time; `getrelated` "
             "is the server's GetRelated over gRPC (efSearch is the server's), scored against "
             "exact search over the items its `available_only` filter passes. \"CPU QPS\" "
             "counts searches per second of the searching thread's CPU time, the column to "
             "compare on a busy machine.\n")
    L.append("| engine | ef | recall@10 | QPS | CPU QPS | p50 us | p99 us | recall@100 | "
             "QPS k=100 |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in ann["results"]:
        a, b = r["k10"], r["k100"]
        cpu = f"{a['cpu_qps']:.0f}" if a["cpu_qps"] else "-"
        L.append(f"| {r['engine']} | {r['ef'] if r['ef'] is not None else '-'} | "
                 f"{a['recall']:.4f} | {a['qps']:.0f} | {cpu} | "
                 f"{a['p50_us']:.1f} | {a['p99_us']:.1f} | {b['recall']:.4f} | {b['qps']:.0f} |")
    L.append("")
    L.append("Best QPS at equal recall (the fastest ef reaching it), and the ratio to hnswlib:\n")
    L.append("| recall | engine | QPS | ef | vs hnswlib | CPU QPS | ef | vs hnswlib |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for level, engines in fig["ann"]["best_qps_at_equal_recall"].items():
        for engine, e in engines.items():
            cells = []
            for what in ("wall", "cpu"):
                v = e.get(what)
                if what == "cpu" and engine == "getrelated":
                    cells += ["-", "", ""]  # its search runs in the server
                elif not v:
                    cells += ["not reached", "", ""]
                else:
                    cells += [f"{v['qps']:.0f}", str(v["ef"] or "-"),
                              "-" if v["vs_hnswlib"] is None else f"{v['vs_hnswlib']:.2f}x"]
            L.append(f"| {level} | {engine} | " + " | ".join(cells) + " |")
    L.append("")

    L.append("## Micro-benchmarks\n")
    ctx = fig["micro_context"]
    L.append(f"zhongcao_micro_bench: {ctx.get('vectors', '')} (bench/common's generator); "
             f"{ctx.get('hnsw', '')}; feature store of {ctx.get('store_items', '')} items. "
             "Time per call; `items/s` counts queries for the ANN cases and candidates for "
             "the ranking ones.\n")
    L.append("| case | real us | CPU us | items/s | recall | pass |")
    L.append("|---|---:|---:|---:|---:|---:|")
    for b in fig["micro"]:
        unit = b.get("time_unit", "ns")
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[unit]
        recall = b.get("recall@10", b.get("recall@100"))
        L.append(f"| {b['name']} | {b['real_time'] * scale:.1f} | {b['cpu_time'] * scale:.1f} | "
                 f"{fmt_opt(b.get('items_per_second'), '.0f')} | {fmt_opt(recall, '.4f')} | "
                 f"{fmt_opt(b.get('pass'), '.3f')} |")
    L.append("")

    profiles = doc.get("profiles") or {}
    if profiles:
        L.append("## Profiles\n")
        L.append(f"`PROFILE=1`: `perf record -F 499 -g -p <server>` during each step; the "
                 f"server's hottest symbols (thread, library, symbol; share of its samples). "
                 f"Full lists: `{doc['profiles_dir']}/`.\n")
        for name, top in profiles.items():
            L.append(f"{name}:\n")
            L.append("```\n" + "\n".join(top) + "\n```\n")

    L.append("## Commands\n")
    L.append(f"`{doc['command']}` ran these steps (wall time, 1-minute load before → after):\n")
    for name, s in steps.items():
        L.append(f"- {name} ({s['seconds']:.0f} s, load {fmt_load(s)}): `{s['command']}`")
    gen = c.get("generation_output")
    if gen:
        L.append("\nCatalog generation (cached, not part of this run's time):\n")
        L.append("```\n" + gen.strip() + "\n```")
    return "\n".join(L) + "\n"


def catalog_info(data):
    gen_path = data + ".gen.txt"
    info = {"path": data, "generated_at": None, "age_hours": 0.0,
            "generation_seconds": None, "generation_output": None}
    if os.path.exists(gen_path):
        text = read_text(gen_path)
        mtime = os.path.getmtime(gen_path)
        info["generated_at"] = datetime.datetime.fromtimestamp(mtime).isoformat(timespec="seconds")
        info["age_hours"] = (datetime.datetime.now().timestamp() - mtime) / 3600
        info["generation_output"] = text
        for line in text.splitlines():
            if line.startswith("wall seconds:"):
                info["generation_seconds"] = float(line.split(":")[1])
    return info


def cmd_report(args):
    work = args.work
    steps = read_steps(work)
    fig, ann, micro = figures_of(args, work, steps)
    first = min(datetime.datetime.fromisoformat(s["start"]) for s in steps.values())
    doc = {
        "tool": "bench/run.sh",
        "command": args.command,
        "date": datetime.date.today().isoformat(),
        "time": datetime.datetime.now().isoformat(timespec="seconds"),
        "json": args.out + ".json",
        "size": {"items": args.items, "users": args.users, "dim": 64,
                 "latent_dim": args.latent_dim},
        "machine": machine(),
        "load_start": load_of(read_text(os.path.join(work, "load_start.txt"))),
        "load_end": load_of(read_text(os.path.join(work, "load_end.txt"))),
        "run_seconds": (datetime.datetime.now() - first).total_seconds(),
        "git": git_state(),
        "catalog": catalog_info(args.data),
        "server_flags": args.server_flags,
        "steps": steps,
        "figures": fig,
    }
    doc["targets"] = target_rows(fig, args.items)
    doc["profiles_dir"] = args.profiles
    doc["profiles"] = {}
    if args.profiles and os.path.isdir(args.profiles):
        for name in steps:
            path = os.path.join(args.profiles, f"profile-{name}.txt")
            if os.path.exists(path):
                top = [line.strip() for line in read_text(path).splitlines()
                       if line.strip()[:1].isdigit()][:10]
                doc["profiles"][name] = [" ".join(line.split()) for line in top]
    doc["raw"] = {
        "ann_compare": ann,
        "micro_bench": micro,
        **{name: read_json(os.path.join(work, name + ".json"))
           for name in ("related_closed", "feed_open", "feed_closed", "ingest_items",
                        "ingest_events")},
    }
    with open(args.out + ".json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    md = markdown(doc, ann)
    with open(args.out + ".md", "w") as f:
        f.write(md)
    # The targets table on the terminal too.
    start = md.index("## Targets")
    end = md.index("## Figures")
    sys.stdout.write(md[start:end])


# ---------------------------------------------------------------------------
# scaling


def scaling_row(doc):
    f = doc["figures"]
    best = f["ann"]["best_qps_at_equal_recall"].get("recall@10>=0.98", {})

    def cpu(engine):
        e = best.get(engine) or {}
        return e["cpu"]["qps"] if e.get("cpu") else None
    rel = f["getrelated_serial"] or {}
    return {
        "items": doc["size"]["items"],
        "users": doc["size"]["users"],
        "json": os.path.basename(doc["json"]),
        "load_start": doc["load_start"][0],
        "load_end": doc["load_end"][0],
        "ann_zhongcao_cpu_qps_r98": cpu("zhongcao"),
        "ann_hnswlib_cpu_qps_r98": cpu("hnswlib"),
        "getrelated_recall10": rel.get("recall@10"),
        "getrelated_saturation": f["getrelated_saturation"]["rate_per_s"],
        "getrelated_sat_p99_ms": f["getrelated_saturation"]["p99_ms"],
        "feed500_p50_ms": f["getfeed_open"]["p50_ms"],
        "feed500_p99_ms": f["getfeed_open"]["p99_ms"],
        "feed500_errors": f["getfeed_open"]["errors"],
        "feed_saturation": f["getfeed_saturation"]["rate_per_s"],
        "feed_sat_p50_ms": f["getfeed_saturation"]["p50_ms"],
        "feed_sat_p99_ms": f["getfeed_saturation"]["p99_ms"],
        "vmrss_gib": f["memory"]["after_load"]["vmrss_bytes"] / GIB,
        "vmhwm_gib": f["memory"]["after_load"]["vmhwm_bytes"] / GIB,
        "ingest_items_per_s": f["ingest_items"]["rows_per_s"],
        "ingest_events_per_s": f["ingest_events"]["rows_per_s"],
    }


def cmd_scaling(args):
    docs = sorted((read_json(p) for p in args.runs), key=lambda d: d["size"]["items"])
    rows = [scaling_row(d) for d in docs]
    png = args.out + ".png"

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    xs = [r["items"] for r in rows]
    fig, (lat, mem) = plt.subplots(1, 2, figsize=(11, 4.2))
    lat.plot(xs, [r["feed500_p50_ms"] for r in rows], "o-", label="GetFeed p50 @500/s")
    lat.plot(xs, [r["feed500_p99_ms"] for r in rows], "o-", label="GetFeed p99 @500/s")
    lat.plot(xs, [r["feed_sat_p99_ms"] for r in rows], "s--", label="GetFeed p99 at saturation")
    lat.plot(xs, [r["getrelated_sat_p99_ms"] for r in rows], "s--",
             label="GetRelated p99 at saturation")
    lat.axhline(10, color="grey", linestyle=":", label="target: GetFeed p99 10 ms")
    for r in rows:
        if r["feed500_p99_ms"] is None:
            lat.annotate("GetFeed @500/s:\nno OK response", (r["items"], 10),
                         fontsize=7, ha="center", va="bottom")
    lat.set_xscale("log")
    lat.set_yscale("log")
    lat.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    lat.set_xlabel("catalog items")
    lat.set_ylabel("latency, ms")
    lat.set_title("Latency")
    lat.legend(fontsize=8)
    lat.grid(True, which="both", alpha=0.3)
    mem.plot(xs, [r["vmrss_gib"] for r in rows], "o-", label="VmRSS after load")
    mem.plot(xs, [r["vmhwm_gib"] for r in rows], "o--", label="VmHWM (peak)")
    mem.axhline(1.5, color="grey", linestyle=":", label="target: 1.5 GiB")
    mem.set_xscale("log")
    mem.set_xlabel("catalog items")
    mem.set_ylabel("GiB")
    mem.set_title("Server resident memory")
    mem.legend(fontsize=8)
    mem.grid(True, which="both", alpha=0.3)
    fig.suptitle(f"zhongcao on {docs[-1]['machine']['cores']} cores, "
                 f"{docs[-1]['date']} (users = items / 10)")
    fig.tight_layout()
    fig.savefig(png, dpi=110)

    L = [f"# Scaling: the suite at {', '.join(size_name(x) for x in xs)} items "
         f"({docs[-1]['date']})\n",
         f"`{docs[-1]['command']}`: each size is a full `bench/run.sh` run (users = items / 10, "
         "64 dimensions, latent dimension "
         f"{docs[-1]['size']['latent_dim']}), one after another on the same machine; "
         "each size's own report has every figure, its command and the load during it.\n",
         f"![latency and memory against catalog size]({os.path.basename(png)})\n",
         "| items | load (start → end) | ANN CPU QPS @r10≥0.98 zhongcao / hnswlib | "
         "GetRelated recall@10 | GetRelated sat. /s | GetRelated sat. p99 ms | "
         "GetFeed@500 p50 / p99 ms | GetFeed sat. /s | VmRSS / VmHWM GiB | "
         "ingest items/s | ingest events/s | report |",
         "|---:|---|---|---:|---:|---:|---|---:|---|---:|---:|---|"]
    for r in rows:
        L.append(
            f"| {r['items']:,} | {r['load_start']:.2f} → {r['load_end']:.2f} | "
            f"{fmt_opt(r['ann_zhongcao_cpu_qps_r98'], '.0f')} / "
            f"{fmt_opt(r['ann_hnswlib_cpu_qps_r98'], '.0f')} | "
            f"{fmt_opt(r['getrelated_recall10'], '.4f')} | {r['getrelated_saturation']:.0f} | "
            f"{fmt_opt(r['getrelated_sat_p99_ms'], '.2f')} | "
            f"{fmt_opt(r['feed500_p50_ms'], '.2f')} / {fmt_opt(r['feed500_p99_ms'], '.2f')} | "
            f"{r['feed_saturation']:.0f} | "
            f"{r['vmrss_gib']:.2f} / {r['vmhwm_gib']:.2f} | {r['ingest_items_per_s']:.0f} | "
            f"{r['ingest_events_per_s']:.0f} | [{r['json'][:-5]}.md]({r['json'][:-5]}.md) |")
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(L) + "\n")
    if args.append_to:
        # Links relative to the results directory work from both files.
        with open(args.append_to, "a") as f:
            f.write("\n## Scaling\n\n" + "\n".join(L[1:]) + "\n")
    with open(args.out + ".json", "w") as f:
        json.dump({"tool": "bench/run.sh --scaling", "date": docs[-1]["date"],
                   "machine": docs[-1]["machine"], "rows": rows, "plot": os.path.basename(png)},
                  f, indent=1)
        f.write("\n")
    sys.stdout.write("\n".join(L[3:]) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    ids = sub.add_parser("ids")
    ids.add_argument("--snapshot", required=True)
    ids.add_argument("--out", required=True)
    rep = sub.add_parser("report")
    for name in ("work", "data", "out", "server_flags", "build_dir", "command", "profiles"):
        rep.add_argument("--" + name, default="")
    for name in ("items", "users", "latent_dim", "port"):
        rep.add_argument("--" + name, type=int, required=True)
    sc = sub.add_parser("scaling")
    sc.add_argument("--out", required=True)
    sc.add_argument("--append_to", default="")
    sc.add_argument("runs", nargs="+")
    args = p.parse_args()
    {"ids": cmd_ids, "report": cmd_report, "scaling": cmd_scaling}[args.cmd](args)


if __name__ == "__main__":
    main()
