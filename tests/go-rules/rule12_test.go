package gorules

// R12, the old bucket the loop stands in (an exception to R3). A loop that
// starts while the map grows reads each old bucket not yet evacuated, with
// checkBucket set. Between two steps the runtime keeps where the loop
// stands (it.bptr, it.i, it.checkBucket) whatever the body does to the
// map. Suppose the body finishes the growth (the old bucket's slots are
// marked evacuated, their keys stay), empties the map (a new seed S2),
// puts X again (into bucket j of the loop's own array, under S2), grows
// the map once more and finishes that growth (the loop's own array is
// frozen, X's copy in bucket j marked evacuated), empties the map again (a
// new seed S3) and puts X once more, such that its hash under S3 names the
// bucket c the loop stands in. The loop goes on in the rest of the old
// bucket's chain: X's evacuated copy there passes the filter (the hash
// under the current seed, masked with the loop's B, is c) and is looked up
// in the live map: yielded. When the loop reaches bucket j of its own
// array (no growth under way at its B: mapiternext reads it.buckets), X's
// copy there is looked up too: yielded again, with no delete in between.
//
// The tests show (a) that it happens, for loops started during a doubling
// and during a same-size growth, with the second growth either kind, and
// that the order of the yields is the mechanism's: a key Z whose frozen
// copy sits between bucket c and bucket j comes out between X's two
// yields; with X's hash steered away from c, X comes out once; (b) that
// it never happens without a new seed since the loop started; (c) nor when
// the loop started after the growth ended; (d) that X comes out a third
// time when the loop reads three copies of it, within the oracle's bound
// (2 + growths since the start); and (e) that the same double yield
// happens for a loop that entered an old bucket on R7's stale path, which
// the oracle's shared R7/R12 window accepts.

import (
	"math/rand"
	"strings"
	"testing"
	"unsafe"

	"tophash/gomap"
)

type r12Variant int

const (
	r12Full              r12Variant = iota // (a) started mid-doubling, the second growth doubles
	r12FreezeSameSize                      // (a) ... the second growth is a same-size one
	r12StartedSameSize                     // (a) started during a same-size growth, the second growth doubles
	r12FilterMiss                          // (a) as r12Full, but X's last hash does not name bucket c
	r12NoReseed                            // (b) both emptyings keep one key: no new seed since the start
	r12NotStartedGrowing                   // (c) the first growth ends before the loop starts
	r12ThirdCopy                           // (d) X in three arrays the loop reads (see r12Third)
)

func (v r12Variant) String() string {
	return [...]string{"started mid-doubling, second growth doubles", "started mid-doubling, second growth same-size",
		"started mid same-size growth, second growth doubles", "X's last hash names another bucket",
		"no new seed since the start", "started after the growth ended", "X in three arrays"}[v]
}

// r12Result is one trial's outcome.
type r12Result struct {
	built  bool
	xs     int  // yields of X after the body
	zFirst bool // X, Z, X in that order (Z between X's two yields)
}

