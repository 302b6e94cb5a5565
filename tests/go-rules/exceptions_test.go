package gorules

// Three more ways in which Go 1.19 breaks the rules as first stated. Each
// test shows that it happens; the tracker accepts it only inside the
// oracle's window for it (tracker_test.go), so the random programs of the
// other tests check that it never happens outside them.
//
// R9, the old-bucket filter dropped (an exception to R3 and R5). A loop
// that starts while the map is doubling reads an unevacuated old bucket
// keeping only the entries bound for its current new bucket
// (checkBucket). mapiternext keeps checkBucket while it walks that old
// bucket's chain but decides at every call whether to filter, from
// !h.sameSizeGrow(): if the doubling ends and a same-size growth starts
// while the loop is inside the chain, the rest of the chain is yielded
// unfiltered, and the entries bound for the sibling bucket are yielded
// again when the loop gets there.
//
// R10, a clear inside the last preallocated overflow bucket (an exception
// to R3 and R5). A map of B >= 4 has overflow buckets preallocated behind
// its array; the last one, while unused, points back at the array's first
// bucket (the runtime's end mark). A clear resets the array, that mark
// included. A loop that was inside the last preallocated bucket follows
// the mark after the clear into bucket 0 and yields what is there, then
// yields it again when it reaches bucket 0: keys put after the clear,
// never deleted, come out twice. They are in bucket 0 (their hash under
// the clear's seed), as the oracle's window wants; once a later new seed
// has moved them, any key (TestRule10KeyMovedOffBucket0ByALaterReseed).
//
// R11, the old-bucket filter turned on (an exception to R5). A loop that
// reads an old bucket during a same-size growth keeps checkBucket for the
// rest of that bucket's chain. If the growth ends while the loop is inside
// the chain (a doubling may start next), mapiternext filters the rest of
// it (!h.sameSizeGrow()) with the iterator's B: keys pass (their hash
// still names the bucket), but a NaN entry passes only if the low bit of
// its tophash names the bucket's half, and an evacuated slot's tophash is
// evacuatedX (low bit 0): NaN entries in the rest of a bucket of the upper
// half are skipped for good.

import (
	"math/rand"
	"testing"

	"tophash/gomap"
)

// r9Trial: a map of B = 2 (with nans NaN entries) starts doubling; the
// loop starts; at its first yield of a key from an old bucket not yet
// evacuated the body ends the doubling and starts a same-size growth.
func r9Trial[K comparable](rng *rand.Rand, gen func(*rand.Rand) K, clearFn func(map[K]uint64), nans int) (bool, *tracker[K]) {
	l := newLab(rng, 20, gen, clearFn)
	for i := 0; i < nans; i++ {
		l.putNaN()
	}
	if l.h.B != 2 || !l.doubling(100) || l.h.B != 3 {
		panic("r9: the map did not start doubling from B = 2")
	}
	built, done := false, false
	l.tr.begin()
	for k, v := range l.m {
		l.tr.yield(k, v)
		if done || k != k || l.h.OldEvacuated(l.bucketOf(k)&3) {
			continue
		}
		done = true
		l.finishGrowth()
		built = l.sameSizeGrowth(-1, nil)
	}
	l.tr.end()
	return built, l.tr
}

func TestRule9OldBucketFilterDroppedDoubleYield(t *testing.T) {
	rng := rand.New(rand.NewSource(74))
	var s, sf summary
	hit, hitNaN := 0, 0
	for i := 0; i < 1000; i++ {
		built, tr := r9Trial(rng, genU64, clearU64, 0)
		gather(&s, tr, built)
		if built && tr.c.filterDouble > 0 {
			hit++
		}
		builtF, trF := r9Trial(rng, genF64, clearF64, 10)
		gather(&sf, trF, builtF)
		if builtF && trF.c.nanDouble > 0 {
			hitNaN++
		}
	}
	t.Logf("uint64: a key yielded twice in %d of %d trials built as planned", hit, s.built)
	t.Logf("float64: a NaN entry yielded twice in %d of %d trials built as planned", hitNaN, sf.built)
	mustHold(t, &s)
	mustHold(t, &sf)
	if hit == 0 {
		t.Errorf("no key was yielded twice: Go filters the rest of an old bucket after all")
	}
	if hitNaN == 0 {
		t.Errorf("no NaN entry was yielded twice")
	}
}

