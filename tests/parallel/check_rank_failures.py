#!/usr/bin/env python3
"""A data-parallel job that goes wrong ends, on every rank, within 60 s (never a hang):
a rank that throws ends the job with a message naming it; a rank killed with SIGKILL ends the job;
SIGTERM to mpirun or to one rank stops every rank at the same step and writes the checkpoint.
Usage: check_rank_failures.py <mpirun> <rank_failures program> <ranks>"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

mpirun, program, ranks = sys.argv[1], sys.argv[2], int(sys.argv[3])
LIMIT = 60
failures = []


def launch(mode, directory):
    command = [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(ranks), program, mode, directory]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_ready(job):
    """The ranks' process ids, once rank 0 says it has taken a step."""
    pids = {}
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline:
        line = job.stdout.readline()
        if not line:
            break
        match = re.match(r"rank (\d+) pid (\d+)", line)
        if match:
            pids[int(match.group(1))] = int(match.group(2))
        if line.strip() == "ready" and len(pids) == ranks:
            return pids
    return None


def finish(job, what):
    """The exit status, stdout and stderr of the job, or a failure if it outlives the limit."""
    start = time.monotonic()
    try:
        out, err = job.communicate(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        os.killpg(job.pid, signal.SIGKILL)
        out, err = job.communicate()
        failures.append(f"{what}: the job still ran after {LIMIT} s (a hang)")
        return None, out, err
    print(f"{what}: ended with status {job.returncode} after {time.monotonic() - start:.1f} s")
    return job.returncode, out, err


with tempfile.TemporaryDirectory() as directory:
    # A rank that throws.
    start = time.monotonic()
    status, out, err = finish(launch("throw", directory), "a rank throws")
    if status is not None:
        if status == 0:
            failures.append("a rank throws: the job ended with status 0")
        if f"typegrad: rank 1 of {ranks}: a bad sample on purpose" not in err:
            failures.append("a rank throws: no message naming rank 1 in:\n" + err[-2000:])

    # A rank killed with SIGKILL.
    job = launch("train", directory)
    pids = wait_for_ready(job)
    if pids is None:
        os.killpg(job.pid, signal.SIGKILL)
        failures.append("SIGKILL: the job never got ready:\n" + job.stderr.read()[-2000:])
    else:
        os.kill(pids[ranks - 1], signal.SIGKILL)
        status, out, err = finish(job, f"rank {ranks - 1} killed")
        if status == 0:
            failures.append("SIGKILL: the job ended with status 0")

    # SIGTERM to mpirun, which forwards it to every rank (and ends with status 1 itself), and SIGTERM
    # to one rank only (as a batch system may deliver it): either way every rank stops at the same
    # step and rank 0 writes the checkpoint; the ranks end with 128 + 15, which mpirun passes on when
    # it was not signalled itself (scripts/demo --ranks forwards signals to the ranks for that).
    for target in ("mpirun", "one rank"):
        checkpoint = os.path.join(directory, "checkpoint.safetensors")
        if os.path.exists(checkpoint):
            os.remove(checkpoint)
        job = launch("train", directory)
        pids = wait_for_ready(job)
        what = f"SIGTERM to {target}"
        if pids is None:
            os.killpg(job.pid, signal.SIGKILL)
            failures.append(f"{what}: the job never got ready:\n" + job.stderr.read()[-2000:])
            continue
        time.sleep(0.5)
        if target == "mpirun":
            job.send_signal(signal.SIGTERM)
        else:
            os.kill(pids[ranks - 1], signal.SIGTERM)
        status, out, err = finish(job, what)
        stops = set(re.findall(r"rank \d+ stopped in epoch (\d+) after batch (\d+)", out))
        if status is None:
            continue
        expected = 128 + signal.SIGTERM
        if (target == "mpirun" and status == 0) or (target == "one rank" and status != expected):
            failures.append(f"{what}: status {status}:\n{out[-1000:]}\n{err[-2000:]}")
        if len(re.findall(r"rank \d+ stopped", out)) != ranks or len(stops) != 1:
            failures.append(f"{what}: the ranks did not all stop at one step:\n{out[-2000:]}")
        if not os.path.exists(checkpoint):
            failures.append(f"{what}: no checkpoint written")

for failure in failures:
    print("FAILED:", failure)
sys.exit(1 if failures else 0)
