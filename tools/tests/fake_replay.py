#!/usr/bin/env python3
"""A stand-in for bucketmap-replay with one planted failure, for testing
scripts/minimize: same command line (--help, --check [--brief] -, --batch),
same exit codes and report lines, and a failure whose smallest reproducer
is known.

The failure: a key present when an iterator starts (its first next or
drain) is deleted, and the iterator then takes another step. The op that
fails is that step. The least trace that shows it is

    put K V / iter ID S O / next ID / del K / next ID

(five ops; with `hashing pinned`, the default, K's pin comes first).

FAKE_SANITIZER=1: the failure is reported as ASan would (exit 1, an
`ERROR: AddressSanitizer: heap-use-after-free` line, no op number).
FAKE_NO_BATCH=1: --help does not offer --batch (a replayer per candidate).
A trace is bad (exit 2) on an unknown op, a hint that is not the first
op, an iterator not declared, or, with pinned hashing, a key used before
its pin.
"""
import os
import sys

OPS = {"hint", "hash", "put", "del", "get", "len", "clear", "iter", "next", "drain", "close", "dump", "reserve",
       "shrink_to_fit"}


class Bad(Exception):
    pass


def verdict(text):
    """None (passes), or the 1-based number of the failing op. Raises Bad."""
    pinned, pins = True, set()
    present = set()
    iters = {}  # id -> None (declared) | the keys present at its start | "ended"
    deleted_under = {}  # id -> whether one of its start keys was deleted since it started
    n = 0
    for line in text.splitlines():
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        if w[0] in ("keys", "hashing"):
            if n:
                raise Bad("header after an op")
            if w[0] == "hashing" and w[1:2] != ["pinned"]:
                pinned = False
            continue
        n += 1
        if w[0] not in OPS:
            raise Bad("unknown operation '%s'" % w[0])
        if w[0] == "hint" and n != 1:
            raise Bad("'hint' must be the first operation")
        if w[0] == "hash":
            pins.add(w[1])
        elif w[0] in ("put", "del", "get"):
            if pinned and w[1] not in pins:
                raise Bad("key %s used before its pin" % w[1])
            if w[0] == "put":
                present.add(w[1])
            elif w[0] == "del":
                present.discard(w[1])
                for it, keys in iters.items():
                    if isinstance(keys, set) and w[1] in keys:
                        deleted_under[it] = True
        elif w[0] == "clear":
            present.clear()
        elif w[0] == "iter":
            iters[w[1]] = None
            deleted_under[w[1]] = False
        elif w[0] in ("next", "drain", "close"):
            if w[1] not in iters:
                raise Bad("iterator %s not declared" % w[1])
            if w[0] == "close" or iters[w[1]] == "ended":
                iters[w[1]] = "ended"
                continue
            if iters[w[1]] is None:
                iters[w[1]] = set(present)
            elif deleted_under[w[1]]:
                return n
            if w[0] == "drain":
                iters[w[1]] = "ended"
    return None


def check(text):
    """(exit status, stderr) of --check."""
    try:
        op = verdict(text)
    except Bad as e:
        return 2, "error: line 1: %s\n" % e
    if op is None:
        return 0, ""
    if os.environ.get("FAKE_SANITIZER"):
        return 1, "==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010\n"
    return 3, "check failed: fake: deleted under an open iterator\nsee op\nat op %d of %d: next\n" % (op, op)


def main():
    args = sys.argv[1:]
    if args == ["--help"]:
        print("usage: fake [--check [--brief]] FILE | -" + ("" if os.environ.get("FAKE_NO_BATCH") else "\n       fake --batch"))
        return 0
    if args == ["--batch"]:
        inp = sys.stdin.buffer
        while True:
            header = inp.readline()
            if not header:
                return 0
            text = inp.read(int(header.split()[1])).decode()
            try:
                op = verdict(text)
            except Bad as e:
                print("error 1 %s" % e, flush=True)
                continue
            print("pass" if op is None else "fail %d fake: deleted under an open iterator" % op, flush=True)
    if args[:1] == ["--check"] and args[-1] == "-":
        status, err = check(sys.stdin.read())
        sys.stderr.write(err)
        return status
    sys.stderr.write("fake: unexpected arguments %s\n" % args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
