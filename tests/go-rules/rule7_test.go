package gorules

// R7, the stale array. A range loop over a map opened at array A0; during
// the loop the map empties (new seed), a same-size growth A0 -> A1 runs to
// its end, the map empties again (new seed) and a second same-size growth
// A1 -> A2 is under way when the loop goes on. Go 1.19's mapiternext takes
// its growth path whenever h.growing() && it.B == h.B: for an old bucket
// of A1 not yet evacuated it reads A1, for an evacuated one it reads its
// own A0, two generations back, and looks each key found there up in the
// live map. A key X that sat in A0's bucket p under the second seed and
// was put again under the third seed into bucket q is then found twice: in
// A0[p] (A1[p] evacuated) and in A1[q] (not evacuated).
//
// The scenario is built in the loop's first body, with keys steered into
// chosen buckets: the map starts with one key in each of its 8 buckets, so
// the first key yielded names the start bucket s and every other bucket is
// still ahead of the loop.
//
// The tests show (a) that it happens, (b) that it does not without a new
// seed after the first growth, (c) nor when one of the growths doubles,
// and (d), over the scenarios of every repeat and random programs, that no
// entry comes out more often than the oracle's bound for the window it is
// in (2 + growths since the start in R7/R12's, + 1 with R10's open; twice
// in R9's or R10's alone).

import (
	"math/rand"
	"testing"
)

type r7Variant int

const (
	r7Full                r7Variant = iota // (a) as above
	r7NoReseedAfterGrowth                  // (b) the second emptying keeps one key: no new seed after growth 1
	r7FirstGrowthDoubles                   // (c) growth 1 doubles B
	r7SecondGrowthDoubles                  // (c) growth 2 doubles B
)

// r7Trial runs one scenario; it returns whether the layout came out as
// planned and how often the loop yielded X.
func r7Trial(rng *rand.Rand, variant r7Variant) (bool, int, *tracker[uint64]) {
	l := newLab[uint64](rng, 44, genU64, clearU64)
	if l.h.B != 3 {
		panic("make(map, 44) did not give B = 3")
	}
	for b := uintptr(0); b < 8; b++ {
		l.put(l.keyIn(b))
	}
	var x uint64
	built, xSet, first, xYields := false, false, true, 0
	l.tr.begin()
	for k, v := range l.m {
		l.tr.yield(k, v)
		if xSet && k == x {
			xYields++
		}
		if !first {
			continue
		}
		first = false
		x, built = r7Build(l, variant, l.bucketOf(k))
		xSet = true
	}
	l.tr.end()
	return built, xYields, l.tr
}

