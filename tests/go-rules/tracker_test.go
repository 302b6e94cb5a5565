package gorules

// tracker follows one map through a program and checks one range loop over
// it against the rules of README.md, from what the loop yields and from the
// map's header (read after every write).
//
// Where Go 1.19 may break a rule, the tracker accepts the break only
// inside the conditions the mechanism needs (its window) and counts it;
// outside them it is a violation. The windows and bounds of a repeated
// entry are those of the iteration oracle (reference/iter_oracle.h,
// yielded_again and nan_again), condition for condition, tried in the
// oracle's order; "a step" is a call of mapiternext (a yield, or the end):
//   R6      clear:        an entry removed by a clear while the loop was
//                         open (yielded although gone, with its old value,
//                         again; any number of times);
//   R7/R12  stale copy:   a key (not a NaN entry) repeated when the loop
//                         started while the map was growing and the map
//                         has had a new seed since (R12), or when a step
//                         of the loop took the stale path (two growths
//                         begun since the loop started, one under way, the
//                         map's B the loop's) and the map has had a new
//                         seed after the first of those growths began
//                         (R7); the key may come out up to
//                         2 + growths since the start (+ 1 while R10's
//                         window is open) times between its deletions;
//   R9      filter off:   the loop started while the map was doubling and
//                         a same-size growth has begun since (a key or a
//                         NaN entry yielded twice, no more);
//   R10     clear, B>=4:  a clear of the loop's own array (no growth begun
//                         since the loop started) at B >= 4, and the key
//                         in bucket 0 (its hash under the current seed,
//                         masked with the loop's B) or the map reseeded
//                         after that clear (the key moved, its copy stayed
//                         in bucket 0); a NaN entry needs only the clear;
//                         yielded twice, no more;
//   R11     filter on:    a step while a same-size growth at the loop's B
//                         was under way, and a later step (or the end)
//                         with that growth over (a NaN entry present from
//                         start to end never yielded).
// As in the oracle, a clear is a reseed (mapclear reseeds; of an empty map
// Go's does nothing, which the oracle does not tell apart). R6 is checked
// more narrowly than the oracle does: what a loop yields of a cleared key
// or NaN entry must be what the clear removed (the oracle accepts anything
// of a cleared identity, and any NaN entry once one was cleared). The
// oracle's rebuild (reserve, shrink_to_fit) has no Go counterpart.

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"unsafe"

	"tophash/gomap"
)

// identity is what makes two keys the same map key: the key itself, with
// +0 and -0 one key; NaN keys are never the same key (nan is true).
func identity[K comparable](k K) (id uint64, nan bool) {
	if k != k {
		return 0, true
	}
	if f, ok := any(k).(float64); ok && f == 0 {
		return 0, false
	}
	return gomap.KeyBits(k), false
}

func showKey[K comparable](k K) string {
	if f, ok := any(k).(float64); ok {
		if f == 0 && math.Signbit(f) {
			return "-0"
		}
		return fmt.Sprint(f)
	}
	return fmt.Sprint(k)
}

type entry[K comparable] struct {
	key K
	val uint64
}

// liveSet is the model: the map's non-NaN entries by identity, in an order
// set by the program's own writes (not by Go's iteration order), so that
// the program's choices come from its seed.
type liveSet[K comparable] struct {
	order gomap.KeySet[uint64]
	e     map[uint64]entry[K]
}

func newLiveSet[K comparable]() liveSet[K] {
	return liveSet[K]{e: map[uint64]entry[K]{}}
}

func (s *liveSet[K]) get(id uint64) (entry[K], bool) { e, ok := s.e[id]; return e, ok }
func (s *liveSet[K]) len() int                       { return s.order.Len() }
func (s *liveSet[K]) key(i int) K                    { return s.e[s.order.At(i)].key }
func (s *liveSet[K]) ids() []uint64                  { return s.order.Members() }

func (s *liveSet[K]) set(id uint64, e entry[K]) {
	s.order.Add(id)
	s.e[id] = e
}

func (s *liveSet[K]) remove(id uint64) {
	if s.order.Remove(id) {
		delete(s.e, id)
	}
}

// violation is one broken rule; a repeated entry also says how often it
// came out and whether that was outside every window (most 0) or beyond
// the bound of the window it was in (most > 0): the tracker's own tests
// pick theirs out.
type violation struct {
	rule, msg string
	yields    int // 2 or more: a repeated entry
	most      int // ... beyond this bound; 0: outside every window
}

