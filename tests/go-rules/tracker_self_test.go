package gorules

// The tracker's own tests: it must reject a repeated entry outside the
// oracle's windows and beyond their bounds, not only accept what Go does.
// Go 1.19 does neither in the scenarios of the other tests (they would
// fail), so these drive the tracker with event sequences made by hand: a
// header of its own (no runtime map behind it) whose arrays, B, growth
// state and seed the test sets, and yields the test chooses. Each case is
// one of the oracle's conditions or bounds (reference/iter_oracle.h) taken
// away, or kept, one at a time; tests/oracle_rules_test.cc does the same
// with the oracle.

import (
	"fmt"
	"math"
	"testing"
	"unsafe"

	"tophash/gomap"
)

// fake is a map as the tracker sees it: a header and the tracker's model.
type fake[K comparable] struct {
	t    *testing.T
	h    *gomap.Hmap
	tr   *tracker[K]
	mt   *gomap.Maptype
	gen  func(uint64) K
	next uint64
	val  uint64
}

func newFake[K comparable](t *testing.T, B uint8, gen func(uint64) K) *fake[K] {
	h := &gomap.Hmap{B: B, Hash0: 1}
	h.Buckets = newArray()
	return &fake[K]{t: t, h: h, tr: newTracker[K](h), mt: gomap.MapTypeOf[K](), gen: gen}
}

// newArray is a bucket array's address: the tracker compares it, never
// reads it.
func newArray() unsafe.Pointer { return unsafe.Pointer(new([gomap.BucketSize]byte)) }

func (f *fake[K]) fresh() K {
	for {
		f.next++
		k := f.gen(f.next)
		if id, _ := identity(k); !f.has(id) {
			return k
		}
	}
}

// keyIn is a fresh key whose hash under the current seed, masked with
// mask, is b (in) or is not (!in).
func (f *fake[K]) keyIn(mask uintptr, in bool, b uintptr) K {
	for {
		k := f.fresh()
		if (gomap.HashOf(f.mt, k, f.h.Hash0)&mask == b) == in {
			return k
		}
	}
}

func (f *fake[K]) has(id uint64) bool { _, ok := f.tr.model.get(id); return ok }

func (f *fake[K]) put(k K) {
	if id, nan := identity(k); nan || !f.has(id) {
		f.h.Count++
	}
	f.val++
	f.tr.put(k, f.val)
	f.tr.observe()
}

// putNaN puts a new NaN entry and returns its value (float maps only).
func (f *fake[K]) putNaN() uint64 {
	var nan any = math.NaN()
	f.put(nan.(K))
	return f.val
}

// del deletes k; the delete that empties the map gives it a new seed.
func (f *fake[K]) del(k K) {
	f.h.Count--
	if f.h.Count == 0 {
		f.h.Hash0++
	}
	f.tr.del(k)
	f.tr.observe()
}

// empty deletes every key: a new seed.
func (f *fake[K]) empty() {
	for f.tr.model.len() > 0 {
		f.del(f.tr.model.key(0))
	}
	if len(f.tr.nans) > 0 {
		f.t.Fatalf("a map with NaN entries cannot be emptied")
	}
}

// grow starts a growth (same size or doubling) with the put of a new key.
func (f *fake[K]) grow(same bool) {
	f.h.Oldbuckets, f.h.Buckets = f.h.Buckets, newArray()
	if same {
		f.h.Flags |= gomap.FlagSameSizeGrow
	} else {
		f.h.B++
		f.h.Flags &^= gomap.FlagSameSizeGrow
	}
	f.put(f.fresh())
}

// finish ends the growth under way with an update.
func (f *fake[K]) finish() {
	f.h.Oldbuckets = nil
	f.h.Flags &^= gomap.FlagSameSizeGrow
	if f.tr.model.len() > 0 {
		f.put(f.tr.model.key(0))
	}
}

// clear is runtime.mapclear: the growth dropped, a new seed.
func (f *fake[K]) clear() {
	f.h.Count, f.h.Oldbuckets = 0, nil
	f.h.Flags &^= gomap.FlagSameSizeGrow
	f.h.Hash0++
	f.tr.clear()
	f.tr.observe()
}

// begin opens the loop over a map holding one key, and yields it.
func (f *fake[K]) begin() {
	if f.h.Count == 0 {
		f.put(f.fresh())
	}
	f.tr.begin()
	for _, id := range append([]uint64(nil), f.tr.model.ids()...) {
		f.yield(f.tr.model.e[id].key)
	}
}

// yield has the loop yield k with its current value, n times.
func (f *fake[K]) yield(k K, n ...int) {
	times := 1
	if len(n) > 0 {
		times = n[0]
	}
	id, _ := identity(k)
	e, ok := f.tr.model.get(id)
	if !ok {
		f.t.Fatalf("yield of %v, not in the map", k)
	}
	for i := 0; i < times; i++ {
		f.tr.yield(k, e.val)
	}
}

