#!/usr/bin/env python3
"""scripts/repro on crash files that are not what it expects: empty,
truncated, random binary, far too large; of a byte target, of the trace
target (text) and of the faults target (its own program format). Each is
either refused with a clear reason (exit 2) or rerun and found not to
fail (exit 1, "does not fail"), never a shell error or a traceback; a
faults input is shown as its program, op by op.

    repro_inputs_test.py BUILD   (a fuzz-preset build directory)

Exit 0 when every case holds.
"""
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPRO = os.path.join(ROOT, "scripts", "repro")
failures = []


def repro(build, path, target):
    env = dict(os.environ, TOPHASH_FUZZ_BUILD=build)
    r = subprocess.run([REPRO, "--no-minimize", path, target], capture_output=True, text=True, errors="replace",
                       env=env, timeout=240)
    return r.returncode, r.stdout + r.stderr


# A shell or Python error shows as one of these in the output.
BROKEN = ("Traceback", "syntax error", "unbound variable", "command not found", "No such file or directory")


def refused(build, path, target, reason):
    code, out = repro(build, path, target)
    report(code == 2 and reason in out and not any(b in out for b in BROKEN),
           f"{os.path.basename(path)} ({target}): refused, '{reason}'", out)


def not_failing(build, path, target, also=()):
    code, out = repro(build, path, target)
    ok = code == 1 and ("does not fail" in out or "cannot read" in out) and not any(b in out for b in BROKEN)
    report(ok and all(a in out for a in also), f"{os.path.basename(path)} ({target}): rerun, reported as not failing",
           out)


def report(passed, case, output):
    """One case's line; a failed case also shows the end of repro's output."""
    print(f"{'ok' if passed else 'FAIL'}: {case}")
    if not passed:
        failures.append(case)
        print(output[-3000:])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: repro_inputs_test.py BUILD")
    build = os.path.abspath(sys.argv[1])
    rnd = random.Random(7)
    with tempfile.TemporaryDirectory() as d:
        def write(name, data):
            p = os.path.join(d, name)
            with open(p, "wb") as f:
                f.write(data)
            return p

        empty = write("empty", b"")
        huge = write("huge", bytes(rnd.getrandbits(8) for _ in range(4096)) * 300)
        binary = write("binary", bytes(rnd.getrandbits(8) for _ in range(300)))
        seed = sorted(os.listdir(os.path.join(ROOT, "corpus", "faults")))[0]
        with open(os.path.join(ROOT, "corpus", "faults", seed), "rb") as f:
            truncated = write("truncated", f.read()[:5])
        for target in ("u64_real", "trace", "faults"):
            refused(build, empty, target, "is empty")
            refused(build, huge, target, "not a fuzz input")
        not_failing(build, binary, "u64_real")
        not_failing(build, truncated, "u64_real")
        not_failing(build, binary, "trace")
        program = ("==> the program (faults",)
        not_failing(build, binary, "faults", program)
        not_failing(build, truncated, "faults", ("faults program: hash shape", "op 1:"))
        refused(build, os.path.join(d, "missing"), "faults", "no such file")
    print(f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