// r12Trial builds the map, runs the loop and, at its first yield from the
// old bucket (the bucket, for r12NotStartedGrowing) it is meant to stand
// in, runs r12Body.
func r12Trial(rng *rand.Rand, v r12Variant) (r12Result, *tracker[uint64]) {
	var l *lab[uint64]
	var oc uintptr // the old bucket (index in the old array) the loop will stand in
	var mask uintptr
	if v == r12StartedSameSize {
		// B = 3, a same-size growth under way: old bucket 5 holds 12
		// keys (its main bucket and one overflow bucket), every other
		// bucket one key.
		l = newLab[uint64](rng, 44, genU64, clearU64)
		if l.h.B != 3 {
			panic("make(map, 44) did not give B = 3")
		}
		oc, mask = 5, 7
		for i := 0; i < 12; i++ {
			l.put(l.keyIn(oc))
		}
		for b := uintptr(0); b < 8; b++ {
			if b != oc {
				l.put(l.keyIn(b))
			}
		}
		if !l.sameSizeGrowth(1, func(b uintptr) bool { return b == oc }) {
			return r12Result{}, l.tr
		}
	} else {
		// B = 2, doubling to 3: old bucket 3 holds 20 keys, 10 bound for
		// new bucket 3 and 10 for 7, alternately (its main bucket holds
		// keys for both); every other new bucket gets one key; the 27th
		// key, into old bucket 1, starts the doubling, whose first
		// evacuations are old buckets 1 and 0.
		l = newLab[uint64](rng, 20, genU64, clearU64)
		if l.h.B != 2 {
			panic("make(map, 20) did not give B = 2")
		}
		oc, mask = 3, 7
		for i := 0; i < 20; i++ {
			l.put(l.keyMasked(7, 3+4*uintptr(i%2)))
		}
		for _, b := range []uintptr{0, 1, 2, 4, 5, 6} {
			l.put(l.keyMasked(7, b))
		}
		l.put(l.keyMasked(3, 1))
		if !l.h.Growing() || l.h.SameSizeGrow() || l.h.B != 3 {
			panic("r12: the 27th key did not start a doubling from B = 2")
		}
		if v == r12NotStartedGrowing {
			l.finishGrowth()
		}
	}
	h := l.h
	if v != r12NotStartedGrowing && h.OldEvacuated(oc) {
		return r12Result{}, l.tr
	}
	// Every new bucket has a key bound for it: the loop's first yield
	// names its start bucket.
	// standsIn: a key bound for new bucket b comes from old bucket oc
	// (for r12NotStartedGrowing: from bucket b, of a chain as long).
	standsIn := func(b uintptr) bool { return b == oc }
	if v != r12StartedSameSize {
		standsIn = func(b uintptr) bool { return b&3 == oc }
	}
	var r r12Result
	var x, z uint64
	var s uintptr
	started, acted := false, false
	seq := "" // X and Z as the loop yields them after the body
	l.tr.begin()
	for k, val := range l.m {
		l.tr.yield(k, val)
		if r.built {
			switch k {
			case x:
				seq += "X"
			case z:
				seq += "Z"
			}
			continue
		}
		b := gomap.HashOf(l.mt, k, h.Hash0) & mask
		if !started {
			started, s = true, b
		}
		if acted || !standsIn(b) {
			continue
		}
		acted = true
		r.built, x, z = r12Body(l, v, oc, b, s, k)
	}
	l.tr.end()
	r.xs = strings.Count(seq, "X")
	r.zFirst = strings.HasPrefix(seq, "XZX")
	return r, l.tr
}

// r12Body runs the scenario from the loop's body; the loop stands in old
// bucket oc (for r12NotStartedGrowing: bucket c of its own array) and has
// yielded k from its main bucket while visiting bucket c; s is its start
// bucket. It returns whether the layout came out as planned, X and Z.
func r12Body(l *lab[uint64], v r12Variant, oc, c, s uintptr, k uint64) (bool, uint64, uint64) {
	h := l.h
	const mask = 7 // the loop's B is 3
	// The chain the loop stands in, and X: a key of its overflow buckets
	// (ahead of the loop whatever the slot order), bound for c.
	array, at := h.Oldbuckets, oc
	if v == r12NotStartedGrowing {
		array, at = h.Buckets, c
	}
	ch := chain(array, at)
	inMain := false
	for _, key := range ch[0] {
		inMain = inMain || key == k
	}
	var x uint64
	found := false
	for _, b := range ch[1:] {
		for _, key := range b {
			if !found && gomap.HashOf(l.mt, key, h.Hash0)&mask == c {
				x, found = key, true
			}
		}
	}
	// Buckets of the loop's array still ahead of it: c+1 .. s-1. Z goes
	// into c+1, X into one after it.
	ahead := (s - c - 1) & mask
	if !inMain || !found || ahead < 2 {
		return false, 0, 0
	}
	zb := (c + 1) & mask
	jOK := func(hash uintptr) bool {
		d := (hash&mask - c) & mask
		return d >= 2 && d <= ahead
	}
	// emptying deletes every key (a new seed) or, for r12NoReseed, all but
	// one (no new seed).
	var keeper uint64
	emptying := func() bool {
		seed := h.Hash0
		if v == r12NoReseed {
			if !l.has(keeper) {
				keeper = l.fresh()
				l.put(keeper)
			}
			for l.tr.model.len() > 1 {
				k := l.tr.model.key(l.tr.model.len() - 1)
				if k == keeper {
					k = l.tr.model.key(0)
				}
				l.del(k)
			}
			return h.Hash0 == seed
		}
		l.empty()
		return h.Hash0 != seed
	}
	// 1. The growth under way ends: the old bucket's slots say evacuated.
	l.finishGrowth()
	// 2. A new seed S2; X into bucket j ahead of the loop, Z into c+1.
	if !emptying() {
		return false, 0, 0
	}
	if v == r12NoReseed {
		l.put(x)
	} else if !l.reseedUntil(x, 400, jOK) {
		return false, 0, 0
	}
	z := l.keyIn(zb)
	l.put(z)
	// 3. Another growth, to its end: the loop's own array is frozen with
	// X's copy in bucket j and Z's in c+1.
	own := h.Buckets
	if v == r12FreezeSameSize || v == r12ThirdCopy {
		if !l.sameSizeGrowth(-1, nil) {
			return false, 0, 0
		}
	} else if !l.doubling(400) {
		return false, 0, 0
	}
	l.finishGrowth()
	if h.Buckets == own {
		return false, 0, 0
	}
	if v == r12ThirdCopy {
		return r12Third(l, c, ahead, x, z, own)
	}
	// 4. A new seed S3; X again, its hash naming c (or not, for
	// r12FilterMiss); Z again.
	if !emptying() {
		return false, 0, 0
	}
	switch v {
	case r12NoReseed:
		l.put(x)
	case r12FilterMiss:
		if !l.reseedUntil(x, 400, func(hash uintptr) bool { return hash&mask != c }) {
			return false, 0, 0
		}
	default:
		if !l.reseedUntil(x, 400, func(hash uintptr) bool { return hash&mask == c }) {
			return false, 0, 0
		}
	}
	l.put(z)
	return true, x, z
}

