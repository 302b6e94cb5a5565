#!/usr/bin/env python3
"""The figures of a scripts/bench results file, from the raw output of its runs.

    bench/report.py RAW_DIR WORKLOADS SIZES GO_LIKE_HEAP TUNABLES

RAW_DIR holds cpp.<rep>.<workload>.<size>.json (map_bench, Google Benchmark
JSON), heap.<...>.json (map_bench --go-like-heap, BucketMap only, when
GO_LIKE_HEAP is 1), go.<rep>.txt (gomap-bench: "go WORKLOAD SIZE NS WALL"
lines), mem.cpp.txt and mem.go.txt (--memory / -memory). Prints Markdown:
the targets, one table of medians (ns per operation, CPU time) with the
ratios, and the memory per entry.
"""
import glob
import json
import os
import statistics
import sys

IMPLS = ("bucketmap", "go", "absl", "std", "heap")
GO_TARGET = 1.0       # BucketMap / Go, every workload and size
ABSL_HIT_TARGET = 1.3  # BucketMap / absl, the hit workloads only
HIT_WORKLOADS = ("get_hit", "get_hit_seq", "find_hit", "find_hit_seq")
# runtime/map.go's table (Go 1.19, 8-byte keys and values, maximally loaded
# tables): overhead bytes per entry beyond the 16 of key and value, by load.
GO_TABLE = {4.0: 20.77, 4.5: 17.30, 5.0: 14.77, 5.5: 12.94, 6.0: 11.67, 6.5: 10.79}


def read_samples(raw):
    samples = {}  # (workload, size, impl) -> [ns/op]
    for prefix in ("cpp", "heap"):
        for path in glob.glob(os.path.join(raw, prefix + ".*.json")):
            with open(path) as f:
                data = json.load(f)
            for b in data.get("benchmarks", []):
                if b.get("error_occurred"):
                    sys.exit("bench: %s: %s" % (b["name"], b.get("error_message")))
                w, impl, n = b["name"].split("/")
                impl = "heap" if prefix == "heap" else impl
                samples.setdefault((w, int(n), impl), []).append(1e9 / b["items_per_second"])
    for path in glob.glob(os.path.join(raw, "go.*.txt")):
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 5 and p[0] == "go":
                    samples.setdefault((p[1], int(p[2]), "go"), []).append(float(p[3]))
    return samples


def size_name(n):
    return "%dMi" % (n >> 20) if n >= 1 << 20 else "%dKi" % (n >> 10) if n >= 1 << 10 else str(n)


def fmt(v):
    return "-" if v is None else ("%.1f" % v if v < 100 else "%.0f" % v)


def ratio(a, b):
    return a / b if a and b else None


def time_table(samples, workloads, sizes, heap, tunables):
    med = {k: statistics.median(v) for k, v in samples.items()}
    head = ["workload", "size", "BucketMap", "Go 1.19", "absl", "std", "BM/Go", "BM/absl"]
    if heap:
        head += ["BucketMap, Go-like heap", "its BM/Go"]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
    rows = met = hits = hits_met = 0
    for w in workloads:
        for n in sizes:
            m = {i: med.get((w, n, i)) for i in IMPLS}
            bg, ba = ratio(m["bucketmap"], m["go"]), ratio(m["bucketmap"], m["absl"])
            rows += 1
            met += bg is not None and bg <= GO_TARGET
            flag = " *" if bg is not None and bg > GO_TARGET else ""
            aflag = ""
            if w in HIT_WORKLOADS:
                hits += 1
                hits_met += ba is not None and ba <= ABSL_HIT_TARGET
                aflag = " +" if ba is not None and ba > ABSL_HIT_TARGET else ""
            cells = [w, size_name(n)] + [fmt(m[i]) for i in ("bucketmap", "go", "absl", "std")]
            cells += [("-" if bg is None else "%.2f" % bg) + flag, ("-" if ba is None else "%.2f" % ba) + aflag]
            if heap:
                hg = ratio(m["heap"], m["go"])
                cells += [fmt(m["heap"]), "-" if hg is None else "%.2f" % hg]
            out.append("| " + " | ".join(cells) + " |")
    summary = [f"- BucketMap/Go <= {GO_TARGET:.2f}: met in {met} of {rows} rows (`*` marks the others).",
               f"- {', '.join(HIT_WORKLOADS)}: BucketMap/absl <= {ABSL_HIT_TARGET}: met in {hits_met} of {hits} rows (`+` marks the others)."]
    notes = ["ns per operation, CPU time, median of the repetitions; lower is better. The main columns run "
             "with glibc's malloc as it comes (no tunables, no mallopt) and Go's defaults."]
    if heap:
        notes.append("\"BucketMap, Go-like heap\": the same BucketMap runs with `map_bench --go-like-heap` (the C heap "
                     "keeps freed memory, as Go's heap keeps freed spans) and `GLIBC_TUNABLES=" + tunables + "` "
                     "(transparent huge pages, which Go's heap asks for); its BM/Go is that column over Go's. "
                     "Not a target: it shows how much of a gap is the C heap's.")
    return summary, out, notes