func (f *fake[K]) yieldNaN(v uint64, times int) {
	var nan any = math.NaN()
	for i := 0; i < times; i++ {
		f.tr.yield(nan.(K), v)
	}
}

// fakeCase is one event sequence and the tracker's verdict on it: every
// repeat accepted in the window named ("R7/R12", "R9", "R10"), or exactly
// one violation, outside every window ("outside") or beyond a bound
// ("beyond N").
type fakeCase struct {
	name string
	want string
	run  func(f *fake[uint64])
}

func u64(i uint64) uint64 { return i * 0x9e3779b97f4a7c15 }

var fakeCases = []fakeCase{
	// R7/R12, R12's part: started while growing, a new seed since.
	{"R12: started growing, reseeded, two yields", "R7/R12", func(f *fake[uint64]) {
		f.grow(true)
		f.begin()
		f.empty()
		x := f.fresh()
		f.put(x)
		f.yield(x, 2)
	}},
	{"R12: started growing, no reseed (a key stays)", "outside", func(f *fake[uint64]) {
		f.grow(true)
		f.begin()
		x := f.fresh()
		f.put(x)
		f.yield(x, 2)
	}},
	{"R12: not started growing, reseeded", "outside", func(f *fake[uint64]) {
		f.begin()
		f.empty()
		x := f.fresh()
		f.put(x)
		f.yield(x, 2)
	}},
	{"R12: no growth since the start: at most 2", "beyond 2", func(f *fake[uint64]) {
		f.grow(false)
		f.begin()
		f.empty()
		x := f.fresh()
		f.put(x)
		f.yield(x, 3)
	}},
	{"R12: one growth since the start: at most 3", "beyond 3", func(f *fake[uint64]) {
		f.grow(false)
		f.begin()
		f.finish()
		f.empty()
		x := f.fresh()
		f.put(x)
		f.grow(true)
		f.yield(x, 4)
	}},
	// R7/R12, R7's part: a step on the stale path, a new seed after the
	// first growth since the start.
	{"R7: stale path, reseeded after growth 1, at most 4", "beyond 4", func(f *fake[uint64]) {
		f.begin()
		f.grow(true)
		f.finish()
		f.empty()
		x := f.fresh()
		f.put(x)
		f.grow(true)
		f.yield(x, 5)
	}},
	{"R7: a step on the stale path, then the growth ends", "R7/R12", func(f *fake[uint64]) {
		f.begin()
		f.grow(true)
		f.finish()
		f.empty()
		x, y := f.fresh(), f.fresh()
		f.put(x)
		f.put(y)
		f.grow(true)
		f.yield(y)
		f.finish()
		f.yield(x, 2)
	}},
	{"R7: reseeded only before growth 1", "outside", func(f *fake[uint64]) {
		f.begin()
		f.empty()
		x, keep := f.fresh(), f.fresh()
		f.put(x)
		f.put(keep)
		f.grow(true)
		f.finish()
		f.del(x)
		f.put(x)
		f.grow(true)
		f.yield(x, 2)
	}},
	{"R7: growth 2 ends before the next step", "outside", func(f *fake[uint64]) {
		f.begin()
		f.grow(true)
		f.finish()
		f.empty()
		x := f.fresh()
		f.put(x)
		f.grow(true)
		f.finish()
		f.yield(x, 2)
	}},
	{"R7: growth 2 doubles (B is not the loop's)", "outside", func(f *fake[uint64]) {
		f.begin()
		f.grow(true)
		f.finish()
		f.empty()
		x := f.fresh()
		f.put(x)
		f.grow(false)
		f.yield(x, 2)
	}},
	{"R7: one growth only", "outside", func(f *fake[uint64]) {
		f.begin()
		f.grow(true)
		f.empty()
		x := f.fresh()
		f.put(x)
		f.yield(x, 2)
	}},
	// R7/R12 with R10's window open: one more.
	{"R12 and R10: at most 3", "beyond 3", func(f *fake[uint64]) {
		f.h.B = 4
		f.grow(true)
		f.begin()
		f.clear()
		x := f.keyIn(15, false, 0)
		f.put(x)
		f.yield(x, 4)
	}},
	// R9 alone: once more.
	{"R9: started doubling, a same-size growth since", "R9", func(f *fake[uint64]) {
		f.grow(false)
		f.begin()
		f.finish()
		f.grow(true)
		x := f.fresh()
		f.put(x)
		f.yield(x, 2)
	}},
	{"R9: a third yield", "beyond 2", func(f *fake[uint64]) {
		f.grow(false)
		f.begin()
		f.finish()
		f.grow(true)
		x := f.fresh()
		f.put(x)
		f.yield(x, 3)
	}},
	// R10 alone: once more, in bucket 0 unless reseeded after the clear.
	{"R10: bucket 0", "R10", func(f *fake[uint64]) {
		f.h.B = 4
		f.begin()
		f.clear()
		x := f.keyIn(15, true, 0)
		f.put(x)
		f.yield(x, 2)
	}},
	{"R10: a third yield", "beyond 2", func(f *fake[uint64]) {
		f.h.B = 4
		f.begin()
		f.clear()
		x := f.keyIn(15, true, 0)
		f.put(x)
		f.yield(x, 3)
	}},
	{"R10: outside bucket 0 (the clear's own reseed moves nothing)", "outside", func(f *fake[uint64]) {
		f.h.B = 4
		f.begin()
		f.clear()
		x := f.keyIn(15, false, 0)
		f.put(x)
		f.yield(x, 2)
	}},
	{"R10: outside bucket 0 after a later reseed", "R10", func(f *fake[uint64]) {
		f.h.B = 4
		f.begin()
		f.clear()
		f.put(f.fresh())
		f.empty()
		x := f.keyIn(15, false, 0)
		f.put(x)
		f.yield(x, 2)
	}},
	{"R10: a growth before the clear", "outside", func(f *fake[uint64]) {
		f.h.B = 4
		f.begin()
		f.grow(false)
		f.finish()
		f.clear()
		x := f.keyIn(15, true, 0)
		f.put(x)
		f.yield(x, 2)
	}},
	{"R10: B < 4", "outside", func(f *fake[uint64]) {
		f.h.B = 3
		f.begin()
		f.clear()
		x := f.keyIn(7, true, 0)
		f.put(x)
		f.yield(x, 2)
	}},
}

