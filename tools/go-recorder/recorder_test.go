package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tophash/gomap"
)

// The traces recorded from Go 1.19 kept in the repository, relative to
// this directory: a copy of the shared ones (map[uint64]uint64), and our
// own recordings (string and float64 keys, tests/traces/recorded).
var traceDirs = []string{"../../tests/traces/go1.19", "../../tests/traces/recorded"}

var (
	hashLine = regexp.MustCompile(`^hash (\S+) 0x[0-9a-fA-F]{16}$`)
	iterLine = regexp.MustCompile(`^iter (\S+) \d+ \d+$`)
	dumpHead = regexp.MustCompile(`^dump B=(\d+) count=(\d+) noverflow=\d+ nevacuate=\d+ growing=[01] samesize=[01]$`)
	// a key: u64 or double literal, string literal, or `.`
	bucket  = `[0-9a-f]{2}( [0-9a-f]{2}){7} \|( ([-0-9a-z.+]+|"(\\.|[^"\\ ])*"|\.)){8}`
	dumpRow = regexp.MustCompile(`^(new|old) \d+: ` + bucket + `( -> ` + bucket + `)*$`)
)

// mask replaces what depends on the runtime's random seeds.
func maskTrace(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if strings.HasPrefix(l, "hash nan ") || strings.HasPrefix(l, "hash -nan ") {
			continue // how many a NaN's evacuations draw depends on the seed too
		}
		l = hashLine.ReplaceAllString(l, "hash $1 H")
		out = append(out, iterLine.ReplaceAllString(l, "iter $1 S O"))
	}
	return out
}

type shape struct {
	other      []string // get/len lines (seed-independent)
	nexts      []string // iterator ID of each next line
	dumpCounts []string // count= of each dump
	dumpB      []string
}

func outputShape(t *testing.T, name string, text string) shape {
	var s shape
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "get ") || strings.HasPrefix(l, "len "):
			s.other = append(s.other, l)
		case strings.HasPrefix(l, "next "):
			s.nexts = append(s.nexts, strings.Fields(l)[1])
		case strings.HasPrefix(l, "dump "):
			m := dumpHead.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("%s: bad dump header %q", name, l)
			}
			s.dumpB = append(s.dumpB, m[1])
			s.dumpCounts = append(s.dumpCounts, m[2])
			for i++; i < len(lines) && lines[i] != "end"; i++ {
				if !dumpRow.MatchString(lines[i]) {
					t.Fatalf("%s: bad dump row %q", name, lines[i])
				}
			}
			if i == len(lines) {
				t.Fatalf("%s: dump without end", name)
			}
		default:
			t.Fatalf("%s: unexpected output line %q", name, l)
		}
	}
	return s
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSharedTraces records the op script of every shared trace again and
// checks that everything that does not depend on the runtime's random seeds
// came out the same: the trace with hashes and iterator starts masked
// (so the keys pinned, and the points where the runtime reseeded), get and
// len outputs, which iterators produced output, the count of each dump,
// and the dump syntax.
// keptTraces lists the .trace files of traceDirs; each folder must hold some.
func keptTraces(t *testing.T) []string {
	var traces []string
	for _, dir := range traceDirs {
		found, _ := filepath.Glob(filepath.Join(dir, "*.trace"))
		if len(found) == 0 {
			t.Fatal("no traces at " + dir)
		}
		traces = append(traces, found...)
	}
	return traces
}

