package gorules

// lab drives one real Go map: every write goes through it, so that the
// tracker sees it, and it steers keys into chosen buckets with the map
// type's own hasher under the map's current seed.

import (
	"math"
	"math/rand"
	"unsafe"

	"tophash/gomap"
)

type lab[K comparable] struct {
	m       map[K]uint64
	h       *gomap.Hmap
	mt      *gomap.Maptype
	rng     *rand.Rand
	gen     func(*rand.Rand) K // a random key, never NaN
	clearFn func(map[K]uint64) // runtime.mapclear: clearU64 (the idiom) or clearF64
	tr      *tracker[K]
	val     uint64  // the last value put: every put writes a new one
	gone    []K     // keys deleted so far, for re-adds
	spread  uintptr // next bucket for an overflow step
}

func newLab[K comparable](rng *rand.Rand, hint int, gen func(*rand.Rand) K, clearFn func(map[K]uint64)) *lab[K] {
	m := make(map[K]uint64, hint)
	h := gomap.Header(m)
	return &lab[K]{m: m, h: h, mt: gomap.MapTypeOf[K](), rng: rng, gen: gen, clearFn: clearFn, tr: newTracker[K](h)}
}

func (l *lab[K]) put(k K) {
	l.val++
	l.m[k] = l.val
	l.tr.put(k, l.val)
	l.tr.observe()
	if traceEvents {
		l.tr.event("put %s=%d (bucket %d)", showKey(k), l.val, l.bucketOf(k))
	}
}

func (l *lab[K]) del(k K) {
	delete(l.m, k)
	if _, nan := identity(k); !nan {
		l.gone = append(l.gone, k)
	}
	l.tr.del(k)
	l.tr.observe()
	if traceEvents {
		l.tr.event("delete %s (bucket %d)", showKey(k), l.bucketOf(k))
	}
}

// putNaN puts a new NaN entry (float maps only).
func (l *lab[K]) putNaN() {
	var nan any = math.NaN()
	l.put(nan.(K))
}

func (l *lab[K]) clear() {
	l.clearFn(l.m)
	l.tr.clear()
	l.tr.observe()
	l.tr.event("clear")
}

func (l *lab[K]) has(k K) bool {
	id, nan := identity(k)
	if nan {
		return false
	}
	_, ok := l.tr.model.get(id)
	return ok
}

func (l *lab[K]) bucketOf(k K) uintptr {
	return gomap.HashOf(l.mt, k, l.h.Hash0) & (1<<l.h.B - 1)
}

// fresh is a random key not in the map.
func (l *lab[K]) fresh() K {
	for {
		if k := l.gen(l.rng); !l.has(k) {
			return k
		}
	}
}

// keyIn is a key not in the map that lands in bucket b under the current
// seed and B.
func (l *lab[K]) keyIn(b uintptr) K {
	for {
		if k := l.fresh(); l.bucketOf(k) == b {
			return k
		}
	}
}

// keyMasked is a key not in the map whose hash under the current seed,
// masked with mask, is b (to steer keys into buckets of a B other than the
// map's, e.g. the B a loop started with).
func (l *lab[K]) keyMasked(mask, b uintptr) K {
	for {
		if k := l.fresh(); gomap.HashOf(l.mt, k, l.h.Hash0)&mask == b {
			return k
		}
	}
}

// reseedUntil puts k (not in the map, which must be empty) and, while ok
// says no to where it lands, deletes it again (the map empties: a new
// seed) and puts it again, at most tries times. It reports whether k is
// in the map where ok wants it.
func (l *lab[K]) reseedUntil(k K, tries int, ok func(hash uintptr) bool) bool {
	for i := 0; ; i++ {
		l.put(k)
		if ok(gomap.HashOf(l.mt, k, l.h.Hash0)) {
			return true
		}
		if i == tries || l.tr.model.len() != 1 {
			return false
		}
		l.del(k)
	}
}

