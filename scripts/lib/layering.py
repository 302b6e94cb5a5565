#!/usr/bin/env python3
"""Checks the layering of the tree: who may include whom.

    python3 scripts/lib/layering.py [ROOT]

Each C++ file belongs to its top-level folder (tests/concurrent counts as
its own part). A quoted include is resolved to the part that holds the
file it names; the include is allowed when that part is the file's own or
one the rules below let it use. Exit 0 when every include is allowed, 1
listing each that is not (`FILE:LINE: PART may not include PATH (PART)`),
2 when an include could name more than one file of the tree. An include
of a file the tree does not hold (generated in the build, like the Go
archive's header) is not judged.

The rules, bottom up (README.md, "Where things live"):
  impl         the product: nothing of the harness
  trace        the trace language: impl (keys print as layout dumps print them)
  reference    the model, the oracles, the executor: impl, trace
  concurrent   the linearizability checker and the deterministic
               scheduler with its scenarios: impl
  fuzz         impl, trace, reference, concurrent
  properties   impl, trace, reference, fuzz (its byte format)
  tools        impl, trace, reference
  bench        impl
  tests        anything
"""
import os
import re
import subprocess
import sys

from checks import report

ALLOWED = {
    "impl": set(),
    "trace": {"impl"},
    "reference": {"impl", "trace"},
    "concurrent": {"impl"},
    "fuzz": {"impl", "trace", "reference", "concurrent"},
    "properties": {"impl", "trace", "reference", "fuzz"},
    "tools": {"impl", "trace", "reference"},
    "bench": {"impl"},
    "tests/concurrent": {"impl", "trace", "reference", "concurrent", "tests"},
    "tests": None,  # anything
}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
EXT = (".h", ".hpp", ".cc", ".cpp")


def part_of(path):
    if path.startswith("tests/concurrent/"):
        return "tests/concurrent"
    return path.split("/")[0]


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    out = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True, text=True, check=True)
    files = [f for f in out.stdout.splitlines() if f.endswith(EXT)]
    by_suffix = {}
    for f in files:
        parts = f.split("/")
        for i in range(len(parts)):
            by_suffix.setdefault("/".join(parts[i:]), set()).add(f)
    bad, unknown = [], []
    for f in files:
        me = part_of(f)
        allowed = ALLOWED.get(me, set())
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                name = m.group(1)
                local = os.path.normpath(os.path.join(os.path.dirname(f), name))
                targets = {local} if local in files else by_suffix.get(name, set())
                if len(targets) > 1:  # as the include path would: the file's own part first
                    targets = ({t for t in targets if part_of(t) == me} or
                               {t for t in targets if allowed is None or part_of(t) in allowed} or targets)
                if not targets:
                    continue  # generated in the build (libgorec.h) or external
                if len(targets) != 1:
                    unknown.append(f"{f}:{n}: include \"{name}\" names {len(targets)} files of the tree (which?)")
                    continue
                them = part_of(next(iter(targets)))
                if them == me or allowed is None or them in allowed:
                    continue
                bad.append(f"{f}:{n}: {me} may not include {next(iter(targets))} ({them})")
    return report("layering", bad + unknown, f"{len(bad)} include(s) across the layers, {len(unknown)} unresolved",
                  2 if unknown else 1)


if __name__ == "__main__":
    sys.exit(main())
