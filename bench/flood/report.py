#!/usr/bin/env python3
"""The figures of scripts/bench-flood's results file, as Markdown.

    report.py RAW_DIR WORKLOADS MODES SIZES

RAW_DIR holds run.*.txt (lines "cpp|go WORKLOAD MODE N NS_PER_OP", one
per measurement and repetition) and mem.txt (lines "mem cpp|go MODE N B
NOVERFLOW BYTES"). Prints the cost table (medians), the growth of the cost
per 4x keys, and the memory table; exits 1 if the two maps' layouts
(B, overflow buckets) differ, which would mean they did not see the same
hashes.
"""
import glob
import math
import statistics
import sys


def read_times(raw):
    times = {}
    for path in sorted(glob.glob(f"{raw}/run.*.txt")):
        for line in open(path):
            impl, w, mode, n, ns = line.split()
            times.setdefault((impl, w, mode, int(n)), []).append(float(ns))
    return {k: statistics.median(v) for k, v in times.items()}


def growth(t, prev, n, n_prev):
    """Cost growth scaled to a 4x step in keys: 4 is linear per op, 16 quadratic."""
    if prev is None or prev <= 0:
        return None
    return (t / prev) ** (math.log(4) / math.log(n / n_prev))


def fmt(x, digits=2):
    return "" if x is None else f"{x:.{digits}f}"


def cost_table(med, workloads, modes, sizes):
    print("## Cost per operation\n")
    print("Medians of the repetitions, ns per operation (process CPU time). "
          "Growth: the cost's factor per 4x keys (4: linear per operation, as an "
          "all-colliding chain gives; 16: quadratic).\n")
    print("| workload | hashes | keys | BucketMap ns/op | Go ns/op | BucketMap/Go | growth per 4x, BucketMap | growth per 4x, Go |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    ratios, worst = [], []
    for w in workloads:
        for mode in modes:
            prev = None
            for n in sizes:
                c, g = med.get(("cpp", w, mode, n)), med.get(("go", w, mode, n))
                if c is None or g is None:
                    print(f"| {w} | {mode} | {n} | {fmt(c, 1)} | {fmt(g, 1)} | missing | | |")
                    continue
                gc = gg = None
                if prev is not None:
                    gc, gg = growth(c, prev[1], n, prev[0]), growth(g, prev[2], n, prev[0])
                    if gc is not None and gg is not None:
                        worst.append((gc - gg, w, mode, n, gc, gg))
                ratios.append(c / g)
                print(f"| {w} | {mode} | {n} | {c:.1f} | {g:.1f} | {c / g:.2f} | {fmt(gc)} | {fmt(gg)} |")
                prev = (n, c, g)
    return ratios, worst


def summary(ratios, worst):
    print()
    if ratios:
        within = sum(r <= 1.0 for r in ratios)
        print(f"- BucketMap/Go <= 1.00 in {within} of {len(ratios)} rows; "
              f"geometric mean {math.exp(statistics.mean(math.log(r) for r in ratios)):.2f}, "
              f"largest {max(ratios):.2f}.")
    if worst:
        d, w, mode, n, gc, gg = max(worst)
        print(f"- growth per 4x keys: BucketMap's exceeds Go's most at {w}/{mode} up to {n} keys "
              f"({gc:.2f} against {gg:.2f}); largest growth: BucketMap "
              f"{max(x[4] for x in worst):.2f}, Go {max(x[5] for x in worst):.2f}.")
    print()


def memory_table(raw, modes, sizes):
    mem = {}
    for line in open(f"{raw}/mem.txt"):
        _, impl, mode, n, b, nov, size = line.split()
        mem[(impl, mode, int(n))] = (int(b), int(nov), int(size))
    print("## Memory held\n")
    print("Each map as the insert workload builds it: BucketMap's `allocated_bytes()` "
          "and the Go heap's growth across the build (after a collection). B and the "
          "overflow bucket count are read from both maps: equal, as the same hashes "
          "must make them.\n")
    print("| hashes | keys | B | overflow buckets | BucketMap bytes | Go heap bytes | BucketMap/Go | BucketMap bytes per key |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    mismatch = []
    for mode in modes:
        for n in sizes:
            c, g = mem.get(("cpp", mode, n)), mem.get(("go", mode, n))
            if c is None or g is None:
                print(f"| {mode} | {n} | | | | | missing | |")
                mismatch.append(f"{mode}/{n}: missing")
                continue
            if c[:2] != g[:2]:
                mismatch.append(f"{mode}/{n}: BucketMap B {c[0]} overflow {c[1]}, Go B {g[0]} overflow {g[1]}")
            layout = f"{c[0]}" if c[0] == g[0] else f"{c[0]} (Go {g[0]})"
            nov = f"{c[1]}" if c[1] == g[1] else f"{c[1]} (Go {g[1]})"
            ratio = f"{c[2] / g[2]:.2f}" if g[2] > 0 else ""
            print(f"| {mode} | {n} | {layout} | {nov} | {c[2]} | {g[2]} | {ratio} | {c[2] / n:.1f} |")
    print()
    return mismatch


def main():
    raw, workloads, modes, sizes = sys.argv[1:5]
    workloads, modes = workloads.split(","), modes.split(",")
    sizes = [int(s) for s in sizes.split(",")]
    ratios, worst = cost_table(read_times(raw), workloads, modes, sizes)
    summary(ratios, worst)
    mismatch = memory_table(raw, modes, sizes)
    if mismatch:
        print("**The two maps' layouts differ: they did not see the same hashes.**\n")
        for m in mismatch:
            print(f"- {m}")
        sys.exit(1)


if __name__ == "__main__":
    main()
