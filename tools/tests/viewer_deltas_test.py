#!/usr/bin/env python3
"""The layout viewer's data, replayed step by step as the page does
(tools/viewer/viewer.js: apply), gives at every `dump` op the layout the
replayer prints there. The trace grows a map well past the size from which
the viewer records only the buckets an op can have changed
(tools/viewer/viewer_run.h), through doubling growths with iterators open,
deletes and a clear, so those rules are what is tested.

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

def chain_text(c):
    if c == 0:
        c = [["0" * 16, [None] * 8, [None] * 8]]
    return " -> ".join(" ".join(b[0][i:i + 2] for i in range(0, 16, 2)) + " |" +
                      "".join(" " + (k if k is not None else ".") for k in b[1]) for b in c)

def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--replay", required=True); a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        t, html = os.path.join(d, "t.trace"), os.path.join(d, "t.html")
        open(t, "w").write(trace_text())
        out = subprocess.run([a.replay, t], check=True, capture_output=True, text=True).stdout
        subprocess.run([a.replay, "--html", html, t], check=True, capture_output=True)
        data = json.loads(open(html).read().split('id="data">')[1].split("</script>")[0])
    dumps = [d[:d.index("\nend\n") + 5] for d in out.split("dump B=")[1:]]
    state, checked = {"n": [], "o": [], "h": None}, 0
    for i, step in enumerate(data["steps"]):
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
            print(f"FAIL: step {i + 1}: the viewer's layout differs from the dump", file=sys.stderr)
            return 1
        checked += 1
    if checked != len(dumps) or checked < 15:
        print(f"FAIL: checked {checked} of {len(dumps)} dumps", file=sys.stderr)
        return 1
    print(f"ok: {checked} dumps, B up to {max(s['h'][1] for s in data['steps'] if 'h' in s)}")
    return 0

sys.exit(main())
