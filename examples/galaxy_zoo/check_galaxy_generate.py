#!/usr/bin/env python3
"""Checks galaxy_generate end to end: 200 galaxies written and checked through typegrad's HDF5 reader
(galaxy_check: shapes, ranges, sum rules, fractions that follow the morphologies), the same seed giving
the same bytes and another seed other ones, float32 images, the picture, and bad options ending with a
message and a non-zero status."""
import subprocess
import sys
import tempfile
from pathlib import Path

generate, check = sys.argv[1], sys.argv[2]
failures = []


def run(program, *args, expect_status=0, expect_text=None):
    result = subprocess.run([program, *args], capture_output=True, text=True, timeout=250)
    output = result.stdout + result.stderr
    if result.returncode != expect_status or (expect_text and expect_text not in output):
        failures.append(f"{Path(program).name} {' '.join(args)}: status {result.returncode} (expected {expect_status}), "
                        f"expected text {expect_text!r}; output:\n{output[-3000:]}")
    return output


with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    a, b, c, f = tmp / "a.h5", tmp / "b.h5", tmp / "c.h5", tmp / "f.h5"
    print(run(generate, "--count", "200", "--seed", "7", "--out", str(a), "--batch", "64", "--png", str(tmp / "a.png"), "--png-count", "16"))
    print(run(check, str(a), "200"))
    run(generate, "--count", "200", "--seed", "7", "--out", str(b), "--quiet")
    run(generate, "--count", "200", "--seed", "8", "--out", str(c), "--quiet")
    if a.read_bytes() != b.read_bytes():
        failures.append("the same seed gave different files (a different batch size must not matter either)")
    if a.read_bytes() == c.read_bytes():
        failures.append("seeds 7 and 8 gave the same file")
    # 12 KiB of uint8 per image, and the file holds little else.
    size = a.stat().st_size
    if not 200 * 12288 <= size <= 200 * 12288 * 1.1 + 200_000:
        failures.append(f"a.h5 is {size} bytes for 200 uint8 images of 12288 bytes")
    png = tmp / "a.png"
    if not png.exists() or png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n" or png.stat().st_size < 20_000:
        failures.append("the picture a.png was not drawn")
    run(generate, "--count", "120", "--seed", "7", "--out", str(f), "--float", "--quiet")
    run(check, str(f), "120")
    run(check, str(f), "121", expect_status=1, expect_text="the file holds 120 galaxies, expected 121")
    run(generate, "--count", "10", "--out", str(tmp / "missing" / "x.h5"), expect_status=1, expect_text=str(tmp / "missing" / "x.h5"))
    run(generate, "--count", "0", expect_status=105, expect_text="--count")
    run(check, str(tmp / "none.h5"), expect_status=1, expect_text="none.h5: no such file")

for failure in failures:
    print("FAILED:", failure)
sys.exit(1 if failures else 0)
