#!/usr/bin/env python3
"""Merges bench/data_parallel's JSON outputs (one per run: 1 x 1, 1 x 2, 2 x 1) into one file and prints
W5-mpi's table and the transport's figures. Usage: data_parallel_table.py OUT.json RUN.json..."""
import json
import sys

out, runs = sys.argv[1], sys.argv[2:]
benchmarks, context = [], None
for path in runs:
    with open(path) as f:
        data = json.load(f)
    context = context or data["context"]
    benchmarks += data["benchmarks"]
with open(out, "w") as f:
    json.dump({"context": context, "benchmarks": benchmarks}, f, indent=1)

w5 = {b["name"]: b for b in benchmarks if b["name"].startswith("W5-mpi/")}
print("| W5-mpi (2 epochs, global batch 64) | training s | test accuracy | time / 1 process x 2 threads |")
print("|---|---|---|---|")
reference = next((b["train_s"] for n, b in w5.items() if n.endswith("ranks:1/threads:2")), None)
for name in sorted(w5):
    b = w5[name]
    ratio = f"{b['train_s'] / reference:.2f}" if reference else "-"
    print(f"| {name.split('/', 2)[2]} | {b['train_s']:.1f} | {100 * b['test_accuracy']:.2f} % | {ratio} |")
for b in benchmarks:
    if b["name"].startswith("pingpong/"):
        print(f"{b['name']}: {b['real_time']:.2f} {b['time_unit']} a round trip")
    if b["name"] in ("sum/w3_gradient", "allreduce/w3_gradient"):
        print(f"{b['name']} (225,034 floats, {int(b.get('ranks', 2))} ranks): {b['real_time']:.1f} us; ring model {b['model_us']:.1f} us"
              + (f" (alpha {b['alpha_us']:.2f} us, B {b['bandwidth_GBps']:.2f} GB/s)" if "alpha_us" in b else ""))
