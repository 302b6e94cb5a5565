#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into corpus/<target>/.

The byte format is fuzz/decode.h's: a 4-byte header, then 4-byte
commands OP X Y Z (the opcode tables are in fuzz/decode.cc; keep the
two in step). The seeds reach what random bytes reach slowly: growth,
same-size growth, iteration during growth, clear with open iterators,
reserve and shrink_to_fit with open iterators, NaN and -0 keys.

    corpus/generate.py [--decode FUZZ_DECODE]

With --decode (the fuzz-decode binary), the trace target's corpus also gets
every byte seed printed as a trace, next to the traces recorded from Go.
Check what the seeds reach with `fuzz-decode --stats TARGET corpus/TARGET`.
"""
import argparse
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Opcode of each command in the standard and the iteration-heavy table.
STD = dict(put=0, dele=7, get=9, len=10, clear=11, putrange=12, delrange=13, iter=14, next=15,
           drain=17, close=18, reserve=19, shrink=20, getrange=21, putwide=22, delwide=23)
ITER = dict(put=0, dele=4, get=6, clear=7, putrange=8, delrange=9, iter=10, next=13, drain=19,
            close=21, reserve=22, shrink=23, putwide=24, delwide=25)


class Seed:
    def __init__(self, table, hint=None, tiny=None, seed=1):
        self.t = table
        h0 = 0 if hint is None else 0x80 | (hint // 2)
        h1 = 0 if tiny is None else 1 | ((tiny - 1) << 1)
        self.b = bytearray([h0, h1, seed & 255, seed >> 8])

    def cmd(self, name, x=0, y=0, z=0, it=0):
        if name not in self.t:  # the iteration-heavy table has no len, no get range
            name = "get"
        self.b += bytes([self.t[name] | (it << 5), x & 255, y & 255, z & 255])
        return self

    def put_range(self, start, n, vbase=1):
        while n > 0:
            k = min(n, 64)
            self.cmd("putrange", start, k - 1, vbase)
            start += k
            n -= k
            vbase += 1
        return self

    def del_range(self, start, n, stride=1):
        while n > 0:
            k = min(n, 64)
            self.cmd("delrange", start, k - 1, stride - 1)
            start += k * stride
            n -= k
        return self

    def steps(self, it, n):
        while n > 0:
            k = min(n, 4)
            self.cmd("next", k - 1, it=it)
            n -= k
        return self


def scenarios(table, tiny, k0=0):
    """(name, Seed) pairs for one opcode table; tiny: the hash count to use,
    or None; k0: the first key id of the scenarios that need distinct keys
    (doubles: ids below 10 are NaN, -0 and other specials)."""
    out = []

    def new(**kw):
        kw.setdefault("tiny", tiny)
        return Seed(table, **kw)

    # Fill past several doublings, read back, drain from the middle.
    s = new()
    s.put_range(0, 120).cmd("getrange", 0, 15).cmd("getrange", 100, 15).del_range(0, 60, 2)
    s.cmd("iter", 3, 0x34, 0x12).cmd("drain").cmd("len")
    out.append(("fill_grow", s))

    # An iterator opened before growth and stepped through two growths.
    s = new()
    s.put_range(0, 11).cmd("iter", 5, 3, 0).steps(0, 3)
    s.put_range(11, 20).steps(0, 2).put_range(31, 40).steps(0, 5).cmd("dele", 3).cmd("dele", 40)
    s.steps(0, 6).cmd("drain").cmd("len")
    out.append(("grow_iter", s))

    # Iterators stepped while a growth is in progress: one opened before it,
    # one opened during it (walking old buckets, keeping the keys bound for
    # the bucket it visits).
    s = new()
    s.put_range(k0, 52).cmd("iter", 2, 7, 0).steps(0, 3).cmd("put", k0 + 52, 1).steps(0, 4)
    s.cmd("iter", 5, 2, 0, it=1).steps(1, 4).cmd("put", k0 + 53, 2).steps(0, 4).steps(1, 4)
    s.cmd("dele", k0 + 7).steps(0, 3).steps(1, 3).cmd("put", k0 + 7, 3).steps(1, 3).cmd("drain").cmd("drain", it=1)
    out.append(("iter_during_growth", s))

    # Iterators opened mid-growth (old buckets walked with filtering).
    s = new()
    s.put_range(0, 13).cmd("put", 13, 7).cmd("iter", 1, 0, 0, it=1).steps(1, 2)
    s.cmd("put", 14, 8).cmd("iter", 6, 1, 0, it=2).cmd("put", 15, 9).steps(2, 3).steps(1, 3)
    s.cmd("dele", 2).cmd("dele", 9).steps(1, 4).steps(2, 4).cmd("drain", it=1).cmd("drain", it=2)
    out.append(("iter_mid_growth", s))

    # Tombstone churn: same-size growth once overflow buckets pile up (a
    # map emptied by deletes is reseeded, so each round spreads the keys
    # anew and overflows other buckets).
    s = new()
    for r in range(24):
        s.put_range(k0, 52, vbase=r).del_range(k0, 52)
    s.put_range(0, 30).cmd("iter", 7, 2, 1).steps(0, 3)
    for k in range(30, 200, 20):
        s.put_range(k, 20, vbase=k).del_range(k, 20).steps(0, 1)
    s.cmd("drain").cmd("len")
    out.append(("churn_samesize", s))

    # Wide keys: many distinct keys, deleted in strides.
    s = new()
    for i in range(60):
        s.cmd("putwide", i * 37 % 256, i % 7, i)
    s.cmd("iter", 1, 9, 0).steps(0, 10)
    for i in range(0, 60, 3):
        s.cmd("delwide", i * 37 % 256, i % 7)
    s.steps(0, 10).cmd("drain")
    out.append(("wide_keys", s))

    # A clear with iterators open (golang/go#59411 territory), then reuse.
    s = new()
    s.put_range(0, 40).cmd("iter", 2, 0, 0).steps(0, 5).put_range(40, 30)
    s.cmd("iter", 3, 5, 0, it=1).steps(1, 2).cmd("clear").steps(0, 3).steps(1, 3)
    s.put_range(5, 20).cmd("drain").cmd("drain", it=1).cmd("clear").cmd("len")
    out.append(("clear_iter", s))

    # reserve and shrink_to_fit while iterators are open.
    s = new(hint=20)
    s.put_range(0, 30).cmd("iter", 4, 1, 0).steps(0, 4).cmd("reserve", 200, 0)
    s.steps(0, 4).del_range(0, 25).cmd("shrink").steps(0, 4).cmd("iter", 0, 0, 0, it=1)
    s.cmd("shrink").cmd("drain").cmd("drain", it=1).cmd("reserve", 100, 2).cmd("close", it=1)
    out.append(("reserve_shrink", s))

    # Delete everything (reseed), refill, delete-missing during growth.
    s = new()
    s.put_range(0, 20).del_range(0, 20).put_range(100, 27).cmd("dele", 3).cmd("dele", 4)
    s.cmd("get", 100).cmd("iter", 0, 0, 0).steps(0, 2).del_range(100, 27).steps(0, 2).cmd("len")
    out.append(("drain_refill", s))

    # A hint (B chosen up front) then growth past it.
    s = new(hint=100)
    s.put_range(0, 110).cmd("iter", 0, 0, 0).steps(0, 5).put_range(110, 20).cmd("drain")
    out.append(("hint_grow", s))
    return out


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(bytes(data))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--decode", help="fuzz-decode binary: also write the byte seeds as traces for 'trace'")
    args = ap.parse_args()

    plan = {
        "u64_real": (STD, [None]),
        "u64_tiny": (STD, [1, 3, 8]),
        "string": (STD, [None, 2]),
        "double": (STD, [None, 4]),
        "counted": (STD, [None, 2]),
        "iter": (ITER, [None, 3]),
    }
    for target, (table, tinies) in plan.items():
        for tiny in tinies:
            for name, s in scenarios(table, tiny, 10 if target == "double" else 0):
                write(target, name + ("" if tiny is None else "-tiny%d" % tiny), s.b)

    # Doubles: NaN (ids 2, 3), -0 over +0 (ids 0, 1, 9), infinities, growth with NaNs.
    s = Seed(STD)
    for k in (0, 1, 2, 2, 3, 4, 5, 6, 7, 9):
        s.cmd("put", k, k, 1)
    s.cmd("get", 0).cmd("get", 2).cmd("dele", 2).cmd("iter", 0, 0, 0).steps(0, 3)
    s.put_range(10, 30).cmd("put", 2, 9, 9).steps(0, 4).cmd("dele", 9).cmd("drain").cmd("clear").cmd("len")
    write("double", "nan_zero", s.b)
    s = Seed(STD)
    for _ in range(12):
        s.cmd("put", 2, 1, 0)
    s.cmd("iter", 0, 0, 0).steps(0, 2)
    for _ in range(12):
        s.cmd("put", 3, 2, 0)
    s.cmd("drain").cmd("shrink").cmd("iter", 1, 0, 0, it=1).cmd("drain", it=1)
    write("double", "nan_growth", s.b)

    # The trace target: the traces recorded from Go, and every byte seed as a trace.
    tdir = os.path.join(HERE, "trace")
    os.makedirs(tdir, exist_ok=True)
    go = os.path.join(ROOT, "tests", "traces", "go1.19")
    for f in sorted(os.listdir(go)):
        if f.endswith(".trace"):
            # The first 4 KB (whole lines): libFuzzer's inputs stay short.
            with open(os.path.join(go, f), "rb") as src:
                text = src.read()
            if len(text) > 4096:
                text = text[: text.rindex(b"\n", 0, 4096) + 1]
            with open(os.path.join(tdir, "seed-go-" + f[: -len(".trace")]), "wb") as out:
                out.write(text)
    if args.decode:
        for target in plan:
            d = os.path.join(HERE, target)
            for f in sorted(os.listdir(d)):
                if not f.startswith("seed-"):
                    continue
                text = subprocess.run([args.decode, target, os.path.join(d, f)], check=True,
                                      capture_output=True).stdout
                if len(text) > 6000:  # long seeds would raise the target's -max_len for every input
                    continue
                with open(os.path.join(tdir, "seed-%s-%s" % (target, f[len("seed-"):])), "wb") as out:
                    out.write(text)


if __name__ == "__main__":
    main()
