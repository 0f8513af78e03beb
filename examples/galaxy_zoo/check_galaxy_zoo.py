#!/usr/bin/env python3
"""Checks the Galaxy Zoo-like job end to end on a small generated set: it generates the file when it is
missing, trains, beats the baseline that predicts the training mean, writes the model, the picture and
the JSON it promises; reading ahead (--prefetch) changes no figure; augmentation runs. Bad files (written
with h5py, as scientists write theirs: wrong image shape, wrong element type, features and targets of
different lengths, a missing dataset, a truncated file, a file that is not HDF5) each end with a message
naming the file and a non-zero status."""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

job, generate = sys.argv[1], sys.argv[2]
failures = []


def run(*args, expect_status=0, expect_text=()):
    result = subprocess.run([job, *args], capture_output=True, text=True, timeout=500)
    output = result.stdout + result.stderr
    missing = [text for text in expect_text if text not in output]
    if result.returncode != expect_status or missing:
        failures.append(f"galaxy_zoo {' '.join(args)}: status {result.returncode} (expected {expect_status}), "
                        f"missing {missing}; output:\n{output[-3000:]}")
    return output


def results(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        failures.append(f"{path}: {error}")
        return {}


with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    data, out = tmp / "galaxies.h5", tmp / "out"
    common = ["--data", str(data), "--batch", "16", "--threads", "2", "--seed", "3"]
    print(run(*common, "--images", "2400", "--epochs", "4", "--out", str(out), "--json", str(tmp / "a.json"),
              expect_text=("generating 2400 galaxies", "test RMSE", "baseline", "Q1's most-voted answer", "smooth")))
    a = results(tmp / "a.json")
    for key in ("test_rmse", "baseline_rmse", "test_accuracy", "train_seconds", "images_per_second", "history"):
        if key not in a:
            failures.append(f"a.json lacks {key}")
    # 0.88 measured on 2026-12-02; the full job (scripts/galaxy, 40,000 images) is measured in the README.
    if a and not a["test_rmse"] < 0.92 * a["baseline_rmse"]:
        failures.append(f"test RMSE {a['test_rmse']} is not below 0.92 x the baseline's {a['baseline_rmse']}")
    if a and len(a["history"]) != 4:
        failures.append(f"the history holds {len(a['history'])} epochs, not 4")
    for name in ("model.safetensors", "test_galaxies.png"):
        if not (out / name).exists():
            failures.append(f"{name} was not written")

    # The same run without reading ahead: the same figures (the file now exists: not generated again).
    output = run(*common, "--epochs", "4", "--prefetch", "0", "--no-plots", "--json", str(tmp / "b.json"))
    if "generating" in output:
        failures.append("the file was generated again")
    b = results(tmp / "b.json")
    if a and b and (a["test_rmse"] != b["test_rmse"] or [e["loss"] for e in a["history"]] != [e["loss"] for e in b["history"]]):
        failures.append(f"--prefetch 0 changed the results: {a.get('test_rmse')} and {b.get('test_rmse')}")
    run(*common, "--epochs", "1", "--augment", "--no-plots", "--limit", "800", expect_text=("test RMSE",))

    try:
        import h5py
        import numpy as np
    except ImportError:
        print("h5py is not installed: the bad files are not checked")
        h5py = None
    if h5py:
        def write(name, images, fractions, **extra):
            path = tmp / name
            with h5py.File(path, "w") as f:
                if images is not None:
                    f["images"] = images
                if fractions is not None:
                    f["fractions"] = fractions
                for key, value in extra.items():
                    f[key] = value
            return path

        fractions = np.full((200, 37), 0.5, dtype=np.float32)
        cases = [
            (write("small.h5", np.zeros((200, 3, 32, 32), np.uint8), fractions), ("small.h5", "(3, 32, 32)", "(3, 64, 64)")),
            (write("gray.h5", np.zeros((200, 64, 64), np.uint8), fractions), ("gray.h5", "(64, 64)", "(3, 64, 64)")),
            (write("int.h5", np.zeros((200, 3, 64, 64), np.int64), fractions), ("int.h5", "images", "int64")),
            (write("short.h5", np.zeros((200, 3, 64, 64), np.uint8), fractions[:150]), ("short.h5", "200", "150")),
            (write("answers.h5", np.zeros((200, 3, 64, 64), np.uint8), fractions[:, :30]), ("answers.h5", "(30)", "(37)")),
            (write("nofractions.h5", np.zeros((200, 3, 64, 64), np.uint8), None), ("nofractions.h5", "fractions")),
        ]
        truncated = tmp / "truncated.h5"
        shutil.copy(data, truncated)
        with open(truncated, "r+b") as f:
            f.truncate(truncated.stat().st_size // 2)
        cases.append((truncated, ("truncated.h5",)))
        text = tmp / "text.h5"
        text.write_text("not an HDF5 file\n")
        cases.append((text, ("text.h5",)))
        for path, expected in cases:
            run("--data", str(path), "--epochs", "1", "--no-plots", expect_status=1, expect_text=expected)

for failure in failures:
    print("FAILED:", failure)
sys.exit(1 if failures else 0)
