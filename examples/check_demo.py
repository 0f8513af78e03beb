#!/usr/bin/env python3
"""End-to-end check of the main job (examples/fashion_mnist) on a subset of the real Fashion-MNIST:
it trains and saves, --load --evaluate gives the same test accuracy, the summary and the pictures
are written, and bad input ends with a clear message and a non-zero exit, never a crash."""
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DATA = Path("/usr/share/datasets/fashion-mnist")
demo = sys.argv[1]
failures = []


def run(*args, expect_status=0, expect_text=None):
    result = subprocess.run([demo, *args], capture_output=True, text=True, timeout=800)
    output = result.stdout + result.stderr
    if result.returncode != expect_status or (expect_text and expect_text not in output):
        failures.append(f"{' '.join(args)}: status {result.returncode} (expected {expect_status}), "
                        f"expected text {expect_text!r}; output:\n{output[-2000:]}")
    if result.returncode < 0:
        failures.append(f"{' '.join(args)}: killed by signal {-result.returncode}")
    return output


with tempfile.TemporaryDirectory() as tmp:
    out = Path(tmp) / "out"
    report = run("--epochs", "1", "--limit", "6000", "--out", str(out), "--min-accuracy", "0.65", "--grad-report", "--check-finite")
    summary = json.loads((out / "summary.json").read_text())
    for key in ("test_accuracy", "epochs", "train_seconds", "confusion_matrix", "history"):
        if key not in summary:
            failures.append(f"summary.json lacks {key}")
    # Per-layer norms: printed with --grad-report, and in the history, for each of the 8 parameter tensors.
    if "gradient norm" not in report or "10.weight" not in report:
        failures.append(f"--grad-report printed no per-layer norms:\n{report[-2000:]}")
    norms = summary.get("history", [{}])[0].get("norms", [])
    if [n["tensor"] for n in norms] != ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "10.weight", "10.bias"] or \
            not all(n["gradient_norm"] > 0 and n["weight_norm"] > 0 for n in norms):
        failures.append(f"summary.json's history lacks the per-layer norms: {norms}")
    if not (out / "checkpoint.safetensors").exists():
        failures.append("no checkpoint was written to <out>/checkpoint.safetensors")
    # A learning rate of 1 makes Adam's steps blow the gradients up: the warning names the layer and epoch.
    run("--epochs", "1", "--limit", "1000", "--lr", "1.0", "--out", str(Path(tmp) / "exploding"), "--no-plots",
        expect_text="warning: epoch 1: the gradient norm of layer 0.weight is")
    if sum(map(sum, summary.get("confusion_matrix", [[0]]))) != 10000:
        failures.append("the confusion matrix does not count the 10000 test images")
    for picture in ("learning_curve.png", "confusion_matrix.png"):
        data = (out / picture).read_bytes() if (out / picture).exists() else b""
        if not data.startswith(b"\x89PNG"):
            failures.append(f"{picture} is missing or not a PNG")

    again = Path(tmp) / "again"
    run("--load", str(out / "model.safetensors"), "--evaluate", "--out", str(again))
    evaluated = json.loads((again / "summary.json").read_text())
    if evaluated["test_accuracy"] != summary["test_accuracy"]:
        failures.append(f"--evaluate gives {evaluated['test_accuracy']}, training gave {summary['test_accuracy']}")

    # Bad input.
    run("--data", str(Path(tmp) / "nowhere"), expect_status=1, expect_text="nowhere: no such directory")
    run("--epochs", "0", expect_status=105, expect_text="--epochs")
    run("--evaluate", expect_status=107, expect_text="--evaluate requires --load")
    run("--resume", str(out / "model.safetensors"), "--out", str(Path(tmp) / "resumed"), expect_status=1,
        expect_text="model.safetensors: not a typegrad checkpoint")
    broken = Path(tmp) / "broken"
    broken.mkdir()
    for name in DATA.glob("*.gz"):
        shutil.copy(name, broken / name.name)
    raw = gzip.decompress((DATA / "t10k-images-idx3-ubyte.gz").read_bytes())
    (broken / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw[:5000]))
    run("--data", str(broken), "--evaluate", "--load", str(out / "model.safetensors"), expect_status=1,
        expect_text="t10k-images-idx3-ubyte.gz: truncated")
    (broken / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw[:4] + (9999).to_bytes(4, "big") + raw[8:16 + 784 * 9999]))
    run("--data", str(broken), "--evaluate", "--load", str(out / "model.safetensors"), expect_status=1, expect_text="9999")
    garbage = Path(tmp) / "garbage.safetensors"
    garbage.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    run("--load", str(garbage), "--evaluate", expect_status=1, expect_text="garbage.safetensors")

for failure in failures:
    print("FAILED:", failure)
print("demo checks:", "all passed" if not failures else f"{len(failures)} failed")
sys.exit(1 if failures else 0)