// counts are summed over the trials of a test.
type counts struct {
	trials, yields      int
	growths, doublings  int // growths started while a loop was open
	reseeds, clears     int // seed changes and clears while a loop was open
	deletedUnreached    int // keys present at the start deleted before the loop yielded them (R2)
	valueChanges        int // puts over a key present during a loop (R4)
	signChanges         int // ... of +0 over -0 or the reverse (R4)
	zeroYields          [2]int
	nanStart, nanYields int  // NaN entries present at a loop's start; yields of NaN entries (R5)
	clearedYields       int  // yields of entries a clear removed while the loop was open (R6)
	staleCopy           int  // repeated yields (the second or later) of a key in the R7/R12 window
	staleCopyPath       int  // ... with R7's part of it open (a step took the stale path)
	marginSet           bool // a repeat in the R7/R12 window was seen:
	margin              int  // ... the least by which one stayed within the bound
	filterDouble        int  // repeated yields in the R9 window
	clearDouble         int  // ... in the R10 window
	clearDoubleMoved    int  // ... of keys outside bucket 0 (a reseed after the clear)
	nanDouble           int  // repeated yields of NaN entries (in the R9 or R10 window)
	nanMissed           int  // NaN entries present throughout but not yielded, in the R11 window
	maxLife             int  // most yields of one key between its deletions
	addedYielded        int  // keys added during a loop and present at its end: yielded (R8)
	addedMissed         int  // ... not yielded (R8)
}

func (c *counts) add(d counts) {
	c.trials += d.trials
	c.yields += d.yields
	c.growths += d.growths
	c.doublings += d.doublings
	c.reseeds += d.reseeds
	c.clears += d.clears
	c.deletedUnreached += d.deletedUnreached
	c.valueChanges += d.valueChanges
	c.signChanges += d.signChanges
	c.zeroYields[0] += d.zeroYields[0]
	c.zeroYields[1] += d.zeroYields[1]
	c.nanStart += d.nanStart
	c.nanYields += d.nanYields
	c.clearedYields += d.clearedYields
	c.staleCopy += d.staleCopy
	c.staleCopyPath += d.staleCopyPath
	if d.marginSet && (!c.marginSet || d.margin < c.margin) {
		c.marginSet, c.margin = true, d.margin
	}
	c.filterDouble += d.filterDouble
	c.clearDouble += d.clearDouble
	c.clearDoubleMoved += d.clearDoubleMoved
	c.nanDouble += d.nanDouble
	c.nanMissed += d.nanMissed
	if d.maxLife > c.maxLife {
		c.maxLife = d.maxLife
	}
	c.addedYielded += d.addedYielded
	c.addedMissed += d.addedMissed
}

func (c counts) String() string {
	margin := "none"
	if c.marginSet {
		margin = fmt.Sprint(c.margin)
	}
	return fmt.Sprintf("trials %d, yields %d; during loops: growths %d (doublings %d), reseeds %d, clears %d; "+
		"keys deleted before reached %d, value changes %d (+0/-0 %d; yields of +0 %d, of -0 %d), "+
		"NaN entries at start %d, NaN yields %d, cleared-entry yields %d, "+
		"repeated yields R7/R12 %d (with the stale path %d; least margin to the bound %s) R9 %d R10 %d (outside bucket 0 %d), "+
		"NaN entries yielded twice %d, NaN entries missed R11 %d, most yields between deletions %d, added keys yielded %d / not %d",
		c.trials, c.yields, c.growths, c.doublings, c.reseeds, c.clears,
		c.deletedUnreached, c.valueChanges, c.signChanges, c.zeroYields[0], c.zeroYields[1],
		c.nanStart, c.nanYields, c.clearedYields,
		c.staleCopy, c.staleCopyPath, margin, c.filterDouble, c.clearDouble, c.clearDoubleMoved,
		c.nanDouble, c.nanMissed, c.maxLife, c.addedYielded, c.addedMissed)
}

// traceEvents makes trackers log every event (GO_RULES_TRACE=1); the first
// failing program's log is printed with its violations.
var traceEvents = os.Getenv("GO_RULES_TRACE") != ""

