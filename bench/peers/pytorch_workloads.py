#!/usr/bin/python3
"""The reference workloads (../shared/workloads.md) as a scientist writes them in PyTorch, in Python:
torch.nn.Sequential, torch.optim.SGD (lr 0.01; W5: torch.optim.Adam, lr 1e-3), nn.MSELoss or
nn.CrossEntropyLoss; W4 under torch.no_grad() with model.eval(). Debian's python3-torch (1.13) and
python3-numpy, run by /usr/bin/python3.

Every implementation starts from the same point: `bench/workloads --export-setup DIR` writes one
safetensors file per workload (bench/setup_export.hpp): its data, typegrad's starting weights under
their PyTorch names, and typegrad's first two steps (losses and every gradient; W4: the output). W5's
images are read here from the Fashion-MNIST files (pixels / 255, file order) and checked against the
CRC-32 of typegrad's. Before a benchmark is timed, its own first two steps are compared with
typegrad's as bench/agreement.cpp does (a loss by |a - b| / |b|, a tensor by max |a_i - b_i| /
max |b_i|, at most the exported tolerance, 1e-4): one that disagrees is refused, with the reason.

Timed as Google Benchmark 1.7 times (bench/workloads, UseRealTime): the iterations of the first
repetition grow until a run lasts --benchmark_min_time (0.5 s), later repetitions run that many, and
the repetitions of all benchmarks are interleaved at random; then mean, median, stddev and cv over the
repetitions. W5 is one run of two epochs on 2 threads, with its test accuracy. Benchmarks are named
W1/pytorch/1 ... and written as Google Benchmark's JSON (--out FILE, or --merge-into an existing
one, e.g. bench/results/latest.json).

Usage:
  pytorch_workloads.py --setup DIR [W1 ...] [--out FILE | --merge-into FILE] [--benchmark_repetitions=N]
                       [--benchmark_min_time=S] [--benchmark_enable_random_interleaving=true|false]
  pytorch_workloads.py --setup DIR --peak-memory [STEPS]
      W3 training on 1 thread for STEPS steps (20) in this process; prints one JSON line as
      bench/peak_memory_main.cpp does (peak_rss_kib: the whole process; baseline_rss_kib: after the
      imports of torch and numpy, the program with its libraries loaded; interpreter_rss_kib: at the
      start of the script, before them).
"""
import resource

INTERPRETER_RSS_KIB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before torch is imported

import argparse  # noqa: E402 (the figure above is taken first)
import ctypes
import datetime
import gzip
import json
import math
import os
import random
import socket
import statistics
import struct
import sys
import time
import zlib

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as error:
    sys.exit(f"pytorch_workloads.py: PyTorch in Python cannot be used ({error}); "
             "it needs the Debian packages python3-torch and python3-numpy, run by /usr/bin/python3")

BASELINE_RSS_KIB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the libraries loaded

IMPLEMENTATION = "pytorch"
WORKLOAD_ORDER = ["W1", "W4", "W2", "W3", "W5"]  # as bench/workloads registers them
TIME_UNIT = {"W1": "us", "W4": "us", "W2": "ms", "W3": "ms", "W5": "s"}
SECONDS_PER_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


# --- the exported setups ---------------------------------------------------------------------------

def read_safetensors(path):
    """(metadata, {name: numpy array}) of a safetensors file (little-endian F32 and F64 only)."""
    with open(path, "rb") as f:
        contents = f.read()
    (header_length,) = struct.unpack("<Q", contents[:8])
    header = json.loads(contents[8:8 + header_length])
    metadata = header.pop("__metadata__", {})
    data = memoryview(contents)[8 + header_length:]
    types = {"F32": "<f4", "F64": "<f8"}
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in types:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, not F32 or F64")
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=types[entry["dtype"]]).reshape(entry["shape"])
    return metadata, tensors