// r11Trial: a float map with NaN entries starts a same-size growth; the
// loop starts; at its first yield of a key from an upper-half old bucket
// not yet evacuated, the body ends the growth.
func r11Trial(rng *rand.Rand) (bool, *tracker[float64]) {
	l := newLab[float64](rng, 44, genF64, clearF64)
	for i := 0; i < 30; i++ {
		l.putNaN()
	}
	for i := 0; i < 8; i++ {
		l.put(l.fresh())
	}
	if !l.sameSizeGrowth(-1, nil) {
		return false, l.tr
	}
	built, done := false, false
	l.tr.begin()
	for k, v := range l.m {
		l.tr.yield(k, v)
		if done || k != k || !l.h.Growing() {
			continue
		}
		if x := l.bucketOf(k); x < 4 || l.h.OldEvacuated(x) {
			continue
		}
		done = true
		l.finishGrowth()
		built = true
	}
	l.tr.end()
	return built, l.tr
}

func TestRule11NaNSkippedWhenOldBucketFilterTurnsOn(t *testing.T) {
	rng := rand.New(rand.NewSource(51))
	var s summary
	hit := 0
	for i := 0; i < 500; i++ {
		built, tr := r11Trial(rng)
		gather(&s, tr, built)
		if built && tr.c.nanMissed > 0 {
			hit++
		}
	}
	t.Logf("NaN entries present throughout never yielded in %d of %d trials built as planned", hit, s.built)
	mustHold(t, &s)
	if s.built < 250 {
		t.Errorf("the scenario came out as planned in only %d trials", s.built)
	}
	if hit == 0 {
		t.Errorf("no NaN entry was skipped: Go no longer filters NaN entries by the tophash of an evacuated slot")
	}
}

type r10Variant int

const (
	r10Plain        r10Variant = iota // the clear, then keys into bucket 0
	r10GrowthReseed                   // ... then a doubling, a new seed and X put again
)

// r10Trial: B = 4, all keys in bucket 15, as many as fill the main bucket
// and every preallocated overflow bucket plus a few; at the first yield
// from the last preallocated bucket, clear, then put keys into bucket 0
// under the new seed. With r10GrowthReseed the body then doubles the map
// (keys spread so that no overflow bucket is taken: the mark stays), ends
// the doubling, empties the map (a new seed) and puts the first of those
// keys, X, again where its new hash does not name bucket 0: the loop's
// own array, frozen, still holds X's copy in bucket 0. It returns how
// many keys came out twice after the clear, and how many of those were
// not in bucket 0 (their hash under the current seed, masked with the
// loop's B).
func r10Trial(rng *rand.Rand, v r10Variant) (built bool, twice, outside0 int, tr *tracker[uint64]) {
	l := newLab[uint64](rng, 100, genU64, clearU64)
	h := l.h
	if h.B != 4 {
		panic("make(map, 100) did not give B = 4")
	}
	np := preallocated(h)
	for i := 0; i < 8*(np+1)+4; i++ {
		l.put(l.keyIn(15))
	}
	n := 0
	yields := map[uint64]int{}
	built = v == r10Plain
	l.tr.begin()
	for k, val := range l.m {
		l.tr.yield(k, val)
		if n >= 8*np+1 {
			yields[k]++
		}
		if n++; n != 8*np+1 {
			continue
		}
		l.clear()
		var x uint64
		for i := 0; i < 3; i++ {
			k := l.keyIn(0)
			l.put(k)
			if i == 0 {
				x = k
			}
		}
		if v == r10GrowthReseed {
			built = r10GrowAndReseed(l, x)
		}
	}
	l.tr.end()
	for k, c := range yields {
		if c >= 2 {
			twice++
			if gomap.HashOf(l.mt, k, h.Hash0)&15 != 0 {
				outside0++
			}
		}
	}
	return built, twice, outside0, l.tr
}