func TestSharedTraces(t *testing.T) {
	if err := gomap.Check(); err != nil {
		t.Fatal(err)
	}
	for _, tr := range keptTraces(t) {
		name := strings.TrimSuffix(filepath.Base(tr), ".trace")
		f, err := os.Open(tr)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := parseScript(f, true)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rec, err := record(ops, true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wantTrace, _ := os.ReadFile(tr)
		want := maskTrace(strings.Split(strings.TrimSuffix(string(wantTrace), "\n"), "\n"))
		got := maskTrace(rec.trace)
		if !equal(want, got) {
			for i := 0; i < len(want) && i < len(got); i++ {
				if want[i] != got[i] {
					t.Errorf("%s: trace line %d: recorded %q, shared %q", name, i+1, got[i], want[i])
					break
				}
			}
			if len(want) != len(got) {
				t.Errorf("%s: trace has %d lines, shared %d", name, len(got), len(want))
			}
			continue
		}
		wantExp, _ := os.ReadFile(strings.TrimSuffix(tr, ".trace") + ".expected")
		ws, gs := outputShape(t, name, string(wantExp)), outputShape(t, name+" (recorded)", rec.exp.String())
		if !equal(ws.other, gs.other) {
			t.Errorf("%s: get/len outputs differ", name)
		}
		if !equal(ws.nexts, gs.nexts) {
			t.Errorf("%s: next outputs differ in number or order", name)
		}
		if !equal(ws.dumpCounts, gs.dumpCounts) {
			t.Errorf("%s: dump counts differ: %v vs %v", name, gs.dumpCounts, ws.dumpCounts)
		}
		sameB := 0
		for i := range ws.dumpB {
			if ws.dumpB[i] == gs.dumpB[i] {
				sameB++
			}
		}
		t.Logf("%s: %d trace lines identical after masking; %d dumps, B the same in %d", name, len(got), len(ws.dumpB), sameB)
	}
}

// TestShapes records a few scripts of every shape and key type, checking
// the map against the pins after every operation, and checks that gen is
// deterministic.
func TestShapes(t *testing.T) {
	for _, keys := range []string{"u64", "string", "double"} {
		seeds := int64(3)
		if keys != "u64" {
			seeds = 1
		}
		for _, sh := range shapeOrder {
			checkShape(t, sh, keys, seeds)
		}
	}
}

func checkShape(t *testing.T, sh, keys string, seeds int64) {
	for seed := int64(1); seed <= seeds; seed++ {
		s1, err := generate(sh, seed, keys)
		if err != nil {
			t.Fatal(err)
		}
		if s2, _ := generate(sh, seed, keys); s1 != s2 {
			t.Fatalf("%s %s %d: gen is not deterministic", keys, sh, seed)
		}
		ops, err := parseScript(strings.NewReader(s1), false)
		if err != nil {
			t.Fatalf("%s %s %d: %v", keys, sh, seed, err)
		}
		if _, err := record(ops, true); err != nil {
			t.Fatalf("%s %s %d: %v", keys, sh, seed, err)
		}
	}
}

func TestRejects(t *testing.T) {
	cases := map[string]string{
		"put 1\n":                  "line 1: put: want 2 argument(s), got 1",
		"len\nhint 3\n":            "line 2: hint is only allowed as the first operation",
		"put 1 2\nnext x\n":        "line 2: next of undeclared iterator",
		"frob\n":                   "line 1: unknown operation",
		"get 18446744073709551616": "line 1: get: bad key",
		"hint 300000\n":            "line 1: hint 300000 makes B=16",
		"put 1 1\nput 2 2\niter a\nnext a\nclear\nnext a\n": "line 6: next a: the iterator was open across the clear",
		"hash 1 0x0000000000000001\n":                       "line 1: hash lines are not accepted",
		"keys string\nput k 1\n":                            "line 2: put: bad key \"k\"",
		"keys string\nput \"k\" 1\n":                        "line 2: put: bad value \"1\"",
		"keys double\nput 0x1p3 1\n":                        "line 2: put: bad key",
		"put 1 1\nkeys string\n":                            "line 2: keys: header lines must come before",
		"keys int\n":                                        "line 1: keys: want",
	}
	for in, want := range cases {
		ops, err := parseScript(strings.NewReader(in), false)
		if err == nil {
			_, err = record(ops, true)
		}
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: got %v, want %q...", in, err, want)
		}
	}
	// Stepping an iterator after a clear is fine when it had not started,
	// had ended, or the map was empty.
	ok := []string{
		"put 1 1\niter a\nclear\nnext a\nnext a\n",
		"put 1 1\niter a\nnext a\nnext a\nclear\nnext a\n",
		"iter a\nnext a\nput 1 1\nclear\nnext a\n",
		"put 1 1\niter a\nnext a\ndel 1\nclear\nnext a\n",
		"keys double\nget nan\ndel -nan\nput -0 1\nput 0 2\n",
		"keys string\nput \"a\\x20\\\"\\\\\" \"1\"\nget \"\"\n",
	}
	for _, in := range ok {
		ops, _ := parseScript(strings.NewReader(in), false)
		if _, err := record(ops, true); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}