def read_idx(path):
    """An IDX file (gzipped) as a numpy array of its unsigned bytes, shaped as its header says."""
    with gzip.open(path, "rb") as f:
        contents = f.read()
    (magic,) = struct.unpack(">I", contents[:4])
    if magic >> 8 != 0x08:  # unsigned bytes
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (magic {magic:#x})")
    dimensions = magic & 0xFF
    shape = struct.unpack(f">{dimensions}I", contents[4:4 + 4 * dimensions])
    return np.frombuffer(contents, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def crc32_of(array, dtype):
    return zlib.crc32(np.ascontiguousarray(array, dtype=dtype).tobytes())


def fashion_mnist(metadata):
    """W5's training and test images ([n, 1, 28, 28], pixels / 255 in float32, file order) and labels,
    checked against the CRC-32 of typegrad's (bench/setup_export.hpp)."""
    directory = metadata["data"]
    data = {}
    for part, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))
        images = (images.astype(np.float32) / np.float32(255)).reshape(-1, 1, 28, 28)
        labels = labels.astype(np.int32)
        for what, array, dtype in (("images", images, "<f4"), ("labels", labels, "<i4")):
            if str(crc32_of(array, dtype)) != metadata[f"{part}_{what}_crc32"]:
                raise ValueError(f"the Fashion-MNIST {part} {what} read from {directory} differ from typegrad's (CRC-32)")
        data[part] = (images, labels)
    return data


class Setup:
    """One workload's exported setup: its data and starting weights, and typegrad's reference steps."""

    def __init__(self, directory, workload):
        self.workload = workload
        path = os.path.join(directory, f"{workload}.safetensors")
        self.metadata, tensors = read_safetensors(path)
        if self.metadata.get("workload") != workload:
            raise ValueError(f"{path} holds workload {self.metadata.get('workload')}, not {workload}")
        self.batch = int(self.metadata["batch"])
        self.tolerance = float(self.metadata["tolerance"])
        self.parameter_names = self.metadata["parameters"].split(",")
        self.initial = {name: tensors[f"initial/{name}"] for name in self.parameter_names}
        self.reference = []  # [(loss, {tensor name: array})], as bench/agreement.cpp's step_record
        for step in range(1, int(self.metadata["reference_steps"]) + 1):
            prefix = f"step{step}/"
            records = {n[len(prefix):]: t for n, t in tensors.items() if n.startswith(prefix) and n != prefix + "loss"}
            self.reference.append((float(tensors[prefix + "loss"]), records))
        self.test_inputs = self.test_labels = None
        if workload == "W5":
            data = fashion_mnist(self.metadata)
            self.inputs, labels = data["train"]
            self.targets = torch.from_numpy(labels.astype(np.int64))
            self.test_inputs = torch.from_numpy(data["test"][0])
            self.test_labels = torch.from_numpy(data["test"][1].astype(np.int64))
        else:
            self.inputs = tensors["inputs"]
            if "targets" in tensors:
                self.targets = torch.from_numpy(tensors["targets"].copy())
            elif "labels" in tensors:
                self.targets = torch.from_numpy(tensors["labels"].astype(np.int64))
            else:
                self.targets = None
        self.inputs = torch.from_numpy(np.array(self.inputs, dtype=np.float32))
        self.samples = self.inputs.shape[0]
        self.epochs = int(self.metadata.get("epochs", "0"))

    def steps_per_iteration(self):
        """One step, or W5's epochs: each epoch's batches, the last holding the rest (60,000 = 937 x 64 + 32)."""
        return self.epochs * math.ceil(self.samples / self.batch) if self.workload == "W5" else 1


# --- the implementation ----------------------------------------------------------------------------

def network_for(workload):
    if workload in ("W1", "W4"):
        return nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
    if workload == "W2":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
                         nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))


def load_starting_weights(model, setup):
    names = [name for name, _ in model.named_parameters()]
    if names != setup.parameter_names:
        raise ValueError(f"the network's parameters {names} are not typegrad's {setup.parameter_names}")
    state = {}
    for name, parameter in model.named_parameters():
        source = setup.initial[name]
        if tuple(source.shape) != tuple(parameter.shape):
            raise ValueError(f"parameter {name} has shape {list(source.shape)} in the starting weights, {list(parameter.shape)} here")
        state[name] = torch.from_numpy(source.copy())
    model.load_state_dict(state, strict=True)