type r12Summary struct {
	summary
	hist    map[int]int // trials built as planned by yields of X after the body
	ordered int         // ... with X, Z, X in that order
}

func runR12(seed int64, trials int, v r12Variant) r12Summary {
	rng := rand.New(rand.NewSource(seed))
	s := r12Summary{hist: map[int]int{}}
	for i := 0; i < trials; i++ {
		r, tr := r12Trial(rng, v)
		gather(&s.summary, tr, r.built)
		if !r.built {
			continue
		}
		s.hist[r.xs]++
		if r.zFirst {
			s.ordered++
		}
	}
	return s
}

func (s *r12Summary) log(t *testing.T, v r12Variant, trials int) {
	t.Helper()
	t.Logf("%v: X yielded 0/1/2/3 times in %d/%d/%d/%d of %d trials built as planned (X, Z, X in that order: %d)",
		v, s.hist[0], s.hist[1], s.hist[2], s.hist[3], s.built, s.ordered)
	if s.built < trials/2 {
		t.Errorf("%v: the scenario came out as planned in only %d of %d trials", v, s.built, trials)
	}
}

// (a)
func TestRule12OldBucketDoubleYield(t *testing.T) {
	for i, v := range []r12Variant{r12Full, r12FreezeSameSize, r12StartedSameSize} {
		s := runR12(120+int64(i), 200, v)
		s.log(t, v, 200)
		mustHold(t, &s.summary)
		twice := s.hist[2]
		if twice == 0 {
			t.Errorf("%v: X was never yielded twice: Go no longer keeps the old bucket's filter across the body", v)
		}
		if s.ordered != twice {
			t.Errorf("%v: X yielded twice in %d trials, only %d with Z between: not the old bucket, then the own array",
				v, twice, s.ordered)
		}
		// (A same-size growth after a loop started mid-doubling opens
		// R9's window too; the oracle tries R7/R12's first.)
		if s.c.staleCopy < twice {
			t.Errorf("%v: %d double yields of X, only %d accepted in the R7/R12 window", v, twice, s.c.staleCopy)
		}
		if s.c.maxLife != 2 {
			t.Errorf("%v: most yields of one key between deletions %d, want 2", v, s.c.maxLife)
		}
	}
	// The old bucket's filter decides by X's hash under the current seed:
	// steered away from c, X comes out once, from the own array.
	s := runR12(123, 200, r12FilterMiss)
	s.log(t, r12FilterMiss, 200)
	mustHold(t, &s.summary)
	if s.hist[1] != s.built {
		t.Errorf("%v: X yielded once in %d of %d trials; want all", r12FilterMiss, s.hist[1], s.built)
	}
}

// (b)
func TestRule12NoDoubleYieldWithoutReseed(t *testing.T) {
	s := runR12(124, 200, r12NoReseed)
	s.log(t, r12NoReseed, 200)
	mustHold(t, &s.summary)
	if s.hist[1] != s.built || s.c.staleCopy != 0 || s.c.reseeds != 0 {
		t.Errorf("with no new seed since the start X should come out once: once in %d of %d trials, %d reseeds",
			s.hist[1], s.built, s.c.reseeds)
	}
}

// (c)
func TestRule12NoDoubleYieldWhenNotStartedGrowing(t *testing.T) {
	s := runR12(125, 200, r12NotStartedGrowing)
	s.log(t, r12NotStartedGrowing, 200)
	mustHold(t, &s.summary)
	if s.hist[1] != s.built || s.c.staleCopy+s.c.filterDouble+s.c.clearDouble != 0 {
		t.Errorf("X should come out once (its copy in the frozen own array): once in %d of %d trials", s.hist[1], s.built)
	}
}