func (c fakeCase) check(t *testing.T, tr *tracker[uint64]) {
	t.Helper()
	var outside, beyond []violation
	for _, v := range tr.viol {
		switch {
		case v.yields < 2:
			t.Errorf("%s: unexpected %s: %s", c.name, v.rule, v.msg)
		case v.most == 0:
			outside = append(outside, v)
		default:
			beyond = append(beyond, v)
		}
	}
	accepted := map[string]int{"R7/R12": tr.c.staleCopy, "R9": tr.c.filterDouble, "R10": tr.c.clearDouble}
	var most int
	switch _, err := fmt.Sscanf(c.want, "beyond %d", &most); {
	case c.want == "outside":
		if len(outside) != 1 || len(beyond) != 0 {
			t.Errorf("%s: %d violations outside every window, %d beyond a bound; want one outside", c.name, len(outside), len(beyond))
		}
	case err == nil:
		if len(beyond) != 1 || len(outside) != 0 || beyond[0].most != most || beyond[0].yields != most+1 {
			t.Errorf("%s: violations beyond a bound %v, outside every window %d; want one, %d yields beyond %d",
				c.name, beyond, len(outside), most+1, most)
		}
	default:
		if len(tr.viol) != 0 {
			t.Errorf("%s: %d violations, want every repeat accepted in %s: %v", c.name, len(tr.viol), c.want, tr.viol)
		}
		for w, n := range accepted {
			if (w == c.want) != (n > 0) {
				t.Errorf("%s: %d repeats accepted in %s; want every repeat in %s", c.name, n, w, c.want)
			}
		}
	}
	if (c.want == "R7/R12" && !tr.c.marginSet) || (tr.c.marginSet && tr.c.margin < 0) {
		t.Errorf("%s: margin to the bound %d (seen %v)", c.name, tr.c.margin, tr.c.marginSet)
	}
}

func TestTrackerWindowsAndBounds(t *testing.T) {
	for _, c := range fakeCases {
		f := newFake(t, 3, u64)
		c.run(f)
		f.tr.end()
		c.check(t, f.tr)
		t.Logf("%-62s %-9s %v", c.name, c.want, f.tr.c.maxLife)
	}
}

// NaN entries: R9 and R10 repeat them once; R7/R12's window is for keys
// (a NaN entry is never looked up in the live map).
func TestTrackerNaNRepeats(t *testing.T) {
	f := newFake(t, 3, func(i uint64) float64 { return float64(i) })
	f.grow(false)
	f.begin()
	f.finish()
	f.grow(true)
	v := f.putNaN()
	f.yieldNaN(v, 3)
	f.tr.end()
	if len(f.tr.viol) != 1 || f.tr.viol[0].most != 2 || f.tr.c.nanDouble != 1 {
		t.Errorf("R9: a NaN entry yielded three times: violations %v, accepted %d; want the third one beyond 2",
			f.tr.viol, f.tr.c.nanDouble)
	}

	f = newFake(t, 3, func(i uint64) float64 { return float64(i) })
	f.grow(true)
	f.begin()
	f.clear()
	v = f.putNaN()
	f.yieldNaN(v, 2)
	f.tr.end()
	if len(f.tr.viol) != 1 || f.tr.viol[0].most != 0 || f.tr.c.nanDouble != 0 {
		t.Errorf("R12's window, B = 3: a NaN entry yielded twice: violations %v; want one outside every window", f.tr.viol)
	}
}