class OpenBlas:
    """OpenBLAS's thread count, set as bench/peers/libtorch_workloads.cpp sets it (to the benchmark's
    threads), when the process has loaded OpenBLAS (Debian's torch takes its BLAS from it)."""

    def __init__(self):
        self.library = None
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "libopenblas" in line}
        for path in sorted(paths):
            try:
                self.library = ctypes.CDLL(path)
                self.library.openblas_set_num_threads.argtypes = [ctypes.c_int]
                break
            except (OSError, AttributeError):
                self.library = None

    def set_threads(self, threads):
        if self.library is not None:
            self.library.openblas_set_num_threads(threads)


OPENBLAS = None


def set_threads(threads):
    torch.set_num_threads(threads)
    OPENBLAS.set_threads(threads)


class Runner:
    """One workload ready to run on `threads` threads: network built, starting weights and data in place."""

    def __init__(self, setup, threads):
        set_threads(threads)
        self.setup = setup
        self.model = network_for(setup.workload)
        load_starting_weights(self.model, setup)
        self.next_sample = 0
        self.loss = self.output = None
        if setup.workload == "W4":
            self.model.eval()
            return
        self.loss_function = nn.MSELoss() if setup.workload == "W1" else nn.CrossEntropyLoss()
        self.optimizer = (torch.optim.Adam(self.model.parameters(), lr=1e-3) if setup.workload == "W5"
                          else torch.optim.SGD(self.model.parameters(), lr=0.01))

    def next_batch(self):
        """The samples of the next step, in the order of bench/workload.hpp's batch_order: W1-W3 the
        whole (single) batch every step; W5 64 at a time in file order, the rest last, then again."""
        first, samples = self.next_sample, self.setup.samples
        size = min(self.setup.batch, samples - first)
        self.next_sample = 0 if first + size == samples else first + size
        if first == 0 and size == samples:
            return self.setup.inputs, self.setup.targets
        return self.setup.inputs[first:first + size], self.setup.targets[first:first + size]

    def step(self):
        if self.setup.workload == "W4":
            with torch.no_grad():
                self.output = self.model(self.setup.inputs)
            return
        inputs, targets = self.next_batch()
        self.optimizer.zero_grad()
        self.loss = self.loss_function(self.model(inputs), targets)
        self.loss.backward()
        self.optimizer.step()

    def last_step(self):
        """(loss, {name: array}): the step's loss and gradients (W4: 0 and the output), as step_record."""
        if self.setup.workload == "W4":
            return 0.0, {"output": self.output.numpy().copy()}
        return self.loss.item(), {name: p.grad.numpy().copy() for name, p in self.model.named_parameters()}

    def test_accuracy(self):
        self.model.eval()
        correct = 0
        with torch.no_grad():
            for first in range(0, len(self.setup.test_labels), self.setup.batch):
                images = self.setup.test_inputs[first:first + self.setup.batch]
                labels = self.setup.test_labels[first:first + self.setup.batch]
                correct += int((self.model(images).argmax(1) == labels).sum())
        self.model.train()
        return correct / len(self.setup.test_labels)


# --- the agreement check, as bench/agreement.cpp -----------------------------------------------------

def first_two_steps(runner):
    steps = []
    for _ in range(2):
        runner.step()
        steps.append(runner.last_step())
    if runner.setup.workload == "W5":  # the second step's loss only (bench/agreement.hpp says why)
        steps[1] = (steps[1][0], {})
    return steps


