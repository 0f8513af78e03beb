#!/usr/bin/env python3
"""Prints the benchmarks of one scripts/bench run as a table of ratios: each peer's median time per
step over typegrad's, per workload and thread count (above 1: typegrad is faster), with the peak
resident memory of W3 training beside it.

Usage: ratio_table.py RESULTS.json [PEAK_MEMORY.jsonl]
RESULTS.json is Google Benchmark's JSON (--benchmark_out); PEAK_MEMORY.jsonl holds one line per
implementation from `workloads --peak-memory W3/<implementation>`.
"""
import json
import sys

WORKLOAD_ORDER = ["W1", "W4", "W2", "W3"]
PEER_ORDER = ["libtorch", "dlib"]
WHAT = {"W1": "tiny MLP train", "W4": "tiny MLP infer", "W2": "MLP train", "W3": "CNN train"}


def split_name(run_name):
    """'W1/libtorch/2/real_time' -> ('W1', 'libtorch', 2)."""
    workload, implementation, threads = run_name.split("/")[:3]
    return workload, implementation, int(threads)


def format_time(value, unit):
    return f"{value:.3g} {unit.replace('us', 'µs')}"


def read_results(path):
    """{(workload, implementation, threads): {'median': .., 'cv': .., 'unit': ..} or {'error': message}}."""
    with open(path) as f:
        benchmarks = json.load(f)["benchmarks"]
    results = {}
    for b in benchmarks:
        key = split_name(b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            results[key] = {"error": b.get("error_message", "error")}
            continue
        entry = results.setdefault(key, {"unit": b["time_unit"]})
        if b.get("label"):
            entry["label"] = b["label"]  # "agrees with typegrad to 2.3e-06"
        aggregate = b.get("aggregate_name")
        if aggregate == "median" or (aggregate is None and "median" not in entry):
            entry["median"] = b["real_time"]
        elif aggregate == "cv":
            entry["cv"] = b["real_time"]  # a fraction, despite the field's name
    return results


def cell(result):
    if result is None:
        return "—"
    if "error" in result:
        return "refused"
    text = format_time(result["median"], result["unit"])
    if "cv" in result:
        text += f" ±{100 * result['cv']:.0f}%"
    return text


def print_ratio_table(results):
    found = {implementation for _, implementation, _ in results}
    peers = [p for p in PEER_ORDER if p in found] + sorted(found - set(PEER_ORDER) - {"typegrad"})
    header = ["workload", "thr", "typegrad"] + [f"{p}" for p in peers] + [f"{p}/typegrad" for p in peers]
    rows = []
    keys = sorted({(w, t) for w, _, t in results}, key=lambda k: (WORKLOAD_ORDER.index(k[0]) if k[0] in WORKLOAD_ORDER else 99, k[1]))
    for workload, threads in keys:
        base = results.get((workload, "typegrad", threads))
        row = [f"{workload} {WHAT.get(workload, '')}".strip(), str(threads), cell(base)]
        row += [cell(results.get((workload, p, threads))) for p in peers]
        for p in peers:
            peer = results.get((workload, p, threads))
            if base and peer and "median" in base and "median" in peer and base["unit"] == peer["unit"]:
                row.append(f"{peer['median'] / base['median']:.2f}")
            else:
                row.append("—")
        rows.append(row)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    print("Median wall time per step (± coefficient of variation over repetitions); ratio = peer / typegrad, above 1: typegrad is faster")
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    agreements = [f"{w}/{i}/{t} {r['label'].split()[-1]}" for (w, i, t), r in sorted(results.items())
                  if i != "typegrad" and r.get("label", "").startswith("agrees")]
    if agreements:
        print("Checked before timing, largest relative difference from typegrad over two steps (losses and gradients; W4: outputs):")
        print("  " + ", ".join(agreements))
    for (workload, implementation, threads), result in sorted(results.items()):
        if "error" in result:
            print(f"refused {workload}/{implementation}/{threads}: {result['error']}")


def print_peak_memory(path):
    with open(path) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    if not runs:
        return
    print()
    print("Peak resident memory, W3 training on 1 thread, one process per implementation")
    print("(the program links every implementation, so each process starts from the same loaded libraries)")
    header = ["implementation", "steps", "whole process", "before the workload", "the workload's own"]
    rows = []
    for r in runs:
        mib = lambda kib: f"{kib / 1024:.1f} MiB"
        rows.append([r["name"], str(r["steps"]), mib(r["peak_rss_kib"]), mib(r["baseline_rss_kib"]), mib(r["peak_rss_kib"] - r["baseline_rss_kib"])])
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths]] + rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    print_ratio_table(read_results(sys.argv[1]))
    if len(sys.argv) == 3:
        print_peak_memory(sys.argv[2])


if __name__ == "__main__":
    main()