def read_lines(path, tag):
    """The lines of `path` whose first word is `tag`, split, by size (the second word)."""
    out = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if p and p[0] == tag:
                out[int(p[1])] = p
    return out


def kib(v):
    return "%.1f KiB" % (v / 1024)


def deleted_table(raw, sizes):
    """What each map holds after every key is deleted."""
    cpp = read_lines(os.path.join(raw, "mem.cpp.txt"), "memdel")
    go = read_lines(os.path.join(raw, "mem.go.txt"), "gomemdel")
    out = ["| size | BucketMap after delete-all | after shrink_to_fit | Go after delete-all (heap) | absl | std |",
           "|---|---:|---:|---:|---:|---:|"]
    for n in sizes:
        if n not in cpp:
            continue
        p, g = cpp[n], go.get(n)
        out.append("| %s | %s | %s | %s | %s | %s |" % (size_name(n), kib(int(p[2])), kib(int(p[3])),
                                                     "-" if g is None else kib(int(g[2])), kib(int(p[4])),
                                                     kib(int(p[5]))))
    return out


def memory_table(raw, sizes):
    gomem = {n: (int(p[2]), int(p[3])) for n, p in read_lines(os.path.join(raw, "mem.go.txt"), "gomem").items()}
    out = ["| size | load | BucketMap allocated_bytes() | overhead | Go map.go table overhead at this load"
           " | Go measured (heap) | absl | std |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    with open(os.path.join(raw, "mem.cpp.txt")) as f:
        for line in f:
            p = line.split()
            if not p or p[0] != "mem" or int(p[1]) not in sizes:
                continue
            n, load, alloc, absl, std = int(p[1]), float(p[2]), int(p[3]), int(p[5]), int(p[6])
            near = min(GO_TABLE, key=lambda l: abs(l - load))
            table = "%.2f" % GO_TABLE[near] + ("" if abs(near - load) < 1e-9 else " (at %.1f)" % near)
            gb = gomem.get(n)
            gos = "-" if gb is None else "%.2f (B=%d)" % (gb[1] / n, gb[0])
            out.append("| %s | %.2f | %.2f | %.2f | %s | %s | %.2f | %.2f |" % (
                size_name(n), load, alloc / n, alloc / n - 16, table, gos, absl / n, std / n))
    return out


def main():
    raw, workloads, sizes, heap, tunables = sys.argv[1:]
    workloads = workloads.split(",")
    sizes = [int(s) for s in sizes.split(",")]
    summary, table, notes = time_table(read_samples(raw), workloads, sizes, heap == "1", tunables)
    print("## Against the targets (bench/README.md)\n")
    print("\n".join(summary) + "\n")
    print("## Time per operation\n")
    print("\n".join(table) + "\n")
    print("\n\n".join(notes) + "\n")
    print("## Memory\n")
    print("u64 keys and values, maps built by the insert workload: bytes per entry (overhead = bytes - 16). "
          "Target: BucketMap holds what the Go map holds (the measured Go column).\n")
    print("\n".join(memory_table(raw, sizes)) + "\n")
    print("After deleting every key (the same maps): Go keeps a map's buckets until the map is dropped, and so "
          "does BucketMap until `shrink_to_fit` rebuilds it; absl keeps its array, std its "
          "bucket array. Go's figure is its heap after a collection.\n")
    print("\n".join(deleted_table(raw, sizes)))


if __name__ == "__main__":
    main()
