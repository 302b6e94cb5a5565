#!/usr/bin/env python3
"""Tests scripts/minimize against a replayer with one planted failure
(fake_replay.py), whose least reproducer is known, hidden in long traces
with noise of every kind the passes handle: many keys, put/del pairs, other
iterators, a hint, pins, drains, large numbers.

    minimize_test.py [--replay BIN]

With --replay (the real bucketmap-replay), also checks that a trace that
passes is refused (exit 1), as is a --check name it does not fail with.
Exit 0 when every case holds.
"""
import argparse
import os
import random
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MINIMIZE = os.path.join(ROOT, "scripts", "minimize")
FAKE = os.path.join(HERE, "fake_replay.py")

failures = []


def expect(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print(detail)


def noisy_trace(seed, pinned):
    """A long trace that fails (fake_replay's failure) once, near its end."""
    rnd = random.Random(seed)
    ops = ["hint 700"]
    pins = set()

    def pin(k):
        if pinned and k not in pins:
            pins.add(k)
            ops.append("hash %d 0x%016x" % (k, rnd.getrandbits(64)))

    keys = [rnd.randrange(1000, 90000) for _ in range(40)]
    for k in keys[:25]:
        pin(k)
        ops.append("put %d %d" % (k, rnd.randrange(10**6)))
    # Another iterator, closed before anything is deleted.
    ops += ["iter other 913 6", "next other", "next other", "drain other", "close other"]
    for _ in range(60):
        k = rnd.choice(keys)
        pin(k)
        r = rnd.random()
        if r < 0.4:
            ops.append("put %d %d" % (k, rnd.randrange(10**6)))
        elif r < 0.6:
            ops.append("put %d %d" % (k, rnd.randrange(10**6)))
            ops.append("del %d" % k)
        elif r < 0.8:
            ops.append("get %d" % k)
        else:
            ops += ["len", "dump"]
    # The failure: 77777 is present when `it` starts, deleted, then a step.
    pin(77777)
    ops.append("put 77777 123456")
    ops += ["iter it 4242 5", "next it"]
    for k in keys[25:]:
        pin(k)
        ops.append("put %d %d" % (k, rnd.randrange(10**6)))
    ops += ["get 77777", "del 77777", "len", "next it", "next it", "drain it", "put 5 5"]
    header = [] if pinned else ["hashing tiny 8 99"]
    return "".join(l + "\n" for l in header + ops)


def run(args, env_extra=None, stdin=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, MINIMIZE] + args, capture_output=True, text=True, env=env, input=stdin,
                          timeout=300)


def body(text):
    return [l for l in text.splitlines() if l and not l.startswith("#")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replay", help="the real bucketmap-replay, for the cases that need it")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="minimize-test.")
    fake = os.path.join(tmp, "fake-replay")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\nexec %s %s \"$@\"\n" % (sys.executable, FAKE))
    os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)

    cases = [
        ("tiny hash, batch", False, {}),
        ("tiny hash, a process per candidate, a sanitizer's report", False,
         {"FAKE_SANITIZER": "1", "FAKE_NO_BATCH": "1"}),
        ("pinned, batch", True, {}),
    ]
    for name, pinned, env in cases:
        text = noisy_trace(7, pinned)
        path = os.path.join(tmp, "t.trace")
        with open(path, "w") as f:
            f.write(text)
        r = run([path, "--replay", fake, "--time", "240"], env)
        got = body(r.stdout)
        want = ["put 0 1", "iter it 0 0", "next it", "del 0", "next it"]
        if pinned:
            pin = next(l for l in body(text) if l.startswith("hash 77777 "))
            want = ["hash 0 " + pin.split()[2]] + want
        else:
            want = ["hashing tiny 8 99"] + want
        expect(r.returncode == 0 and got == want, "%s: %d ops down to the least reproducer" % (name, len(body(text))),
               "exit %d\ngot:\n%s\nwant:\n%s\nstderr:\n%s" % (r.returncode, "\n".join(got), "\n".join(want), r.stderr))
        expect("keeping the failure '%s'" % ("AddressSanitizer: heap-use-after-free" if env.get("FAKE_SANITIZER")
                                             else "fake: deleted under an open iterator") in r.stderr,
               "%s: names the failure it keeps" % name, r.stderr)

    # --out, and standard input.
    text = noisy_trace(8, False)
    out = os.path.join(tmp, "min.trace")
    r = run(["-", "--replay", fake, "--out", out, "--quiet"], stdin=text)
    expect(r.returncode == 0 and r.stdout == "" and len(body(open(out).read())) == 6,
           "--out writes the trace there; - reads standard input", r.stdout + r.stderr)
    expect("round" not in r.stderr and "->" in r.stderr, "--quiet: only the summary line", r.stderr)

    # --locate: the op at which the trace first fails.
    lines = body(text)
    want_op = next(i + 1 for i in range(len(lines)) if lines[i] == "next it" and "del 77777" in lines[:i]) - 1
    for env in ({}, {"FAKE_SANITIZER": "1", "FAKE_NO_BATCH": "1"}):
        r = run(["-", "--replay", fake, "--locate", "--quiet"], env, stdin=text)
        expect(r.returncode == 0 and r.stdout.strip() == str(want_op),
               "--locate names the failing op (%s)" % ("sanitizer" if env else "check"), r.stdout + r.stderr)

    # The failure kept is the one named.
    r = run(["-", "--replay", fake, "--check", "some other check", "--quiet"], stdin=text)
    expect(r.returncode == 1 and "does not fail with 'some other check'" in r.stderr,
           "--check NAME: a trace failing otherwise is refused", r.stderr)
    # A time box of zero stops at once, with the trace as it was, and says so.
    r = run(["-", "--replay", fake, "--time", "0"], stdin=text)
    expect(r.returncode == 0 and body(r.stdout) == body(text) and "time box reached" in r.stderr,
           "--time 0: the trace unchanged, and said so", r.stderr)

    if args.replay:
        r = run(["-", "--replay", args.replay], stdin="hashing tiny 8 1\nput 1 1\nget 1\n")
        expect(r.returncode == 1 and "does not fail" in r.stderr, "real replayer: a passing trace is refused",
               r.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