type tracker[K comparable] struct {
	h     *gomap.Hmap
	mt    *gomap.Maptype
	model liveSet[K]
	nans  map[uint64]bool // values of the NaN entries (each NaN put is a new entry; values are unique)

	open       bool
	must       map[uint64]bool // present since the start, not yet yielded (R1)
	nanMust    map[uint64]bool // NaN entries present since the start, not yet yielded (R5)
	nanCount   map[uint64]int  // yields of each NaN entry
	life       map[uint64]int  // yields since the key was last added
	deleted    map[uint64]bool // deleted while the loop was open
	added      map[uint64]bool // added while the loop was open
	cleared    map[uint64]bool // removed by a clear while the loop was open (R6)
	clearedKV  map[[3]uint64]bool
	clearedNaN map[uint64]bool

	lastBuckets unsafe.Pointer
	lastB       uint8
	lastHash0   uint32
	itB         uint8 // the map's B when the loop started (it.B)
	growths     int   // growths begun since the loop started
	reseeded    bool  // a new seed since the loop started (R12)
	reseedGrown bool  // ... after the first of those growths began (R7)
	staleSeen   bool  // R7: a step took the stale path
	midDoubling bool  // R9: the loop started while the map was doubling
	midGrowth   bool  // R12: the loop started while the map was growing
	filterOff   bool  // R9 window
	clearOwn    bool  // R10 window (the key's bucket aside)
	clearMoved  bool  // R10: a new seed after that clear (keys moved off bucket 0)
	sameEpoch   int   // R11: growths when a step last saw a same-size growth at itB; -1: never
	filterOn    bool  // R11 window

	viol []violation
	c    counts
	log  []string
}

func newTracker[K comparable](h *gomap.Hmap) *tracker[K] {
	return &tracker[K]{h: h, mt: gomap.MapTypeOf[K](), model: newLiveSet[K](), nans: map[uint64]bool{}}
}

func (t *tracker[K]) event(f string, a ...any) {
	if !traceEvents {
		return
	}
	h := t.h
	t.log = append(t.log, fmt.Sprintf("%-48s | B=%d flags=%02x count=%d noverflow=%d seed=%08x growing=%v nevacuate=%d",
		fmt.Sprintf(f, a...), h.B, h.Flags, h.Count, h.Noverflow, h.Hash0, h.Growing(), h.Nevacuate))
}

func (t *tracker[K]) fail(rule, f string, a ...any) { t.failRepeat(0, 0, rule, f, a...) }

// failRepeat: an entry was yielded n times with no delete in between,
// outside every window (most 0) or beyond the bound most.
func (t *tracker[K]) failRepeat(n, most int, rule, f string, a ...any) {
	t.event("VIOLATION "+rule+": "+f, a...)
	t.viol = append(t.viol, violation{rule, fmt.Sprintf(f, a...), n, most})
}

// stalePath: mapiternext takes its growth path (h.growing() && it.B ==
// h.B) with two growths begun since the loop started (R7).
func (t *tracker[K]) stalePath() bool {
	return t.growths >= 2 && t.h.Growing() && t.h.B == t.itB
}

// staleCopyBound: in the R7/R12 window an entry comes out at most once
// per array the loop can find a copy of it in (the oracle's
// max_stale_copy_yields): its own, the old array it started in, the old
// array of each growth begun since, and once more through R10's mark.
func (t *tracker[K]) staleCopyBound() int {
	n := 2 + t.growths
	if t.clearOwn {
		n++
	}
	return n
}

// step is called at every call of mapiternext, with the map as that call
// sees it (R7, R11; the oracle's on_step).
func (t *tracker[K]) step() {
	h := t.h
	if t.sameEpoch >= 0 && (!h.Growing() || t.growths != t.sameEpoch) {
		t.filterOn = true
	}
	if t.stalePath() {
		t.staleSeen = true
	}
	if h.Growing() && h.SameSizeGrow() && h.B == t.itB {
		t.sameEpoch = t.growths
	}
}

// reseed records a new seed while the loop is open (the oracle's
// on_reseed).
func (t *tracker[K]) reseed() {
	t.reseeded = true
	if t.clearOwn {
		t.clearMoved = true
	}
	if t.growths >= 1 {
		t.reseedGrown = true
	}
}

// put records m[k] = v.
func (t *tracker[K]) put(k K, v uint64) {
	id, nan := identity(k)
	if nan {
		t.nans[v] = true
		return
	}
	if old, ok := t.model.get(id); ok {
		if t.open {
			t.c.valueChanges++
			if gomap.KeyBits(old.key) != gomap.KeyBits(k) {
				t.c.signChanges++
			}
		}
	} else if t.open {
		t.added[id] = true
		delete(t.life, id)
	}
	t.model.set(id, entry[K]{k, v})
}

// del records delete(m, k).
func (t *tracker[K]) del(k K) {
	id, nan := identity(k)
	if nan {
		return // a NaN key finds nothing to delete
	}
	if _, ok := t.model.get(id); !ok {
		return
	}
	t.model.remove(id)
	if t.open {
		if t.must[id] {
			t.c.deletedUnreached++
		}
		delete(t.must, id)
		delete(t.life, id)
		t.deleted[id] = true
	}
}

