package gorules

// R6: golang/go#59411. A clear (runtime.mapclear: the idiom of
// clear.go) resets the map's current array, drops the growth under way
// and gives the map a new seed. A loop open across it goes on reading what
// it was reading: the old array of the dropped growth (for a loop that
// started before that growth), or the overflow bucket it was in. Entries
// found there are yielded although the clear removed them, with the values
// they had.

import (
	"math/rand"
	"testing"
)

type r6Variant int

const (
	r6Doubling r6Variant = iota // the loop started before a doubling still under way at the clear
	r6SameSize                  // ... before a same-size growth still under way at the clear
	r6Overflow                  // the loop is inside an overflow bucket at the clear
)

func (v r6Variant) String() string {
	return [...]string{"doubling under way", "same-size growth under way", "loop inside an overflow bucket"}[v]
}

func r6Trial(rng *rand.Rand, variant r6Variant) (bool, *tracker[uint64]) {
	l := newLab[uint64](rng, 44, genU64, clearU64)
	if variant == r6Overflow {
		for i := 0; i < 20; i++ {
			l.put(l.keyIn(5))
		}
	} else {
		for i := 0; i < 30; i++ {
			l.put(l.fresh())
		}
	}
	built, n := false, 0
	l.tr.begin()
	for k, v := range l.m {
		l.tr.yield(k, v)
		n++
		switch {
		case variant == r6Doubling && n == 1:
			built = l.doubling(200)
		case variant == r6SameSize && n == 1:
			built = l.sameSizeGrowth(-1, nil)
		case variant == r6Overflow && n == 9:
			// Bucket 5 holds 8 keys and 12 more in two overflow buckets:
			// the 9th yield comes from the first overflow bucket.
			built = true
		default:
			continue
		}
		l.clear()
		for i := 0; i < 5; i++ {
			l.put(l.fresh())
		}
	}
	l.tr.end()
	return built, l.tr
}

func TestRule6ClearedKeysMayStillBeYielded(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	for _, v := range []r6Variant{r6Doubling, r6SameSize, r6Overflow} {
		var s summary
		hit := 0
		for i := 0; i < 300; i++ {
			built, tr := r6Trial(rng, v)
			gather(&s, tr, built)
			if built && tr.c.clearedYields > 0 {
				hit++
			}
		}
		t.Logf("%v: cleared entries yielded in %d of %d trials built as planned", v, hit, s.built)
		mustHold(t, &s)
		if s.built < 150 {
			t.Errorf("%v: the scenario came out as planned in only %d trials", v, s.built)
		}
		if hit == 0 {
			t.Errorf("%v: no cleared entry was ever yielded", v)
		}
	}
}

// Random programs with clears: whatever a loop yields after a clear is an
// entry of the map or one a clear removed (R6), and all other rules hold.
// Float maps clear through runtime.mapclear itself (NaN entries too).
func TestRule6ClearsInRandomPrograms(t *testing.T) {
	var s summary
	runPrograms(&s, 61, 2000, mixClear, genU64, clearU64)
	runPrograms(&s, 62, 1500, mixClearF64, genF64, clearF64)
	mustHold(t, &s)
	if s.c.clears == 0 || s.c.clearedYields == 0 {
		t.Errorf("the programs never yielded a cleared entry (%d clears)", s.c.clears)
	}
}