// (d) X comes out three times when the loop reads three copies of it. As
// r12Body with a same-size second growth N1 -> N2, then (r12Third) a new
// seed, X into bucket k of N2 and a third growth N2 -> N3 left under way,
// its first write into bucket j: the loop reads X's copy in the old
// bucket's chain (a same-size growth is under way: no filter), its copy in
// N1[j] (the stale path of R7: N2[j] evacuated) and its live slot in N2[k]
// (not evacuated). The loop started mid-growth and the map was reseeded
// since: R7/R12's window, whose bound with two growths since the start is
// four yields; the tracker accepts all three.
func TestRule12ThirdYieldWithinTheBound(t *testing.T) {
	s := runR12(126, 200, r12ThirdCopy)
	s.log(t, r12ThirdCopy, 200)
	mustHold(t, &s.summary)
	if s.hist[3] == 0 {
		t.Errorf("X was never yielded three times: Go no longer reads three copies of it")
	}
	if s.c.maxLife != 3 {
		t.Errorf("most yields of one key between deletions %d, want 3", s.c.maxLife)
	}
	if s.c.staleCopy < 2*s.hist[3]+s.hist[2] {
		t.Errorf("X yielded three times in %d trials, twice in %d; only %d repeats accepted in the R7/R12 window",
			s.hist[3], s.hist[2], s.c.staleCopy)
	}
	if !s.c.marginSet || s.c.margin != 1 {
		t.Errorf("least margin to the bound %v (seen %v), want 1 (three yields, two growths since the start)",
			s.c.margin, s.c.marginSet)
	}
}

// r12Third goes on from r12Body's step 3 (a same-size growth N1 -> N2 of
// the loop's own array N1, ended): a new seed S3, X into bucket k of N2
// ahead of the loop (not j, not 0), then another same-size growth N2 -> N3
// left under way, its first write into bucket j (N2[j] evacuated, N2[k]
// not). The loop then reads X's copy in the old bucket's chain (no filter
// during a same-size growth), N1[j] (the stale path: N2[j] evacuated) and
// N2[k] (not evacuated: X's live slot).
func r12Third(l *lab[uint64], c, ahead uintptr, x, z uint64, n1 unsafe.Pointer) (bool, uint64, uint64) {
	h := l.h
	const mask = 7
	j := gomap.HashOf(l.mt, x, h.Hash0) & mask // X's bucket in N1, under S2 (X is still in the map)
	inN1 := false
	for _, b := range chain(n1, j) {
		inN1 = inN1 || contains(b, x)
	}
	if !l.has(x) || !inN1 {
		return false, 0, 0
	}
	seed := h.Hash0
	l.empty()
	if h.Hash0 == seed {
		return false, 0, 0
	}
	kOK := func(hash uintptr) bool {
		k := hash & mask
		d := (k - c) & mask
		return d >= 1 && d <= ahead && k != j && k != 0
	}
	if !l.reseedUntil(x, 400, kOK) {
		return false, 0, 0
	}
	k := l.bucketOf(x)
	n2 := h.Buckets
	if !l.sameSizeGrowth(int(j), func(b uintptr) bool { return b == k }) || h.Oldbuckets != n2 {
		return false, 0, 0
	}
	if !h.OldEvacuated(j) || h.OldEvacuated(k) {
		return false, 0, 0
	}
	return true, x, z
}