// clear records runtime.mapclear (called after it): every entry removed,
// NaN entries too, and a new seed (the oracle's on_clear: the reseed comes
// first, so that only a later one moves R10's keys).
func (t *tracker[K]) clear() {
	if t.open {
		t.c.clears++
		if t.h.Hash0 != t.lastHash0 {
			t.c.reseeds++
			t.lastHash0 = t.h.Hash0
		}
		t.reseed()
		for _, id := range t.model.ids() {
			e := t.model.e[id]
			t.cleared[id] = true
			t.clearedKV[[3]uint64{id, gomap.KeyBits(e.key), e.val}] = true
		}
		for v := range t.nans {
			t.clearedNaN[v] = true
		}
		t.must = map[uint64]bool{}
		t.nanMust = map[uint64]bool{}
		t.life = map[uint64]int{}
		if t.h.B >= 4 && t.growths == 0 {
			t.clearOwn = true // mapclear resets the loop's own array
		}
	}
	t.model = newLiveSet[K]()
	t.nans = map[uint64]bool{}
}

// observe reads the header after a write: a new bucket array is a growth
// (B one more: a doubling), a new hash0 a new seed.
func (t *tracker[K]) observe() {
	h := t.h
	if h.Count != t.model.len()+len(t.nans) {
		t.fail("model", "hmap.count %d, the program's model holds %d", h.Count, t.model.len()+len(t.nans))
	}
	if !t.open {
		return
	}
	if h.Buckets != t.lastBuckets {
		t.c.growths++
		t.growths++
		if h.B != t.lastB {
			t.c.doublings++
		} else if t.midDoubling {
			t.filterOff = true
		}
		t.lastBuckets, t.lastB = h.Buckets, h.B
	}
	if h.Hash0 != t.lastHash0 {
		t.c.reseeds++
		t.reseed()
		t.lastHash0 = h.Hash0
	}
}

// Go 1.19 can free a bucket a loop is still to read: an overflow bucket
// is kept alive only by the map's list of them (the bucket that points at
// it has no pointers for the collector), a growth's end or a clear drops a
// list, and a loop holds only the lists the map had when it started. A
// loop standing in a chain of a later array that goes on after the body
// ended that array's growth follows the chain into memory the collector
// may have freed and reused (a fault in mapiternext, or "found pointer to
// free object"). That is a memory-safety bug, not an iteration rule: the
// collector is off while a loop is open (README.md).
var gcPercent int

// begin is called right before `for k, v := range m`.
func (t *tracker[K]) begin() {
	gcPercent = debug.SetGCPercent(-1)
	t.open = true
	t.must = map[uint64]bool{}
	for _, id := range t.model.ids() {
		t.must[id] = true
	}
	t.nanMust = map[uint64]bool{}
	for v := range t.nans {
		t.nanMust[v] = true
	}
	t.c.nanStart += len(t.nans)
	t.nanCount = map[uint64]int{}
	t.life = map[uint64]int{}
	t.deleted = map[uint64]bool{}
	t.added = map[uint64]bool{}
	t.cleared = map[uint64]bool{}
	t.clearedKV = map[[3]uint64]bool{}
	t.clearedNaN = map[uint64]bool{}
	h := t.h
	t.lastBuckets, t.lastB, t.lastHash0 = h.Buckets, h.B, h.Hash0
	t.itB, t.growths, t.reseeded, t.reseedGrown, t.staleSeen = h.B, 0, false, false, false
	t.midDoubling = h.Growing() && !h.SameSizeGrow()
	t.midGrowth = h.Growing()
	t.filterOff, t.clearOwn, t.clearMoved, t.filterOn, t.sameEpoch = false, false, false, false, -1
	t.event("begin")
}