// r10GrowAndReseed: see r10Trial.
func r10GrowAndReseed(l *lab[uint64], x uint64) bool {
	h := l.h
	for i := 1; !h.Growing(); i++ {
		l.put(l.keyIn(uintptr(i % 16)))
	}
	if h.B != 5 || h.Noverflow != 0 {
		return false
	}
	l.finishGrowth()
	seed := h.Hash0
	l.empty()
	return h.Hash0 != seed && l.reseedUntil(x, 400, func(hash uintptr) bool { return hash&15 != 0 })
}

func TestRule10ClearInPreallocatedOverflowDoubleYield(t *testing.T) {
	rng := rand.New(rand.NewSource(63))
	var s summary
	hit, twice, outside0 := 0, 0, 0
	for i := 0; i < 300; i++ {
		built, n, out, tr := r10Trial(rng, r10Plain)
		gather(&s, tr, built)
		if tr.c.clearDouble > 0 {
			hit++
		}
		twice += n
		outside0 += out
	}
	t.Logf("keys put after the clear yielded twice in %d of %d trials (%d keys, %d of them outside bucket 0)",
		hit, s.built, twice, outside0)
	mustHold(t, &s)
	if hit == 0 {
		t.Errorf("no key put after the clear was yielded twice: the loop no longer follows the reset end mark")
	}
	if outside0 != 0 || twice != s.c.clearDouble || s.c.clearDoubleMoved != 0 {
		t.Errorf("%d keys yielded twice (%d in the R10 window), %d of them outside bucket 0", twice, s.c.clearDouble, outside0)
	}
}

// After the clear, a doubling freezes the loop's own array and a new seed
// moves X out of bucket 0, but the loop still follows the mark into its own
// bucket 0 and reads X's copy there twice (each time looked up in the live
// map). The oracle's R10 window drops the bucket-0 condition once the map
// has been reseeded after the clear: the tracker accepts it.
func TestRule10KeyMovedOffBucket0ByALaterReseed(t *testing.T) {
	rng := rand.New(rand.NewSource(64))
	var s summary
	twice, outside0 := 0, 0      // over the trials built as planned
	twiceAll, outsideAll := 0, 0 // over all (a trial whose doubling took an overflow bucket stops after it: R10 alone)
	for i := 0; i < 200; i++ {
		built, n, out, tr := r10Trial(rng, r10GrowthReseed)
		gather(&s, tr, built)
		twiceAll += n
		outsideAll += out
		if built {
			twice += n
			outside0 += out
		}
	}
	t.Logf("X yielded twice, outside bucket 0, in %d (twice at all: %d) of %d trials built as planned", outside0, twice, s.built)
	if s.built < 100 {
		t.Errorf("the scenario came out as planned in only %d trials", s.built)
	}
	mustHold(t, &s)
	if outside0 == 0 {
		t.Errorf("X never came out twice outside bucket 0: the loop no longer follows the mark into its frozen array")
	}
	if s.c.clearDouble != twiceAll || s.c.clearDoubleMoved != outsideAll {
		t.Errorf("%d keys yielded twice, %d outside bucket 0; %d accepted in the R10 window, %d of them outside bucket 0: want all",
			twiceAll, outsideAll, s.c.clearDouble, s.c.clearDoubleMoved)
	}
}

// preallocated is the number of overflow buckets makeBucketArray put
// behind the map's 2^B buckets (none below B = 4): the last one is marked
// by an overflow pointer back to the array's start. Call it before any
// overflow bucket is used.
func preallocated(h *gomap.Hmap) int {
	if h.B < 4 {
		return 0
	}
	n := uintptr(1) << h.B
	for i := n; i < n+n; i++ {
		if gomap.BucketAt(h.Buckets, i).Overflow == h.Buckets {
			return int(i - n + 1)
		}
	}
	panic("no preallocated overflow bucket found")
}
