#!/usr/bin/env python3
"""Lists the functions longer than a limit in C++ and Go sources.

    python3 scripts/lib/function-lengths.py [--max N] PATH...

A function's length is counted from the first line of its signature (its
template line included) to its closing brace. Lambdas and local classes
count as part of the function around them. Exit 0 when none is longer
than --max (default 60), 1 when some are (each printed as
`FILE:LINE: NAME is N lines`), 2 on bad usage.

It reads the code as text: comments, string and character literals and
preprocessor lines are blanked, then braces are matched. A brace opens a
function body when the text before it (back to the previous `;`, `{` or
`}`) has a parameter list and is not an initializer; in Go, when that
text starts with `func`.
"""
import argparse
import os
import re
import sys

from checks import report

CPP_EXT = (".h", ".hpp", ".cc", ".cpp")
GO_EXT = (".go",)
SCOPE_RE = re.compile(r"\b(namespace|class|struct|union|enum)\b|extern\s*\"")
TEMPLATE_RE = re.compile(r"^template\s*<[^{;]*?>\s*(?=[\w\[])")
ACCESS_RE = re.compile(r"^\s*(public|private|protected)\s*:")


def blank(text, go):
    """Comments, literals and preprocessor lines become spaces; newlines stay."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and not go:
            j = i
            while j < n and text[j] in " \t":
                j += 1
            if j < n and text[j] == "#":
                while j < n and text[j] != "\n":
                    if text[j] == "\\" and j + 1 < n and text[j + 1] == "\n":
                        out.append(" " * (j - i) + "\n")
                        i = j = j + 2
                        continue
                    j += 1
                out.append(" " * (j - i))
                i = j
                continue
        line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif not go and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'" or (go and c == "`"):
            j = i + 1
            while j < n and text[j] != c and not (c != "`" and text[j] == "\n"):
                j += 2 if text[j] == "\\" and c != "`" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + (c if j - 1 > i else ""))
            i = j
        else:
            out.append(c)
            if c == "\n":
                line_start = True
            i += 1
    return "".join(out)


def is_function(header, go):
    h = ACCESS_RE.sub("", header).strip()
    if go:
        return h.startswith("func")
    h = TEMPLATE_RE.sub("", h)
    if not h or ")" not in h or SCOPE_RE.search(h.split("(")[0]):
        return False
    return not h.rstrip().endswith(("=", ",", "return"))


def name_of(header, go):
    h = " ".join(ACCESS_RE.sub("", header).split())
    if go:
        m = re.match(r"func\s*(\([^)]*\)\s*)?(\w+)", h)
        return m.group(2) if m else "func literal"
    m = re.search(r"([~\w:<>]+)\s*\(", h)
    return m.group(1) if m else h[:40]


def functions(path):
    go = path.endswith(GO_EXT)
    with open(path, encoding="utf-8", errors="replace") as f:
        text = blank(f.read(), go)
    stack = []  # (kind, start line, name, the paren depth outside)
    header_from = 0
    paren = 0  # open parentheses since the innermost brace
    line = 1
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        elif c == "(":
            paren += 1
        elif c == ")":
            paren -= 1
        elif c == "{":
            header = text[header_from:i]
            in_function = any(k == "func" for k, _, _, _ in stack)
            if in_function:
                kind = "inner"
            elif paren > 0:
                kind = "nested"  # a lambda or braced value inside a signature or initializer list
            elif is_function(header, go):
                kind = "func"
            else:
                kind = "scope"
            start = line - header.count("\n") + leading_newlines(header)
            stack.append((kind, start, name_of(header, go) if kind == "func" else "", paren))
            paren = 0
            if not inside_nested(stack):
                header_from = i + 1
        elif c == "}":
            if stack:
                kind, start, name, paren = stack.pop()
                if kind == "func":
                    yield start, line - start + 1, name
            if not inside_nested(stack) and kind != "nested":
                header_from = i + 1
        elif c == ";" and paren == 0 and not inside_nested(stack):
            header_from = i + 1


def inside_nested(stack):
    return any(k == "nested" for k, _, _, _ in stack)


def leading_newlines(header):
    """Newlines before the signature's first line (access specifiers skipped)."""
    body = ACCESS_RE.sub(lambda m: " " * len(m.group(0)), header.lstrip("\n \t"))
    skipped = len(header) - len(header.lstrip("\n \t"))
    first = len(body) - len(body.lstrip())
    return header[:skipped].count("\n") + body[:first].count("\n")


def sources(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "build")
            for f in sorted(files):
                if f.endswith(CPP_EXT + GO_EXT):
                    yield os.path.join(root, f)


def main():
    ap = argparse.ArgumentParser(description="Lists functions longer than --max lines.")
    ap.add_argument("--max", type=int, default=60)
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        print("function-lengths: no such file or folder: " + ", ".join(missing), file=sys.stderr)
        return 2
    long = []
    for path in sources(args.paths):
        for start, length, name in functions(path):
            if length > args.max:
                long.append(f"{path}:{start}: {name} is {length} lines")
    return report("function-lengths", long, f"{len(long)} function(s) longer than {args.max} lines")


if __name__ == "__main__":
    sys.exit(main())