// again classifies the n-th yield (n >= 2) of an entry with no delete in
// between, as the oracle's yielded_again and nan_again do: the first
// window that is open, in the oracle's order, and its bound; or the rule
// it breaks (R3 for a key, R5 for a NaN entry).
func (t *tracker[K]) again(n int, what, rule string, nan bool, k K) {
	bucket0 := false
	if !nan {
		bucket0 = gomap.HashOf(t.mt, k, t.h.Hash0)&(1<<t.itB-1) == 0
	}
	fromStart := !nan && t.midGrowth && t.reseeded // R12
	onPath := !nan && t.staleSeen && t.reseedGrown // R7
	most, window := 2, ""
	switch {
	case fromStart || onPath:
		most, window = t.staleCopyBound(), "R7/R12"
		if n <= most {
			t.c.staleCopy++
			if onPath {
				t.c.staleCopyPath++
			}
			if !t.c.marginSet || most-n < t.c.margin {
				t.c.marginSet, t.c.margin = true, most-n
			}
		}
	case t.filterOff:
		window = "R9"
		if n <= most {
			t.c.filterDouble++
		}
	case t.clearOwn && (nan || t.clearMoved || bucket0):
		window = "R10"
		if n <= most {
			t.c.clearDouble++
			if !nan && !bucket0 {
				t.c.clearDoubleMoved++
			}
		}
	default:
		t.failRepeat(n, 0, rule, "%s was yielded %d times with no delete in between, outside every window "+
			"(growths since the start %d, reseeded %v, after the first growth %v, a step on the stale path %v; "+
			"started mid-growth %v, mid-doubling %v; clear of its own array at B>=4 %v, reseeded after it %v, bucket 0 %v)",
			what, n, t.growths, t.reseeded, t.reseedGrown, t.staleSeen, t.midGrowth, t.midDoubling,
			t.clearOwn, t.clearMoved, bucket0)
		return
	}
	if nan && n == 2 {
		t.c.nanDouble++
	}
	if n > most {
		t.failRepeat(n, most, rule, "%s was yielded %d times with no delete in between; in the %s window "+
			"(growths since the start %d, R10's window open %v) Go 1.19 can repeat it at most %d times",
			what, n, window, t.growths, t.clearOwn, most)
	}
}

// yield checks one (k, v) the loop produced, before the body writes.
func (t *tracker[K]) yield(k K, v uint64) {
	t.c.yields++
	t.step()
	id, nan := identity(k)
	if nan {
		t.event("yield NaN=%d", v)
		t.nanCount[v]++
		if !t.nans[v] {
			if t.clearedNaN[v] {
				t.c.clearedYields++
			} else {
				t.fail("R5", "a NaN entry (value %d) was yielded but is not in the map", v)
			}
			return
		}
		t.c.nanYields++
		delete(t.nanMust, v)
		if n := t.nanCount[v]; n >= 2 {
			t.again(n, fmt.Sprintf("a NaN entry (value %d)", v), "R5", true, k)
		}
		return
	}
	t.event("yield %s=%d", showKey(k), v)
	e, present := t.model.get(id)
	current := present && e.val == v && gomap.KeyBits(e.key) == gomap.KeyBits(k)
	if t.cleared[id] && (!current || t.life[id] > 0) {
		// An entry removed by a clear while the loop was open, from an
		// array the clear did not reset: it must be one the clear removed
		// (or the current entry, again).
		if !current && !t.clearedKV[[3]uint64{id, gomap.KeyBits(k), v}] {
			t.fail("R6", "key %s was yielded with value %d: neither its current entry nor one a clear removed", showKey(k), v)
		}
		t.c.clearedYields++
		return
	}
	if !present {
		if t.deleted[id] {
			t.fail("R2", "key %s was deleted during the loop (and not added again) but was yielded", showKey(k))
		} else {
			t.fail("R4", "key %s was yielded but is not in the map", showKey(k))
		}
		return
	}
	if e.val != v {
		t.fail("R4", "key %s was yielded with value %d, its current value is %d", showKey(k), v, e.val)
	}
	if gomap.KeyBits(e.key) != gomap.KeyBits(k) {
		t.fail("R4", "key %s was yielded as %s but was last put as %s", showKey(e.key), showKey(k), showKey(e.key))
	}
	if f, ok := any(k).(float64); ok && f == 0 {
		if math.Signbit(f) {
			t.c.zeroYields[1]++
		} else {
			t.c.zeroYields[0]++
		}
	}
	delete(t.must, id)
	t.life[id]++
	n := t.life[id]
	if n > t.c.maxLife {
		t.c.maxLife = n
	}
	if n >= 2 {
		t.again(n, "key "+showKey(k), "R3", false, k)
	}
}

// end is called after the loop.
func (t *tracker[K]) end() {
	t.step()
	t.event("end")
	for _, id := range t.model.ids() {
		if t.must[id] {
			t.fail("R1", "key %s was in the map from the loop's start to its end but was never yielded",
				showKey(t.model.e[id].key))
		}
	}
	for v := range t.nanMust {
		if t.filterOn {
			t.c.nanMissed++
		} else {
			t.fail("R5", "a NaN entry (value %d) was in the map from the loop's start to its end but was never yielded", v)
		}
	}
	for id := range t.added {
		if _, ok := t.model.get(id); ok && !t.cleared[id] {
			if t.life[id] > 0 {
				t.c.addedYielded++
			} else {
				t.c.addedMissed++
			}
		}
	}
	t.open = false
	t.c.trials++
	debug.SetGCPercent(gcPercent)
}