// chain is the keys of the live and evacuated slots of bucket i of array
// and of its overflow buckets, bucket by bucket (the runtime's order).
func chain(array unsafe.Pointer, i uintptr) [][]uint64 {
	var out [][]uint64
	for b := gomap.BucketAt(array, i); b != nil; b = (*gomap.Bmap)(b.Overflow) {
		var keys []uint64
		for s := 0; s < gomap.BucketCnt; s++ {
			if top := b.Tophash[s]; top >= gomap.MinTopHash || top == gomap.EvacuatedX || top == gomap.EvacuatedY {
				keys = append(keys, b.Keys[s])
			}
		}
		out = append(out, keys)
	}
	return out
}

// randomLive is a random non-NaN key of the map (the map must hold one).
func (l *lab[K]) randomLive() K {
	return l.tr.model.key(l.rng.Intn(l.tr.model.len()))
}

// overLoad is runtime overLoadFactor: count entries in 2^B buckets.
func overLoad(count int, B uint8) bool {
	return gomap.OverLoadFactor(uint64(count), B)
}

// tooManyOverflow is runtime tooManyOverflowBuckets: the same-size growth
// threshold.
func tooManyOverflow(noverflow uint16, B uint8) bool {
	if B > 15 {
		B = 15
	}
	return noverflow >= uint16(1)<<B
}

// overflowStep puts keys into one bucket (not one avoid names) until one
// more overflow bucket is counted, then deletes them again. It stops
// early rather than make the map reach its load factor. It reports
// whether noverflow grew.
func (l *lab[K]) overflowStep(avoid func(uintptr) bool) bool {
	h := l.h
	start, B := h.Noverflow, h.B
	n := uintptr(1) << B
	b := l.spread % n
	for i := uintptr(0); i < n && avoid != nil && avoid(b); i++ {
		b = (b + 1) % n
	}
	l.spread = b + 1
	var added []K
	for h.Noverflow == start && h.B == B && len(added) < 64 && !overLoad(h.Count+1, B) {
		k := l.keyIn(b)
		l.put(k)
		added = append(added, k)
	}
	for _, k := range added {
		l.del(k)
	}
	return h.Noverflow != start
}

// sameSizeGrowth starts a same-size growth: overflow steps until the
// runtime's threshold, then a put of a new key (into bucket trigger under
// the current seed when trigger >= 0). It reports whether the growth
// started.
func (l *lab[K]) sameSizeGrowth(trigger int, avoid func(uintptr) bool) bool {
	h := l.h
	if h.Growing() {
		return false
	}
	for tries := 0; !tooManyOverflow(h.Noverflow, h.B); tries++ {
		if h.Growing() || tries > 4<<h.B {
			return false
		}
		l.overflowStep(avoid)
	}
	if h.Growing() || overLoad(h.Count+1, h.B) {
		return h.Growing() && h.SameSizeGrow()
	}
	if trigger >= 0 {
		l.put(l.keyIn(uintptr(trigger)))
	} else {
		l.put(l.fresh())
	}
	return h.Growing() && h.SameSizeGrow()
}

// doubling puts new keys until a growth to twice the size starts (or the
// map holds limit entries). It reports whether it started.
func (l *lab[K]) doubling(limit int) bool {
	h := l.h
	if h.Growing() {
		return false
	}
	B := h.B
	for !h.Growing() && h.Count < limit {
		l.put(l.fresh())
	}
	return h.Growing() && h.B == B+1
}

// finishGrowth writes until the growth under way is complete: each write
// evacuates its own bucket and the next unevacuated one.
func (l *lab[K]) finishGrowth() {
	for l.h.Growing() {
		if l.tr.model.len() > 0 {
			l.put(l.randomLive())
		} else {
			l.put(l.fresh())
		}
	}
}

// empty deletes every non-NaN key; the delete that leaves the map empty
// gives it a new seed.
func (l *lab[K]) empty() {
	for l.tr.model.len() > 0 {
		l.del(l.tr.model.key(l.tr.model.len() - 1))
	}
}

// Key generators.
func genU64(r *rand.Rand) uint64 { return r.Uint64() }

func genF64(r *rand.Rand) float64 {
	switch r.Intn(16) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	case 2:
		return math.Inf(1 - 2*r.Intn(2))
	}
	for {
		if f := math.Float64frombits(r.Uint64()); f == f {
			return f
		}
	}
}
