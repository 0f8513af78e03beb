#!/usr/bin/env python3
"""Stops the main job (examples/fashion_mnist) with real signals and resumes it: SIGINT while epoch 2
trains, then SIGTERM soon after the resume. Each stop must finish the step, write the checkpoint, say
how to resume and exit with 128 + the signal; the twice-resumed run must end with a model file
byte-identical to an uninterrupted run's (1 thread) and the same history."""
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

demo = sys.argv[1]
common = ["--epochs", "2", "--limit", "2000", "--threads", "1", "--no-plots"]
failures = []


def stop_when(args, line_start, sig, expect, delay=0.0):
    """Runs the demo, sends `sig` `delay` seconds after it prints a line starting with `line_start`;
    returns the output."""
    started = time.monotonic()
    process = subprocess.Popen([demo, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in process.stdout:
        output.append(line)
        if line.startswith(line_start):
            time.sleep(delay)
            process.send_signal(sig)
            break
    output.append(process.stdout.read())
    status = process.wait(timeout=300)
    text = "".join(output)
    print(f"{' '.join(args)}: {sig.name} after {time.monotonic() - started:.1f} s, exit status {status}")
    if status != 128 + sig.value:
        failures.append(f"{sig.name}: exit status {status}, expected {128 + sig.value}; output:\n{text[-3000:]}")
    for part in expect:
        if part not in text:
            failures.append(f"{sig.name}: the output lacks {part!r}:\n{text[-3000:]}")
    return text


with tempfile.TemporaryDirectory() as tmp:
    whole, parts = Path(tmp) / "whole", Path(tmp) / "parts"
    checkpoint = parts / "checkpoint.safetensors"
    started = time.monotonic()
    result = subprocess.run([demo, *common, "--out", str(whole)], capture_output=True, text=True, timeout=300)
    print(f"uninterrupted run: {time.monotonic() - started:.1f} s, exit status {result.returncode}")
    if result.returncode != 0:
        failures.append(f"the uninterrupted run failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")

    # SIGINT while epoch 2 trains (an epoch takes about a second): the run stops within epoch 2.
    text = stop_when([*common, "--out", str(parts)], "epoch   1/2", signal.SIGINT,
                     ["stopped by SIGINT in epoch 2 after batch", f"the run is saved in {checkpoint}", f"--resume {checkpoint}"], delay=0.3)
    if not checkpoint.exists():
        failures.append("SIGINT: no checkpoint was written")
    if (parts / "model.safetensors").exists():
        failures.append("SIGINT: a model file was written by a run that did not finish")
    command = next((l for l in text.splitlines() if l.startswith("to resume: scripts/demo ")), "")
    if "--limit 2000" not in command or "--out" not in command:
        failures.append(f"SIGINT: the resume command does not repeat the run's options: {command!r}")

    # SIGTERM right after resuming: a second stop, from the resumed run's own checkpoint.
    stop_when([*common, "--out", str(parts), "--resume", str(checkpoint)], "resuming from", signal.SIGTERM, ["stopped by SIGTERM", "--resume"])

    started = time.monotonic()
    result = subprocess.run([demo, *common, "--out", str(parts), "--resume", str(checkpoint)], capture_output=True, text=True, timeout=300)
    print(f"resumed run: {time.monotonic() - started:.1f} s, exit status {result.returncode}")
    if result.returncode != 0:
        failures.append(f"the resumed run failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    else:
        same = (whole / "model.safetensors").read_bytes() == (parts / "model.safetensors").read_bytes()
        print("model file of the twice-stopped run:", "byte-identical" if same else "DIFFERENT")
        if not same:
            failures.append("the resumed run's model differs from the uninterrupted run's")
        a, b = (json.loads((d / "summary.json").read_text()) for d in (whole, parts))
        strip = lambda s: [{k: v for k, v in e.items() if k != "seconds"} for e in s["history"]]
        if strip(a) != strip(b):
            failures.append(f"the histories differ:\n{strip(a)}\n{strip(b)}")
        if a["test_accuracy"] != b["test_accuracy"]:
            failures.append(f"test accuracy {b['test_accuracy']} after resuming, {a['test_accuracy']} uninterrupted")

for failure in failures:
    print("FAILED:", failure)
print("resume checks:", "all passed" if not failures else f"{len(failures)} failed")
sys.exit(1 if failures else 0)