def relative_difference(values, reference):
    if np.ndim(reference) == 0:
        difference = abs(float(values) - float(reference))
        return difference if reference == 0 else difference / abs(float(reference))
    values, reference = np.asarray(values, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    largest_difference = float(np.max(np.abs(values - reference))) if reference.size else 0.0
    scale = float(np.max(np.abs(reference))) if reference.size else 0.0
    return largest_difference if scale == 0 else largest_difference / scale


def compare_steps(reference, other):
    """(largest relative difference, where, problem): problem is set if the steps cannot be compared."""
    largest, where = 0.0, ""

    def note(difference, what):
        nonlocal largest, where
        if not difference <= largest:  # NaN wins, so that it is reported
            largest, where = difference, what

    if len(reference) != len(other):
        return largest, where, f"{len(other)} steps recorded, {len(reference)} expected"
    for s, ((reference_loss, reference_tensors), (loss, tensors)) in enumerate(zip(reference, other)):
        step = f"step {s + 1}"
        note(relative_difference(loss, reference_loss), f"loss of {step}")
        if len(tensors) != len(reference_tensors):
            return largest, where, f"{step} has {len(tensors)} tensors, typegrad's {len(reference_tensors)}"
        for name, expected in reference_tensors.items():
            actual = tensors.get(name)
            if actual is None or tuple(actual.shape) != tuple(expected.shape):
                return largest, where, f"{step}: tensor {name} " + ("has another shape" if actual is not None else "is missing")
            what = "output" if name == "output" else f"gradient of {name}"
            note(relative_difference(actual, expected), f"{what} in {step}")
    return largest, where, ""


def check_against_typegrad(name, setup, threads):
    """(refusal or "", largest relative difference)."""
    largest, where, problem = compare_steps(setup.reference, first_two_steps(Runner(setup, threads)))
    if problem:
        return f"{name} cannot be compared with typegrad: {problem}", 0.0
    if not largest <= setup.tolerance:
        return (f"{name} disagrees with typegrad: {where} differs by {largest:.1e} relative "
                f"(tolerance {setup.tolerance:.1e}); not timed"), largest
    return "", largest


# --- timing, as Google Benchmark ---------------------------------------------------------------------

class Benchmark:
    def __init__(self, workload, setup, threads):
        self.setup, self.threads = setup, threads  # setup: None if it could not be read
        self.name = f"{workload}/{IMPLEMENTATION}/{threads}"
        self.unit = TIME_UNIT[workload]
        self.end_to_end = workload == "W5"
        self.iterations = 1  # found by the first repetition, kept by the next ones
        self.times = []  # seconds of wall time per iteration, one per repetition
        self.cpu_times = []  # seconds of the calling thread's CPU time per iteration (Google Benchmark's cpu_time)
        self.refusal, self.agreement = "", 0.0
        self.test_accuracy = None

    def repetition(self, min_time, fixed_iterations):
        """One repetition: a fresh runner (as Google Benchmark calls the benchmark function anew). The
        first repetition grows its iterations as Google Benchmark 1.7 does until a run lasts min_time
        (the runs before are the warm-up); the next ones run that many once."""
        runner = Runner(self.setup, self.threads)
        steps = self.setup.steps_per_iteration()
        first_repetition = not self.times
        if self.end_to_end or fixed_iterations:
            self.iterations = 1 if self.end_to_end else fixed_iterations
        while True:
            start, cpu_start = time.perf_counter(), time.thread_time()
            for _ in range(self.iterations):
                for _ in range(steps):
                    runner.step()
            elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu_start
            if not first_repetition or self.end_to_end or fixed_iterations or elapsed >= min_time or self.iterations >= 1_000_000_000:
                break
            significant = elapsed / min_time > 0.1
            multiplier = min_time * 1.4 / max(elapsed, 1e-9) if significant else 10.0
            self.iterations = min(max(round(multiplier * self.iterations), self.iterations + 1), 1_000_000_000)
        self.times.append(elapsed / self.iterations)
        self.cpu_times.append(cpu / self.iterations)
        if self.end_to_end:
            self.test_accuracy = runner.test_accuracy()  # after the timed loop, not timed

    def entries(self, family_index, aggregates_only):
        """Google Benchmark's JSON entries of this benchmark (real time, as UseRealTime)."""
        common = {"family_index": family_index, "per_family_instance_index": 0, "run_name": f"{self.name}/real_time",
                  "repetitions": len(self.times) or 1, "threads": 1}
        if self.refusal:
            return [dict(common, name=f"{self.name}/real_time", run_type="iteration", repetition_index=0,
                         error_occurred=True, error_message=self.refusal)]
        per_unit = SECONDS_PER_UNIT[self.unit]
        extra = {"label": f"agrees with typegrad to {self.agreement:.1e}"}
        if self.test_accuracy is not None:
            extra["test_accuracy"] = self.test_accuracy
        runs = [dict(common, name=f"{self.name}/real_time", run_type="iteration", repetition_index=i, iterations=self.iterations,
                     real_time=t / per_unit, cpu_time=c / per_unit, time_unit=self.unit, **extra)
                for i, (t, c) in enumerate(zip(self.times, self.cpu_times))]
        if len(self.times) < 2:
            return runs

        def statistics_of(values):
            mean, stddev = statistics.fmean(values), statistics.stdev(values)
            return {"mean": mean / per_unit, "median": statistics.median(values) / per_unit, "stddev": stddev / per_unit,
                    "cv": stddev / mean if mean else 0.0}  # cv: a fraction, as Google Benchmark writes it

        real, cpu = statistics_of(self.times), statistics_of(self.cpu_times)
        aggregated = [dict(common, name=f"{self.name}/real_time_{aggregate}", run_type="aggregate", aggregate_name=aggregate,
                           aggregate_unit="percentage" if aggregate == "cv" else "time", iterations=len(self.times),
                           real_time=real[aggregate], cpu_time=cpu[aggregate], time_unit=self.unit, **extra)
                      for aggregate in ("mean", "median", "stddev", "cv")]
        return aggregated if aggregates_only else runs + aggregated


def google_benchmark_option(value):
    return value.lower() in ("1", "true", "yes", "on")


def run_benchmarks(setup_directory, workloads, options):
    min_time_text = options.benchmark_min_time.rstrip("s")
    fixed_iterations = int(min_time_text[:-1]) if min_time_text.endswith("x") else 0
    min_time = 0.0 if fixed_iterations else float(min_time_text)
    benchmarks = []
    for workload in workloads:
        setup, problem = None, ""
        try:
            setup = Setup(setup_directory, workload)
        except Exception as error:  # noqa: BLE001 (reported as a refusal of the workload's benchmarks)
            problem = f"its setup cannot be used: {error}"
        for threads in ([2] if workload == "W5" else [1, 2]):
            benchmark = Benchmark(workload, setup, threads)
            try:
                if problem:
                    raise ValueError(problem)
                benchmark.refusal, benchmark.agreement = check_against_typegrad(benchmark.name, setup, threads)
            except Exception as error:  # noqa: BLE001 (reported, as bench/workloads reports an exception)
                benchmark.refusal = f"{benchmark.name}: {error}"
            if benchmark.refusal:
                print(f"refused {benchmark.name}: {benchmark.refusal}", file=sys.stderr)
            benchmarks.append(benchmark)
    # W5: one training run, whatever the repetitions (as bench/workloads).
    schedule = [b for b in benchmarks if not b.refusal for _ in range(1 if b.end_to_end else options.benchmark_repetitions)]
    if google_benchmark_option(options.benchmark_enable_random_interleaving):
        random.shuffle(schedule)
    else:
        schedule.sort(key=benchmarks.index)
    for benchmark in schedule:
        benchmark.repetition(min_time, fixed_iterations)
    for benchmark in benchmarks:
        if benchmark.times:
            median = statistics.median(benchmark.times) / SECONDS_PER_UNIT[benchmark.unit]
            accuracy = f", test accuracy {benchmark.test_accuracy:.4f}" if benchmark.test_accuracy is not None else ""
            print(f"{benchmark.name:<16} median {median:.4g} {benchmark.unit} over {len(benchmark.times)} repetition(s) of "
                  f"{benchmark.iterations} iteration(s){accuracy}; agrees with typegrad to {benchmark.agreement:.1e}")
    return benchmarks


def google_benchmark_json(benchmarks, aggregates_only):
    entries = []
    for family_index, benchmark in enumerate(benchmarks):
        entries += benchmark.entries(family_index, aggregates_only)
    context = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "host_name": socket.gethostname(),
               "executable": os.path.abspath(__file__), "num_cpus": os.cpu_count(), "load_avg": list(os.getloadavg()),
               "library_build_type": "release", "torch_version": torch.__version__, "numpy_version": np.__version__,
               "python_version": sys.version.split()[0]}
    return {"context": context, "benchmarks": entries}


