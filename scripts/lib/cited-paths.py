#!/usr/bin/env python3
"""Checks that every file of the project that the project cites exists.

    python3 scripts/lib/cited-paths.py [ROOT]

Reads every file git tracks (but test data, corpora and results: their
scripts are read) and
collects the paths it names that look like files of this tree: a path with
a folder part (`fuzz/README.md`, `reference/executor.h`, `scripts/test`)
that starts with one of the tree's top-level folders. Each must exist,
taken from the root or from the citing file's folder. Paths with a
placeholder in them (`$`, `<`, `*`, `{`) are patterns, not citations, and
paths under build/ are outputs; so are names in capitals
(`mutants/NAME.patch`, `fuzz/fuzz_T.cc`) and names cut short (`fuzz/fuzz_`). Exit 0 when all exist, 1 listing each
missing one as `FILE:LINE: PATH`.
"""
import os
import re
import subprocess
import sys

from checks import report

SKIP_PREFIXES = ("corpus/", "results/", "tests/traces/")
TEXT_EXT = (".h", ".hpp", ".cc", ".cpp", ".go", ".py", ".sh", ".md", ".txt", ".yml", ".yaml",
            ".json", ".cmake", ".js", ".html", "")
PLACEHOLDER_RE = re.compile(r"(?!README|RESULTS)[A-Z]{1,8}")
PATH_RE = re.compile(r"(?<![\w./$<{*-])((?:\.\./)?[A-Za-z_.][\w.-]*(?:/[\w.-]+)+)")


def tracked(root):
    out = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True, text=True, check=True)
    return [f for f in out.stdout.splitlines() if not f.startswith(SKIP_PREFIXES) or f.endswith(".py")]


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    files = tracked(root)
    tops = {f.split("/")[0] for f in files if "/" in f}
    missing = []
    for f in files:
        name = os.path.basename(f)
        if os.path.splitext(name)[1] not in TEXT_EXT and name != "CMakeLists.txt":
            continue
        try:
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for n, line in enumerate(lines, 1):
            for m in PATH_RE.finditer(line):
                path = m.group(1).rstrip(".,:;)")
                end = m.end(1)
                if end < len(line) and line[end] in "$<*{":
                    continue
                if path.endswith(("_", "-")) or any(PLACEHOLDER_RE.fullmatch(t) for t in re.split(r"[/._-]", path)):
                    continue
                first = path.split("/")[0]
                if first not in tops or path.startswith("build/"):
                    continue
                here = os.path.join(root, os.path.dirname(f), path)
                if not (os.path.exists(os.path.join(root, path)) or os.path.exists(here)):
                    missing.append(f"{f}:{n}: {path}")
    return report("cited-paths", missing, f"{len(missing)} cited path(s) missing")


if __name__ == "__main__":
    sys.exit(main())
