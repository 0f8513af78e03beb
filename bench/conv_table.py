#!/usr/bin/env python3
"""The table of bench/conv_kernels' results: per layer, direction and thread count, each variant's
median GFLOP/s (the direct convolution's operations over the median time) and its speed against
today's im2col path (im2col time / variant time), and the FMA peak measured in the same run.

usage: bench/conv_table.py RESULTS.json [variant ...]
RESULTS.json comes from conv_kernels --benchmark_repetitions=N --benchmark_out=RESULTS.json."""
import json
import sys


def main():
    results = json.load(open(sys.argv[1]))
    chosen = sys.argv[2:]
    medians = {}
    for b in results["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"].removesuffix("/real_time")
        medians[name] = (b["real_time"], b.get("GFLOP/s", 0.0) / 1e9)
    peaks = {n.split("/")[1]: g for n, (_, g) in medians.items() if n.startswith("fma_peak/")}
    rows, variants = {}, []
    for name, (time, gflops) in medians.items():
        parts = name.split("/")
        if len(parts) != 4:
            continue
        layer, direction, variant, threads = parts
        rows.setdefault((layer, direction, threads), {})[variant] = (time, gflops)
        if variant not in variants:
            variants.append(variant)
    variants = chosen or variants
    print("FMA peak (GFLOP/s): " + ", ".join(f"{t} thread(s) {g:.0f}" for t, g in sorted(peaks.items())))
    print()
    print("| layer | direction | thr | " + " | ".join(variants) + " |")
    print("|---|---|---|" + "---|" * len(variants))
    order = {"fwd": 0, "bwd_data": 1, "bwd_weights": 2, "bwd": 3, "step": 4}
    for (layer, direction, threads) in sorted(rows, key=lambda k: (k[0], order.get(k[1], 9), k[2])):
        cells = rows[(layer, direction, threads)]
        base = cells.get("im2col", (None,))[0]
        out = []
        for v in variants:
            if v not in cells:
                out.append("—")
                continue
            time, gflops = cells[v]
            ratio = f" ×{base / time:.2f}" if base else ""
            out.append(f"{gflops:.0f}{ratio}")
        print(f"| {layer} | {direction} | {threads} | " + " | ".join(out) + " |")


if __name__ == "__main__":
    main()
