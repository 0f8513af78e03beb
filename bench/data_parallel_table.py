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

import re
# "W5-mpi/typegrad/ranks:2/threads:1/iterations:1/real_time" -> "2 ranks x 1 thread(s)"
def setting(name):
    ranks, threads = re.search(r"ranks:(\d+)/threads:(\d+)", name).groups()
    return f"{ranks} rank(s) x {threads} thread(s)"
w5 = {setting(b["name"]): b for b in benchmarks if b["name"].startswith("W5-mpi/")}
print("| W5-mpi (2 epochs, global batch 64) | training s | test accuracy | time / 1 process x 2 threads |")
print("|---|---|---|---|")
reference = w5.get("1 rank(s) x 2 thread(s)", {}).get("train_s")
for name in sorted(w5):
    b = w5[name]
    ratio = f"{b['train_s'] / reference:.2f}" if reference else "-"
    print(f"| {name} | {b['train_s']:.1f} | {100 * b['test_accuracy']:.2f} % | {ratio} |")
for b in benchmarks:
    if b["name"].startswith("pingpong/"):
        print(f"ping-pong of {b['name'].split('/')[1]} bytes: {b['real_time']:.0f} {b['time_unit']} a round trip")
    if b["name"].startswith(("sum/w3_gradient", "allreduce/w3_gradient")):
        print(f"{b['name'].split('/iterations')[0]} (225,034 floats, {int(b.get('ranks', 2))} ranks): {b['real_time']:.1f} us; ring model {b['model_us']:.1f} us"
              + (f" (alpha {b['alpha_us']:.2f} us, B {b['bandwidth_GBps']:.2f} GB/s)" if "alpha_us" in b else ""))
