#!/usr/bin/env python3
"""The layout viewer's data, replayed step by step as the page does
(tools/viewer/viewer.js: apply), gives at every `dump` op the layout the
replayer prints there (the current map's). Two traces grow a map well past
the size from which the viewer records only the buckets an op can have
changed (tools/viewer/viewer_run.h), through doubling growths with
iterators open, so those rules are what is tested: one with puts, deletes
and a clear; one with the C++ API and several maps (the insert family, the
lookups, erase_if, del_at, copy, use, swap and move), where copy, swap,
erase_if and del_at must each come at least once in the middle of a
growth of a large map.

  viewer_deltas_test.py --replay BUCKETMAP_REPLAY
"""
import argparse, json, random, subprocess, sys, tempfile, os

def trace_text():
    r, keys, lines = random.Random(7), [], ["hashing real 5", "iter a 3 5"]
    for i in range(30000):
        x = r.random()
        if x < 0.7 or not keys:
            k = r.randrange(1 << 30); keys.append(k); lines.append(f"put {k} {i}")
        elif x < 0.9:
            lines.append(f"del {keys.pop(r.randrange(len(keys)))}")
        else:
            lines.append("next a")
        if i % 1500 == 1499:
            lines.append("dump")
        if i == 20000:
            lines += ["clear", "dump", "iter a 9 1"]
    return "\n".join(lines) + "\n"

def api_trace_text():
    r, keys, lines = random.Random(11), [], ["hashing real 5", "iter a 3 5"]
    cheap = [["copy 1", "dump"], ["next a", "del_at a", "dump"]]
    # Less often: erase_if ends a growth; switching the map drawn rewrites
    # the page's arrays whole.
    switching = [["swap 2", "dump", "swap 2", "dump", "iter a 3 5"],
                 ["erase_if values {lo} {hi}", "dump"],
                 ["use 1", "put 1 1", "del 1", "dump", "use 0"],
                 ["swap 2", "dump", "swap 2", "dump", "iter a 3 5"],
                 ["move 3", "dump", "use 3", "dump", "move 0", "use 0", "dump", "iter a 5 2"]]
    for i in range(36000):
        x = r.random()
        if x < 0.6 or not keys:
            k = r.randrange(1 << 30); keys.append(k)
            lines.append(f"{r.choice(['put', 'try_emplace', 'insert_or_assign'])} {k} {i}")
        elif x < 0.62:
            k = r.randrange(1 << 30); keys.append(k); lines.append(f"index {k}")
        elif x < 0.75:
            lines.append(f"del {keys.pop(r.randrange(len(keys)))}")
        elif x < 0.82:
            lines.append(f"{r.choice(['at', 'find', 'count', 'contains'])} {r.choice(keys + [7])}")
        elif x < 0.95:
            lines.append("next a")
        else:
            lines.append("del_at a")
        if i % 2000 == 1999:
            lines.append("dump")
        if i % 61 == 60:  # often enough to come in the middle of growths
            k = i // 61
            seq = switching[(k // 5) % len(switching)] if k % 5 == 4 else cheap[k % len(cheap)]
            lines += [x.format(lo=i - 100, hi=i - 90) for x in seq]
    return "\n".join(lines) + "\n"

def chain_text(c):
    if c == 0:
        c = [["0" * 16, [None] * 8, [None] * 8]]
    return " -> ".join(" ".join(b[0][i:i + 2] for i in range(0, 16, 2)) + " |" +
                      "".join(" " + (k if k is not None else ".") for k in b[1]) for b in c)

def check(replay, text, name, mid_growth):
    with tempfile.TemporaryDirectory() as d:
        t, html = os.path.join(d, "t.trace"), os.path.join(d, "t.html")
        open(t, "w").write(text)
        out = subprocess.run([replay, t], check=True, capture_output=True, text=True).stdout
        subprocess.run([replay, "--html", html, t], check=True, capture_output=True)
        data = json.loads(open(html).read().split('id="data">')[1].split("</script>")[0])
    if data["verdict"]["outcome"] != "passed" or len(data["steps"]) != data["total"]:
        print(f"FAIL: {name}: the page's run did not pass every op: {data['verdict']}", file=sys.stderr)
        return False
    dumps = [d[:d.index("\nend\n") + 5] for d in out.split("dump B=")[1:]]
    state, checked, seen = {"n": [], "o": [], "h": None}, 0, set()
    for i, step in enumerate(data["steps"]):
        h0 = state["h"]
        if h0 and h0[5] and h0[1] >= 10:
            seen.add(data["ops"][i].split(" ")[0])  # ops that came mid-growth of a large map
        for c in step["d"]:
            if len(c) == 2: state[c[0]] = [0] * c[1]
            else: state[c[0]][c[1]] = c[2]
        if "h" in step: state["h"] = step["h"]
        if data["ops"][i] != "dump":
            continue
        h = state["h"]
        got = (f"{h[1]} count={h[0]} noverflow={h[3]} nevacuate={h[4]} growing={h[5]} samesize={h[6]}\n" +
               "".join(f"new {j}: {chain_text(c)}\n" for j, c in enumerate(state["n"])) +
               "".join(f"old {j}: {chain_text(c)}\n" for j, c in enumerate(state["o"])) + "end\n")
        if got != dumps[checked]:
            print(f"FAIL: {name}: step {i + 1}: the viewer's layout (map m{h[8]}) differs from the dump", file=sys.stderr)
            return False
        checked += 1
    if checked != len(dumps) or checked < 15:
        print(f"FAIL: {name}: checked {checked} of {len(dumps)} dumps", file=sys.stderr)
        return False
    if not set(mid_growth) <= seen:
        print(f"FAIL: {name}: never in the middle of a growth: {sorted(set(mid_growth) - seen)}", file=sys.stderr)
        return False
    maps = sorted({s["h"][8] for s in data["steps"] if "h" in s})
    print(f"ok: {name}: {checked} dumps, B up to {max(s['h'][1] for s in data['steps'] if 'h' in s)}, maps drawn {maps}")
    return True

def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--replay", required=True); a = ap.parse_args()
    ok = check(a.replay, trace_text(), "puts and deletes", [])
    ok = check(a.replay, api_trace_text(), "the C++ API and several maps", ["copy", "swap", "erase_if", "del_at"]) and ok
    return 0 if ok else 1

sys.exit(main())