// The same mechanism for a loop that did not start during a growth but
// entered an old bucket on R7's stale path. A loop opened at A0 (B = 3,
// one key in each bucket); at its first yield (bucket s) the body empties
// the map (new seed S1), puts X into bucket j = s+5 and Z into s+3, runs a
// same-size growth A0 -> A1 to its end (A0 frozen with X's and Z's
// copies), empties the map (new seed S2), builds a chain in bucket b = s+2
// of A1 with X in its overflow bucket and starts a same-size growth
// A1 -> A2, its first writes elsewhere. The loop goes on: on the stale
// path (growing at its B) it enters A1[b], not evacuated, with checkBucket
// set. At its first yield there the body ends the growth and puts Z again
// (and, with reseed, empties the map once more and puts X under a seed
// that names b again). The loop reads the rest of A1[b]: X's evacuated
// copy passes the filter and is looked up: yielded; then, not growing, it
// reads its own A0: Z at s+3, X at s+5: X yielded again. Neither yield is
// on the stale path, but the step that entered A1[b] was, after a new seed
// that followed the first growth: R7's part of the shared R7/R12 window
// (the loop did not start during a growth, so R12's part is closed).
func r12StaleTrial(rng *rand.Rand, reseed bool) (bool, string, *tracker[uint64]) {
	l := newLab[uint64](rng, 44, genU64, clearU64)
	h := l.h
	if h.B != 3 {
		panic("make(map, 44) did not give B = 3")
	}
	for b := uintptr(0); b < 8; b++ {
		l.put(l.keyIn(b))
	}
	var x, z uint64
	var b uintptr
	n, built := 0, false
	seq := ""
	l.tr.begin()
	for k, v := range l.m {
		l.tr.yield(k, v)
		n++
		switch {
		case built:
			switch k {
			case x:
				seq += "X"
			case z:
				seq += "Z"
			}
		case n == 1:
			s := l.bucketOf(k)
			b = (s + 2) & 7
			x, z, built = r12StaleSetUp(l, s)
			if !built {
				b = 8 // no second act
			}
			built = false
		case n == 2 && b < 8:
			// The first yield after the set-up: from A1[b]'s main bucket.
			if l.bucketOf(k) != b || !h.Growing() || !h.SameSizeGrow() || !contains(chain(h.Oldbuckets, b)[0], k) {
				b = 8
				continue
			}
			l.finishGrowth()
			if reseed {
				seed := h.Hash0
				l.empty()
				if h.Hash0 == seed || !l.reseedUntil(x, 400, func(hash uintptr) bool { return hash&7 == b }) {
					b = 8
					continue
				}
			}
			l.put(z)
			built = true
		}
	}
	l.tr.end()
	return built, seq, l.tr
}

// r12StaleSetUp runs r12StaleTrial's first body; s is the loop's start
// bucket. It returns X and Z and whether the layout came out as planned.
func r12StaleSetUp(l *lab[uint64], s uintptr) (uint64, uint64, bool) {
	h := l.h
	b, zb, j := (s+2)&7, (s+3)&7, (s+5)&7
	if b == 0 {
		return 0, 0, false // the second growth's first evacuations are 0 and j
	}
	seed := h.Hash0
	l.empty()
	if h.Hash0 == seed {
		return 0, 0, false
	}
	x := l.fresh()
	if !l.reseedUntil(x, 400, func(hash uintptr) bool { return hash&7 == j }) {
		return 0, 0, false
	}
	z := l.keyIn(zb)
	l.put(z)
	keep := func(c uintptr) bool { return c == j || c == zb }
	if !l.sameSizeGrowth(-1, keep) {
		return 0, 0, false
	}
	l.finishGrowth()
	seed = h.Hash0
	l.empty()
	if h.Hash0 == seed || !l.reseedUntil(x, 400, func(hash uintptr) bool { return hash&7 == b }) {
		return 0, 0, false
	}
	// X in A1[b]'s overflow bucket: fill the main bucket behind X, one
	// more key into the overflow bucket, X out and back in (the first
	// free slot of the chain is now in the overflow bucket).
	for i := 0; i < 8; i++ {
		l.put(l.keyIn(b))
	}
	l.del(x)
	l.put(l.keyIn(b))
	l.put(x)
	a1 := h.Buckets
	if !l.sameSizeGrowth(int(j), func(c uintptr) bool { return c == b }) || h.Oldbuckets != a1 || h.OldEvacuated(b) {
		return 0, 0, false
	}
	ch := chain(a1, b)
	return x, z, len(ch) > 1 && contains(ch[1], x)
}

func contains(keys []uint64, k uint64) bool {
	for _, c := range keys {
		if c == k {
			return true
		}
	}
	return false
}

// (e)
func TestRule12EnteredOnTheStalePath(t *testing.T) {
	for i, reseed := range []bool{false, true} {
		rng := rand.New(rand.NewSource(127 + int64(i)))
		var s summary
		hist := map[string]int{}
		for i := 0; i < 200; i++ {
			built, seq, tr := r12StaleTrial(rng, reseed)
			gather(&s, tr, built)
			if built {
				hist[seq]++
			}
		}
		t.Logf("reseed after entering the old bucket %v: X and Z after the body came out as %v in %d trials built as planned",
			reseed, hist, s.built)
		if s.built < 100 {
			t.Errorf("the scenario came out as planned in only %d trials", s.built)
		}
		mustHold(t, &s)
		if hist["XZX"] == 0 || hist["XZX"] != s.built {
			t.Errorf("X, Z, X in %d of %d trials built as planned: want all", hist["XZX"], s.built)
		}
		if s.c.staleCopyPath < s.built || s.c.staleCopy != s.c.staleCopyPath {
			t.Errorf("%d double yields of X, %d accepted in the R7/R12 window, %d of them with the stale path: want all",
				s.built, s.c.staleCopy, s.c.staleCopyPath)
		}
	}
}
