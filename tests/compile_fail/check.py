#!/usr/bin/env python3
"""Compile-fail test driver for typegrad (Eigen-style twins).

usage: check.py <compiler> <source.cpp> [compiler flags...]

<compiler> is the compiler command; if it contains spaces (e.g. "ccache c++") it is split like a
shell word list. The source is compiled twice with -fsyntax-only:

  1. the twin, as is: it MUST compile cleanly (exit status 0 and no diagnostics at all, warnings
     included), which proves the snippet is otherwise valid, so a typo cannot make the test pass;
  2. with -DTYPEGRAD_EXPECT_FAIL: it MUST fail, and the compiler output must match every regex
     given in the source on a line `// EXPECT-ERROR: <regex>` (Python re syntax, searched in the
     whole output; `.` does not cross lines). At least one such line is required, and at least
     one of them must start with "typegrad: " (with the space): that is the library's message, and it must appear
     on an error line among the first FIRST_LINES lines of the output (the first lines must say
     in words what is wrong).

Exit status 0 on pass, 1 on fail (with the failed step and the first 40 lines of the compiler
output). Extra error lines after the expected one are reported as a note, not a failure.
"""
import os
import re
import shlex
import subprocess
import sys
import time

FIRST_LINES = 15   # the typegrad message must be on an error line among these
SHOWN_LINES = 40   # lines of compiler output shown on failure
TIMEOUT = 300      # seconds per compilation
EXPECT_PREFIX = re.compile(r"^\s*//\s*EXPECT-ERROR:\s?(.*?)\s*$")
ERROR_DIAGNOSTIC = re.compile(r"(?:^|:\s)(?:fatal )?error:")


def say(text=""):
    print(text, flush=True)


def fail(step, why, output=None):
    say(f"FAIL [{step}]: {why}")
    if output is not None:
        lines = output.splitlines()
        say(f"--- first {min(SHOWN_LINES, len(lines))} of {len(lines)} lines of compiler output ---")
        for line in lines[:SHOWN_LINES]:
            say(line)
        if len(lines) > SHOWN_LINES:
            say(f"--- ({len(lines) - SHOWN_LINES} more lines not shown) ---")
        else:
            say("--- end of compiler output ---")
    sys.exit(1)


def compile_once(command, step):
    say("$ " + " ".join(shlex.quote(c) for c in command))
    start = time.monotonic()
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
    except FileNotFoundError as e:
        fail(step, f"cannot run the compiler: {e}")
    except subprocess.TimeoutExpired:
        fail(step, f"the compiler did not finish within {TIMEOUT} s")
    output = done.stdout.decode("utf-8", errors="replace")
    say(f"  exit status {done.returncode}, {len(output.splitlines())} lines of output, {time.monotonic() - start:.2f} s")
    return done.returncode, output


def main(argv):
    if len(argv) < 3:
        say(__doc__.strip().splitlines()[2])
        say("FAIL [usage]: expected a compiler and a source file")
        return 1
    compiler = shlex.split(argv[1]) if any(c.isspace() for c in argv[1]) else [argv[1]]
    source = argv[2]
    flags = argv[3:]
    name = os.path.basename(source)
    say(f"compile-fail check of {name} with {' '.join(compiler)}")

    # ---- step 0: read the expectations ----
    try:
        with open(source, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        fail("read source", f"cannot read {source}: {e}")
    if "TYPEGRAD_EXPECT_FAIL" not in text:
        fail("read source", "the source never tests TYPEGRAD_EXPECT_FAIL, so the twin and the defect would be the same program")
    expectations = []
    for number, line in enumerate(text.splitlines(), 1):
        m = EXPECT_PREFIX.match(line)
        if not m:
            continue
        pattern = m.group(1)
        if not pattern:
            fail("read source", f"line {number}: empty EXPECT-ERROR regex")
        try:
            expectations.append((number, pattern, re.compile(pattern)))
        except re.error as e:
            fail("read source", f"line {number}: invalid EXPECT-ERROR regex '{pattern}': {e}")
    if not expectations:
        fail("read source", "no `// EXPECT-ERROR: <regex>` line: nothing would be checked")
    messages = [e for e in expectations if e[1].startswith("typegrad: ")]
    if not messages:
        fail("read source", "no EXPECT-ERROR regex starts with 'typegrad: ' (the library's message to look for in the first lines)")

    base = compiler + ["-fsyntax-only"] + flags

    # ---- step 1: the twin must compile cleanly ----
    status, output = compile_once(base + [source], "twin")
    if status != 0:
        fail("twin", f"the correct twin does not compile (exit status {status}): the snippet itself is broken", output)
    if output.strip():
        fail("twin", "the correct twin compiles, but not cleanly: the compiler printed diagnostics (warnings?)", output)
    say("  ok: the twin compiles cleanly")

    # ---- step 2: the defect must fail, with the expected diagnostics ----
    status, output = compile_once(base + ["-DTYPEGRAD_EXPECT_FAIL", source], "defect")
    if status == 0:
        fail("defect", "the defective variant (-DTYPEGRAD_EXPECT_FAIL) compiled: the check did not fire", output)
    lines = output.splitlines()
    missing = [(n, p) for n, p, r in expectations if not r.search(output)]
    if missing:
        fail("expectations",
             "the compiler output does not match:\n" + "\n".join(f"  line {n}: EXPECT-ERROR: {p}" for n, p in missing),
             output)
    say(f"  ok: all {len(expectations)} EXPECT-ERROR regexes match")

    for number, pattern, regex in messages:
        where = next((i for i, line in enumerate(lines) if ERROR_DIAGNOSTIC.search(line) and regex.search(line)), None)
        if where is None:
            fail("first lines", f"line {number}: the message '{pattern}' is in the output, but on no error line", output)
        if where >= FIRST_LINES:
            fail("first lines",
                 f"line {number}: the message '{pattern}' first appears on an error line at output line {where + 1}; "
                 f"it must be among the first {FIRST_LINES}",
                 output)
        say(f"  ok: the message '{pattern}' is on output line {where + 1} (limit {FIRST_LINES})")

    errors = [i for i, line in enumerate(lines) if ERROR_DIAGNOSTIC.search(line)]
    if len(errors) > 1:
        say(f"  note: {len(errors)} error diagnostics, not one; the others (follow-on errors?) are on output lines "
            + ", ".join(str(i + 1) for i in errors[1:]) + ":")
        for i in errors[1:]:
            say("    " + lines[i][:300])
    say(f"PASS {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