def write_json(path, contents):
    temporary = f"{path}.tmp"
    with open(temporary, "w") as f:
        json.dump(contents, f, indent=2)
        f.write("\n")
    os.replace(temporary, path)


def merge_into(path, results):
    """Appends the benchmarks to a Google Benchmark JSON file, replacing this implementation's earlier ones."""
    with open(path) as f:
        existing = json.load(f)
    kept = [b for b in existing.get("benchmarks", []) if b.get("run_name", b.get("name", "")).split("/")[1:2] != [IMPLEMENTATION]]
    offset = 1 + max((b.get("family_index", -1) for b in kept), default=-1)
    for b in results["benchmarks"]:
        b["family_index"] += offset
    existing["benchmarks"] = kept + results["benchmarks"]
    existing.setdefault("context", {})["pytorch_context"] = results["context"]
    write_json(path, existing)


def peak_memory(setup_directory, steps):
    """As bench/peak_memory.cpp: W3 training on 1 thread in this process, one JSON line."""
    runner = Runner(Setup(setup_directory, "W3"), 1)
    for _ in range(steps):
        runner.step()
    print(json.dumps({"name": f"W3/{IMPLEMENTATION}", "threads": 1, "steps": steps,
                      "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "baseline_rss_kib": BASELINE_RSS_KIB, "interpreter_rss_kib": INTERPRETER_RSS_KIB}))


def main():
    global OPENBLAS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="*", help="W1 ... W5 (default: every setup in --setup)")
    parser.add_argument("--setup", required=True, help="the directory of `bench/workloads --export-setup`")
    parser.add_argument("--out", help="write Google Benchmark's JSON here")
    parser.add_argument("--merge-into", help="append the benchmarks to this Google Benchmark JSON file")
    parser.add_argument("--peak-memory", type=int, nargs="?", const=20, help="measure W3's peak memory over this many steps (20)")
    parser.add_argument("--benchmark_repetitions", type=int, default=1)
    parser.add_argument("--benchmark_min_time", default="0.5")
    parser.add_argument("--benchmark_enable_random_interleaving", default="false")
    parser.add_argument("--benchmark_report_aggregates_only", default="false")
    options, ignored = parser.parse_known_args()
    if ignored:
        print(f"pytorch_workloads.py: ignoring {' '.join(ignored)} (Google Benchmark options it does not implement)", file=sys.stderr)

    torch.set_num_interop_threads(1)
    OPENBLAS = OpenBlas()
    if options.peak_memory is not None:
        peak_memory(options.setup, options.peak_memory)
        return
    workloads = options.workloads or [w for w in WORKLOAD_ORDER if os.path.exists(os.path.join(options.setup, f"{w}.safetensors"))]
    unknown = [w for w in workloads if w not in WORKLOAD_ORDER]
    if unknown:
        sys.exit(f"pytorch_workloads.py: no workload named {', '.join(unknown)} (W1, W2, W3, W4 or W5)")
    benchmarks = run_benchmarks(options.setup, sorted(workloads, key=WORKLOAD_ORDER.index), options)
    results = google_benchmark_json(benchmarks, google_benchmark_option(options.benchmark_report_aggregates_only))
    if options.out:
        write_json(options.out, results)
    if options.merge_into:
        merge_into(options.merge_into, results)
    if not options.out and not options.merge_into:
        json.dump(results, sys.stdout, indent=2)
        print()


if __name__ == "__main__":
    main()
