package gorules

import (
	"math"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"tophash/gomap"
)

// Go 1.19 has no clear builtin and no source form that reaches
// runtime.mapclear for float keys; the runtime function itself is the one
// the harness's clear of a float map stands for, so float maps call it.
//
//go:linkname runtimeMapclear runtime.mapclear
func runtimeMapclear(t unsafe.Pointer, h unsafe.Pointer)

func clearF64(m map[float64]uint64) {
	runtimeMapclear(unsafe.Pointer(gomap.MapTypeOf[float64]()), unsafe.Pointer(gomap.Header(m)))
}

// TestClearIdiomIsMapclear shows that clearU64 is runtime.mapclear: by its
// code (the compiler's assembly of clear.go) and, in the binary these tests
// run in, by its effect (noverflow back to 0, which deletes never do).
func TestClearIdiomIsMapclear(t *testing.T) {
	// The package's own source (clear.go), compiled as go test compiled it.
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "build", "-gcflags=-S", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-S: %v\n%s", err, out)
	}
	asm := map[string]string{}
	name := ""
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "STEXT" {
			name = f[0]
		} else if !strings.HasPrefix(line, "\t") {
			name = ""
		}
		if name != "" {
			asm[name] += line + "\n"
		}
	}
	calls := regexp.MustCompile(`CALL\s+runtime\.(\w+)`)
	called := func(fn string) []string {
		var c []string
		for _, m := range calls.FindAllStringSubmatch(asm[fn], -1) {
			if m[1] != "morestack_noctxt" {
				c = append(c, m[1])
			}
		}
		return c
	}
	if got := called("tophash/go-rules.clearU64"); len(got) != 1 || got[0] != "mapclear" {
		t.Fatalf("clearU64 calls %v, want only runtime.mapclear; assembly:\n%s", got, out)
	}
	if got := called("tophash/go-rules.idiomF64"); strings.Join(got, " ") != "mapiterinit mapdelete mapiternext" {
		t.Fatalf("idiomF64 calls %v, want mapiterinit mapdelete mapiternext; assembly:\n%s", got, out)
	}

	m := make(map[uint64]uint64, 44)
	h := gomap.Header(m)
	mt := gomap.MapTypeOf[uint64]()
	// Nine keys in bucket 0: one overflow bucket.
	for k := uint64(0); h.Noverflow == 0; k++ {
		if gomap.HashOf(mt, k, h.Hash0)&(1<<h.B-1) == 0 {
			m[k] = k
		}
	}
	if h.Growing() {
		t.Fatalf("the map started growing")
	}
	clearU64(m)
	if h.Count != 0 || h.Noverflow != 0 || gomap.BucketAt(h.Buckets, 0).Overflow != nil {
		t.Fatalf("after clearU64: count %d, noverflow %d, bucket 0 overflow %v: deletes, not runtime.mapclear",
			h.Count, h.Noverflow, gomap.BucketAt(h.Buckets, 0).Overflow)
	}

	// The float64 loop is no clear: NaN entries stay; runtime.mapclear
	// removes them.
	f := map[float64]uint64{1: 1, math.NaN(): 2, math.NaN(): 3}
	idiomF64(f)
	if len(f) != 2 {
		t.Fatalf("after the delete loop a float64 map holds %d entries, want its 2 NaN entries", len(f))
	}
	clearF64(f)
	if len(f) != 0 {
		t.Fatalf("after runtime.mapclear a float64 map holds %d entries", len(f))
	}
}
