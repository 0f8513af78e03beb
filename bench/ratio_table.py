#!/usr/bin/env python3
"""Prints the benchmarks of one scripts/bench run as a table of ratios: each peer's median time per
step over typegrad's, per workload and thread count (above 1: typegrad is faster), then W5 (the
wall time of two epochs on Fashion-MNIST and the test accuracy after them), with the peak resident
memory of W3 training beside it. Peers: libtorch, dlib and pytorch (PyTorch in Python,
bench/peers/pytorch_workloads.py), each shown when the results hold it.

Usage: ratio_table.py RESULTS.json [PEAK_MEMORY.jsonl]
RESULTS.json is Google Benchmark's JSON (--benchmark_out); PEAK_MEMORY.jsonl holds one line per
implementation from its program `peak_memory_<implementation>` (PyTorch: pytorch_workloads.py --peak-memory).
"""
import json
import sys

WORKLOAD_ORDER = ["W1", "W4", "W2", "W3", "W5"]
PEER_ORDER = ["libtorch", "dlib", "pytorch"]  # pytorch: PyTorch in Python (bench/peers/pytorch_workloads.py)
WHAT = {"W1": "tiny MLP train", "W4": "tiny MLP infer", "W2": "MLP train", "W3": "CNN train", "W5": "Fashion-MNIST 2 epochs"}
END_TO_END = {"W5"}  # timed as one training run, with a test accuracy: a table of their own


def split_name(run_name):
    """'W1/libtorch/2/real_time' -> ('W1', 'libtorch', 2)."""
    workload, implementation, threads = run_name.split("/")[:3]
    return workload, implementation, int(threads)


def format_time(value, unit):
    return f"{value:.3g} {unit.replace('us', 'µs')}"


def read_results(path):
    """{(workload, implementation, threads): {'median': .., 'cv': .., 'unit': .., 'test_accuracy': ..} or {'error': message}}."""
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
            if "test_accuracy" in b:
                entry["test_accuracy"] = b["test_accuracy"]  # W5's counter
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


def print_rows(header, rows, left_columns):
    """Prints a table with its first `left_columns` columns aligned left, the others right."""
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths]] + rows:
        print("  ".join(c.ljust(w) if i < left_columns else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())


def peers_in(results, workloads):
    found = {implementation for w, implementation, _ in results if w in workloads}
    return [p for p in PEER_ORDER if p in found] + sorted(found - set(PEER_ORDER) - {"typegrad"})


def time_ratio(base, peer):
    if base and peer and "median" in base and "median" in peer and base["unit"] == peer["unit"]:
        return f"{peer['median'] / base['median']:.2f}"
    return "—"


def workload_keys(results, end_to_end):
    """The (workload, threads) pairs measured, in WORKLOAD_ORDER, either the end-to-end ones or the others."""
    keys = {(w, t) for w, _, t in results if (w in END_TO_END) == end_to_end}
    return sorted(keys, key=lambda k: (WORKLOAD_ORDER.index(k[0]) if k[0] in WORKLOAD_ORDER else 99, k[1]))


def print_ratio_table(results):
    """Returns whether there was anything to print."""
    keys = workload_keys(results, end_to_end=False)
    peers = peers_in(results, {w for w, _ in keys})
    header = ["workload", "thr", "typegrad"] + [f"{p}" for p in peers] + [f"{p}/typegrad" for p in peers]
    rows = []
    for workload, threads in keys:
        base = results.get((workload, "typegrad", threads))
        row = [f"{workload} {WHAT.get(workload, '')}".strip(), str(threads), cell(base)]
        row += [cell(results.get((workload, p, threads))) for p in peers]
        row += [time_ratio(base, results.get((workload, p, threads))) for p in peers]
        rows.append(row)
    if rows:
        print("Median wall time per step (± coefficient of variation over repetitions); ratio = peer / typegrad, above 1: typegrad is faster")
        print_rows(header, rows, 2)
    return bool(rows)


def accuracy_cell(result):
    if result is None or "test_accuracy" not in result:
        return "—"
    return f"{100 * result['test_accuracy']:.2f} %"


def print_end_to_end_table(results):
    """W5: each implementation's training time and test accuracy, the time ratio and the accuracy difference."""
    keys = workload_keys(results, end_to_end=True)
    if not keys:
        return
    implementations = ["typegrad"] + peers_in(results, {w for w, _ in keys})
    header = ["workload", "thr"]
    for i in implementations:
        header += [f"{i} time", f"{i} accuracy"]
    for p in implementations[1:]:
        header += [f"{p}/typegrad", f"typegrad − {p}"]
    rows = []
    for workload, threads in keys:
        base = results.get((workload, "typegrad", threads))
        row = [f"{workload} {WHAT.get(workload, '')}".strip(), str(threads)]
        for i in implementations:
            result = results.get((workload, i, threads))
            row += [cell(result), accuracy_cell(result)]
        for p in implementations[1:]:
            peer = results.get((workload, p, threads))
            row.append(time_ratio(base, peer))
            both = base and peer and "test_accuracy" in base and "test_accuracy" in peer
            row.append(f"{100 * (base['test_accuracy'] - peer['test_accuracy']):+.2f} points" if both else "—")
        rows.append(row)
    print("W5 end to end: wall time of training 2 epochs over the 60,000 Fashion-MNIST training images (batch 64, Adam lr 1e-3), one run;")
    print("accuracy on the 10,000 test images after them. Ratio = peer / typegrad (above 1: typegrad is faster); typegrad − peer: accuracy difference")
    print_rows(header, rows, 2)


def print_agreements_and_refusals(results):
    agreements = [f"{w}/{i}/{t} {r['label'].split()[-1]}" for (w, i, t), r in sorted(results.items())
                  if i != "typegrad" and r.get("label", "").startswith("agrees")]
    if agreements:
        print("Checked before timing, largest relative difference from typegrad over two steps (losses and gradients; W4: outputs;")
        print("W5: the first step's loss and gradients, the second step's loss):")
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
    print("(each program links only its own implementation: the whole process is the implementation's)")
    header = ["implementation", "steps", "whole process", "at the start of main", "the workload's own"]
    rows = []
    for r in runs:
        mib = lambda kib: f"{kib / 1024:.1f} MiB"
        rows.append([r["name"], str(r["steps"]), mib(r["peak_rss_kib"]), mib(r["baseline_rss_kib"]), mib(r["peak_rss_kib"] - r["baseline_rss_kib"])])
    print_rows(header, rows, 1)
    for r in runs:
        if "interpreter_rss_kib" in r:  # a Python script: its start of main is after importing its libraries
            print(f"({r['name']}: a Python process; 'at the start of main' is after importing torch and numpy, "
                  f"{r['interpreter_rss_kib'] / 1024:.1f} MiB before them)")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    results = read_results(sys.argv[1])
    if print_ratio_table(results):
        print()
    print_end_to_end_table(results)
    print_agreements_and_refusals(results)
    if len(sys.argv) == 3:
        print_peak_memory(sys.argv[2])


if __name__ == "__main__":
    main()