// r7Build runs the scenario from the loop's first body; s is the loop's
// start bucket. It returns X and whether the layout came out as planned.
func r7Build(l *lab[uint64], variant r7Variant, s uintptr) (uint64, bool) {
	h := l.h
	// 1. Empty the map: new seed S2.
	seed := h.Hash0
	l.empty()
	if h.Hash0 == seed {
		return 0, false
	}
	// 2. Candidates for X in bucket p (ahead of the loop) under S2.
	p := (s + 1 + uintptr(l.rng.Intn(7))) % 8
	var cands []uint64
	for i := 0; i < 7; i++ {
		k := l.keyIn(p)
		l.put(k)
		cands = append(cands, k)
	}
	notP := func(b uintptr) bool { return b == p }
	// 3. Growth 1, to its end: A0 is evacuated, its keys stay in place.
	if variant == r7FirstGrowthDoubles {
		if !l.doubling(200) {
			return 0, false
		}
	} else if !l.sameSizeGrowth(-1, notP) {
		return 0, false
	}
	l.finishGrowth()
	// 4. Empty again (new seed S3) and put X back; or, for (b), delete
	// everything but one key and put X back under the same seed.
	var x uint64
	if variant == r7NoReseedAfterGrowth {
		keeper := l.keyIn((p + 4) % 8)
		l.put(keeper)
		seed = h.Hash0
		for l.tr.model.len() > 1 {
			k := l.tr.model.key(0)
			if k == keeper {
				k = l.tr.model.key(1)
			}
			l.del(k)
		}
		if h.Hash0 != seed {
			return 0, false
		}
		x = cands[0]
	} else {
		seed = h.Hash0
		l.empty()
		if h.Hash0 == seed {
			return 0, false
		}
		found := false
		for _, c := range cands {
			if q := l.bucketOf(c); q != s && q != p && q != 0 && q != 1 {
				x, found = c, true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	l.put(x)
	q := l.bucketOf(x)
	notQ := func(b uintptr) bool { return b == q }
	// 5. Growth 2, left under way; its first write goes into bucket p,
	// which evacuates old bucket p (and old bucket 0 or 1, the runtime's
	// own progress).
	if variant == r7SecondGrowthDoubles {
		return x, l.doubling(200)
	}
	if !l.sameSizeGrowth(int(p), notQ) {
		return 0, false
	}
	if h.B == 3 && (!h.OldEvacuated(p) || (variant == r7Full && h.OldEvacuated(q))) {
		return 0, false
	}
	return x, true
}

type r7Summary struct {
	summary
	twice, most int
}

func runR7(t *testing.T, seed int64, trials int, variant r7Variant) r7Summary {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	var s r7Summary
	for i := 0; i < trials; i++ {
		built, xYields, tr := r7Trial(rng, variant)
		gather(&s.summary, tr, built)
		if !built {
			continue
		}
		if xYields == 2 {
			s.twice++
		}
		if xYields > s.most {
			s.most = xYields
		}
	}
	if s.built < trials/2 {
		t.Fatalf("the scenario came out as planned in only %d of %d trials", s.built, trials)
	}
	return s
}

func TestRule7StaleArrayDoubleYield(t *testing.T) {
	s := runR7(t, 7, 1000, r7Full)
	t.Logf("X yielded twice in %d of %d trials built as planned; most yields of X %d", s.twice, s.built, s.most)
	mustHold(t, &s.summary)
	if s.twice == 0 {
		t.Errorf("X was never yielded twice: Go no longer reads its own array two generations back")
	}
	// The loop did not start during a growth: R7's part of the window.
	if s.c.staleCopyPath < s.twice {
		t.Errorf("%d double yields of X, only %d in the R7/R12 window with the stale path", s.twice, s.c.staleCopyPath)
	}
}

func TestRule7NoDoubleYieldWithoutReseedAfterFirstGrowth(t *testing.T) {
	s := runR7(t, 71, 1000, r7NoReseedAfterGrowth)
	t.Logf("X yielded twice in %d of %d trials built as planned", s.twice, s.built)
	mustHold(t, &s.summary)
	if s.twice != 0 || s.c.staleCopy != 0 {
		t.Errorf("a key was yielded twice without a new seed after the first growth (%d, %d)", s.twice, s.c.staleCopy)
	}
}

func TestRule7NoDoubleYieldAfterDoubling(t *testing.T) {
	for _, v := range []struct {
		name    string
		variant r7Variant
		seed    int64
	}{{"first growth doubles", r7FirstGrowthDoubles, 72}, {"second growth doubles", r7SecondGrowthDoubles, 73}} {
		s := runR7(t, v.seed, 500, v.variant)
		t.Logf("%s: X yielded twice in %d of %d trials built as planned", v.name, s.twice, s.built)
		mustHold(t, &s.summary)
		if s.twice != 0 || s.c.staleCopy != 0 {
			t.Errorf("%s: a key was yielded twice (%d, %d)", v.name, s.twice, s.c.staleCopy)
		}
	}
}

// (d) The bound: no entry comes out more often than the oracle allows in
// the window it is in, over the scenarios of the repeats of R7, R9, R10 and
// R12 (three yields of X among them) and random programs of growths of
// both kinds, emptying, re-adds and clears. Every test's tracker checks
// the bound; this one runs them together and makes sure a third yield is
// among what it checked. Go stays within the bound here (a repeat beyond
// it fails this test); tracker_self_test.go shows the tracker failing
// beyond it, on event sequences no scenario here builds in Go.
func TestRule7RepeatsWithinTheBound(t *testing.T) {
	var s summary
	rng := rand.New(rand.NewSource(75))
	for i := 0; i < 200; i++ {
		built, _, tr := r7Trial(rng, r7Full)
		gather(&s, tr, built)
		built, tr = r9Trial(rng, genU64, clearU64, 0)
		gather(&s, tr, built)
		built, _, _, tr = r10Trial(rng, r10Plain)
		gather(&s, tr, built)
		r, tr12 := r12Trial(rng, r12Full)
		gather(&s, tr12, r.built)
		if i%4 == 0 {
			r, tr12 = r12Trial(rng, r12ThirdCopy)
			gather(&s, tr12, r.built)
		}
	}
	runPrograms(&s, 76, 3000, mixSameSize, genU64, clearU64)
	runPrograms(&s, 77, 1500, mixChurn, genU64, clearU64)
	runPrograms(&s, 78, 1500, mixClear, genU64, clearU64)
	mustHold(t, &s)
	if s.c.maxLife < 3 {
		t.Errorf("most yields of one key between deletions: %d, want 3 or more (the scenarios yield a key three times)", s.c.maxLife)
	}
}
