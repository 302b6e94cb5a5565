package main

// Random op scripts for the recorder. A script depends only on (shape,
// seed). The generator tracks which keys are live only to choose its
// operations; it predicts nothing about the map's layout or output.

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"

	"tophash/gomap"
)

type genIter struct {
	stepped   bool // has had a `next` (so it is initialised)
	initEmpty bool // its first `next` came on an empty map: at its end for good
	dead      bool // open across a clear of a non-empty map: never step again
}

type gen struct {
	r     *rand.Rand
	keys  string // key type: u64, string or double (keyLiteral)
	b     strings.Builder
	nops  int
	live  gomap.KeySet[uint64] // live keys, for random picks
	nans  int                  // NaN entries (only a clear removes them)
	iters map[string]*genIter
	ids   []string
	big   bool   // keys drawn from the whole uint64 range (see pool)
	space uint64 // key space: keys 0..space-1, or a pool of this many big keys
	pool  []uint64
	next  uint64 // next fresh sequential key
	// Dump placement only: estB is the B a load-factor growth would have
	// reached (same-size growth is not followed); burst is the number of
	// further writes after which a dump is likely (to catch a growth midway).
	estB  uint8
	burst int
	// burstMaxB: no bursts once estB is above it (dumps get long)
	burstMaxB uint8
}

func newGen(shape string, seed int64, keys string) *gen {
	h := fnv.New64a()
	h.Write([]byte(shape))
	s := int64(h.Sum64()) ^ (seed * 0x5851F42D4C957F2D)
	return &gen{
		r:         rand.New(rand.NewSource(s)),
		keys:      keys,
		iters:     map[string]*genIter{},
		burstMaxB: 7,
	}
}

// afterWrite places dumps around growths: a load-factor growth is likely
// to start at a put of a new key once the live count passes 6.5*2^estB, and
// lasts about half as many writes as the old array has buckets.
func (g *gen) afterWrite(fresh bool) {
	if fresh && gomap.OverLoadFactor(uint64(g.live.Len()), g.estB) {
		g.estB++
		if g.estB <= g.burstMaxB && g.chance(0.6) {
			g.burst = (1<<(g.estB-1))/2 + g.between(1, 4)
		}
	}
	if g.burst > 0 {
		g.burst--
		if g.chance(0.6) {
			g.dump()
		}
	}
}

// startBurst asks for dumps after the next n writes (for same-size growths,
// which the generator does not predict).
func (g *gen) startBurst(n int) {
	if g.estB <= g.burstMaxB && g.burst == 0 {
		g.burst = n
	}
}

func (g *gen) line(f string, a ...any) {
	fmt.Fprintf(&g.b, f, a...)
	g.b.WriteByte('\n')
	g.nops++
}

func (g *gen) chance(p float64) bool  { return g.r.Float64() < p }
func (g *gen) between(lo, hi int) int { return lo + g.r.Intn(hi-lo+1) }

func (g *gen) value() uint64 {
	switch g.r.Intn(10) {
	case 0:
		return g.r.Uint64()
	case 1:
		return 0
	default:
		return uint64(g.r.Intn(1000))
	}
}

// key draws a key from the script's key space (live or not).
func (g *gen) key() uint64 {
	if g.big {
		if g.pool == nil {
			// a fixed pool, so that the set of keys ever seen (all of
			// which the recorder pins again at each reseed) stays bounded
			for i := uint64(0); i < g.space; i++ {
				if g.r.Intn(20) == 0 {
					g.pool = append(g.pool, ^uint64(0)-uint64(g.r.Intn(4)))
				} else {
					g.pool = append(g.pool, g.r.Uint64()>>uint(g.r.Intn(64)))
				}
			}
		}
		return g.pool[g.r.Intn(len(g.pool))]
	}
	return uint64(g.r.Int63n(int64(g.space)))
}

func (g *gen) freshKey() uint64 {
	for i := 0; i < 1000; i++ {
		if k := g.key(); !g.live.Has(k) {
			return k
		}
	}
	k := g.space
	for g.live.Has(k) {
		k++
	}
	return k
}

func (g *gen) liveKey() uint64 { return g.live.At(g.r.Intn(g.live.Len())) }

// keyLiteral writes the generator's key number k as a key of the script's
// type, one literal per number except that a double 0 is sometimes
// written -0 (the same key in Go). Strings: short, long (past 32 bytes)
// and with escapes; doubles: quarters of both signs, and bit patterns for
// the large numbers (NaN and infinite patterns fall back to the number).
func (g *gen) keyLiteral(k uint64) string {
	switch g.keys {
	case "string":
		switch {
		case k == 0:
			return quote("")
		case k%7 == 3:
			return quote(fmt.Sprintf("a-longer-key-that-passes-32-bytes-%d", k))
		case k%11 == 5:
			return quote(fmt.Sprintf("sp ace\"%d\\", k))
		}
		return quote(fmt.Sprintf("k%d", k))
	case "double":
		if k == 0 && g.chance(0.3) {
			return "-0"
		}
		if k >= 1<<40 {
			if f := math.Float64frombits(k); !math.IsNaN(f) && !math.IsInf(f, 0) {
				return formatDouble(f)
			}
			return formatDouble(float64(k))
		}
		if k%3 == 1 {
			return formatDouble(-float64(k) / 4)
		}
		return formatDouble(float64(k) / 4)
	}
	return strconv.FormatUint(k, 10)
}

// nanAccess: in a double script, sometimes a put, get or del of a NaN
// (a put adds an entry nothing finds again; get and del find nothing, but
// a del while the map grows evacuates the old bucket its hash names).
// Go hashes each at random; the recording pins those hashes.
func (g *gen) nanAccess() bool {
	if g.keys != "double" || !g.chance(0.05) {
		return false
	}
	nan := [2]string{"nan", "-nan"}[g.r.Intn(2)]
	switch g.r.Intn(4) {
	case 0, 1:
		g.line("put %s %s", nan, formatValue(g.keys, g.value()))
		g.nans++
		g.afterWrite(true)
	case 2:
		g.line("get %s", nan)
	default:
		g.line("del %s", nan)
		g.afterWrite(false)
	}
	return true
}

func (g *gen) put(k uint64) {
	g.line("put %s %s", g.keyLiteral(k), formatValue(g.keys, g.value()))
	g.afterWrite(g.live.Add(k))
}

func (g *gen) del(k uint64) {
	g.line("del %s", g.keyLiteral(k))
	g.live.Remove(k)
	g.afterWrite(false)
}

func (g *gen) get() {
	if g.nanAccess() {
		return
	}
	if g.live.Len() > 0 && g.chance(0.6) {
		g.line("get %s", g.keyLiteral(g.liveKey()))
	} else {
		g.line("get %s", g.keyLiteral(g.key()))
	}
}

func (g *gen) length() { g.line("len") }
func (g *gen) dump()   { g.line("dump") }

func (g *gen) clear() {
	if g.live.Len()+g.nans > 0 {
		for _, it := range g.iters {
			if it.stepped && !it.initEmpty {
				it.dead = true
			}
		}
	}
	g.line("clear")
	g.live.Clear()
	g.nans = 0
}

func (g *gen) iter(id string) {
	if _, ok := g.iters[id]; !ok {
		g.ids = append(g.ids, id)
	}
	g.iters[id] = &genIter{}
	g.line("iter %s", id)
}

// step advances iterator id if the recorder may step it; if it was open
// across a clear it is declared again instead.
func (g *gen) step(id string) {
	it := g.iters[id]
	if it == nil || it.dead {
		g.iter(id)
		it = g.iters[id]
	}
	if !it.stepped {
		it.stepped = true
		it.initEmpty = g.live.Len()+g.nans == 0
	}
	g.line("next %s", id)
}

func (g *gen) stepSome(id string, n int) {
	for i := 0; i < n; i++ {
		g.step(id)
	}
}

func (g *gen) randomIter() string { return g.ids[g.r.Intn(len(g.ids))] }

func (g *gen) hint(n int) {
	g.line("hint %d", n)
	g.estB = hintB(n)
}

// ---- shapes ----

var shapes = map[string]func(*gen){
	"churn":      genChurn,
	"grow_iter":  genGrowIter,
	"fill_drain": genFillDrain,
	"samesize":   genSameSize,
	"clear_iter": genClearIter,
	"big":        genBig,
	"hint":       genHint,
	"mixed":      genMixed,
}

// shapeOrder is the round-robin order of `gen -list` and the differential script.
var shapeOrder = []string{"churn", "grow_iter", "fill_drain", "samesize", "clear_iter", "big", "hint", "mixed"}

func shapeNames() []string {
	var s []string
	for k := range shapes {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

func generate(shape string, seed int64, keys string) (string, error) {
	f, ok := shapes[shape]
	if !ok {
		return "", fmt.Errorf("unknown shape %q (shapes: %s)", shape, strings.Join(shapeOrder, " "))
	}
	if keys != "u64" && keys != "string" && keys != "double" {
		return "", fmt.Errorf("unknown key type %q (u64, string or double)", keys)
	}
	g := newGen(shape, seed, keys)
	fmt.Fprintf(&g.b, "# go-recorder gen shape=%s seed=%d\n", shape, seed)
	if keys != "u64" {
		fmt.Fprintf(&g.b, "keys %s\n", keys)
	}
	f(g)
	return g.b.String(), nil
}

// maybe mixes reads and dumps in between writes.
func (g *gen) sprinkle(pDump float64) {
	switch {
	case g.chance(pDump):
		g.dump()
	case g.chance(0.12):
		g.get()
	case g.chance(0.04):
		g.length()
	}
}

func (g *gen) smallHint() int {
	switch g.r.Intn(6) {
	case 0, 1:
		return 0
	case 2:
		return g.between(1, 8)
	case 3:
		return 9
	default:
		return g.between(10, 300)
	}
}

// churn: tombstone churn at a steady size.
func genChurn(g *gen) {
	g.hint(g.smallHint())
	size := g.between(5, 250)
	limit := 1 << 30 // live keys never above this
	if g.chance(0.6) {
		// just under the load factor of some B: full buckets, overflow
		// buckets, tombstones, same-size growth
		b := g.between(1, 5)
		if g.chance(0.6) {
			b = g.between(1, 3)
		}
		limit = int(6.5 * float64(int(1)<<b))
		size = int(float64(limit) * (0.75 + 0.24*g.r.Float64()))
	}
	g.space = uint64(size * g.between(2, 4))
	if g.chance(0.15) {
		g.big = true
	}
	for g.live.Len() < size {
		g.put(g.freshKey())
		g.sprinkle(0.02)
	}
	g.dump()
	pDump := 0.0 // extra dumps after writes at small B, to catch same-size growth
	if g.estB <= 3 {
		pDump = 0.15
	}
	n := g.between(1000, 1800)
	for i := 0; i < n; i++ {
		g.churnStep(size, limit)
		if g.chance(pDump) {
			g.dump()
		}
	}
	g.length()
	g.dump()
}

// churnStep is one op of churn: puts and deletes that keep the map near
// size live keys (never above limit), gets, lens and dumps.
func (g *gen) churnStep(size, limit int) {
	bias := float64(g.live.Len()-size) / float64(size+1) // >0: too full
	switch x := g.r.Float64(); {
	case x < 0.36-bias:
		if g.live.Len() >= limit {
			g.del(g.liveKey())
		} else if g.chance(0.8) {
			g.put(g.freshKey())
		} else if g.live.Len() > 0 {
			g.put(g.liveKey())
		}
	case x < 0.75:
		if g.live.Len() > 0 && g.chance(0.9) {
			g.del(g.liveKey())
		} else {
			g.del(g.key())
		}
		if g.chance(0.01) {
			g.startBurst(g.between(4, 16))
		}
	case x < 0.92:
		g.get()
	case x < 0.95:
		g.length()
	default:
		g.dump()
	}
}

// grow_iter: growth with open iterators stepping between writes.
func genGrowIter(g *gen) {
	g.hint([]int{0, 0, 0, 9, 20}[g.r.Intn(5)])
	g.space = uint64(g.between(300, 3000))
	g.big = g.chance(0.1)
	nIt := g.between(2, 6)
	for i := 0; i < nIt; i++ {
		g.ids = append(g.ids, fmt.Sprintf("i%d", i))
	}
	g.iter(g.ids[0])
	n := g.between(1800, 3000)
	for i := 0; i < n; i++ {
		switch x := g.r.Float64(); {
		case x < 0.40:
			g.step(g.randomIter())
		case x < 0.62:
			g.put(g.freshKey())
			if g.chance(0.2) {
				g.dump() // often mid-growth
			}
		case x < 0.72:
			if g.live.Len() > 0 {
				g.del(g.liveKey())
			} else {
				g.del(g.key())
			}
		case x < 0.76:
			if g.live.Len() > 0 {
				g.put(g.liveKey())
			}
		case x < 0.82:
			g.get()
		case x < 0.84:
			g.length()
		case x < 0.90:
			g.dump()
		case x < 0.93:
			g.iter(g.randomIter())
		default:
			// a burst of steps on one iterator
			g.stepSome(g.randomIter(), g.between(2, 20))
		}
		if g.live.Len() > 4000 {
			for j := 0; j < 500; j++ {
				g.del(g.liveKey())
			}
		}
	}
	g.dump()
}

// fill_drain: fill, delete to empty (the runtime reseeds), clear of the
// empty map, refill; sometimes a clear of a non-empty map instead.
func genFillDrain(g *gen) {
	g.hint(g.smallHint())
	g.space = uint64(g.between(20, 400))
	g.big = g.chance(0.1)
	g.ids = []string{"d", "e"}
	cycles := g.between(4, 10)
	for c := 0; c < cycles; c++ {
		target := g.between(1, int(g.space)*2/3+1)
		if g.chance(0.5) {
			g.iter("d")
		}
		for g.live.Len() < target {
			g.put(g.freshKey())
			if g.chance(0.1) {
				g.step(g.ids[g.r.Intn(2)])
			}
			g.sprinkle(0.03)
		}
		g.length()
		g.dump()
		if g.chance(0.7) {
			g.iter("e")
			g.stepSome("e", g.between(0, 5))
		}
		partial := g.chance(0.25)
		stop := 0
		if partial {
			stop = g.between(1, g.live.Len())
		}
		for g.live.Len() > stop {
			g.del(g.liveKey())
			if g.chance(0.08) {
				g.step(g.ids[g.r.Intn(2)])
			}
			if g.chance(0.05) {
				g.del(g.key())
			}
			g.sprinkle(0.03)
		}
		g.length()
		g.dump()
		g.stepSome("d", g.between(0, 3))
		g.clear() // of the empty map, or of what is left
		g.dump()
		g.length()
		if g.chance(0.3) {
			g.clear()
		}
	}
	g.dump()
}

// samesize: fresh-key churn (a sliding window of sequential keys) that
// leaves overflow buckets behind until Go grows in place.
func genSameSize(g *gen) {
	g.hint([]int{0, 0, 0, 8, 50}[g.r.Intn(5)])
	window := g.between(6, 120)
	if g.chance(0.6) {
		b := g.between(1, 5)
		window = int(6.5 * float64(int(1)<<b) * (0.7 + 0.29*g.r.Float64()))
	}
	g.space = uint64(window * 4)
	spread := g.chance(0.3) // delete random live keys instead of the oldest
	var order []uint64
	g.ids = []string{"s0", "s1"}
	n := g.between(1200, 2500)
	for i := 0; i < n; i++ {
		k := g.next
		g.next++
		if g.chance(0.05) {
			k = k*1000003 + uint64(g.r.Intn(1000))
		}
		g.put(k)
		order = append(order, k)
		for g.live.Len() > window {
			if spread {
				g.del(g.liveKey())
			} else {
				for !g.live.Has(order[0]) {
					order = order[1:]
				}
				g.del(order[0])
				order = order[1:]
			}
		}
		if g.chance(0.02) {
			g.startBurst(g.between(4, 20))
		}
		if g.estB <= 3 && g.chance(0.2) {
			g.dump() // at small B a same-size growth lasts only a few writes
		}
		switch x := g.r.Float64(); {
		case x < 0.07:
			g.dump()
		case x < 0.12:
			g.step(g.ids[g.r.Intn(2)])
		case x < 0.13:
			g.iter(g.ids[g.r.Intn(2)])
		case x < 0.16:
			g.get()
		case x < 0.17:
			g.length()
		}
	}
	g.dump()
}

// clear_iter: many iterators and clears (mid-growth too); an iterator that
// was open across a clear of a non-empty map is declared again before it
// is stepped.
func genClearIter(g *gen) {
	g.hint(g.smallHint())
	g.space = uint64(g.between(20, 400))
	g.big = g.chance(0.15)
	nIt := g.between(3, 9)
	for i := 0; i < nIt; i++ {
		g.ids = append(g.ids, fmt.Sprintf("c%d", i))
	}
	n := g.between(1200, 2200)
	for i := 0; i < n; i++ {
		switch x := g.r.Float64(); {
		case x < 0.30:
			g.put(g.freshKey())
		case x < 0.38:
			if g.live.Len() > 0 {
				g.del(g.liveKey())
			}
		case x < 0.62:
			g.step(g.randomIter())
		case x < 0.69:
			g.iter(g.randomIter())
		case x < 0.72:
			g.clear()
			g.dump()
		case x < 0.74:
			// a burst of puts (into a growth), then a clear mid-way
			for j := g.between(5, 60); j > 0; j-- {
				g.put(g.freshKey())
			}
			g.dump()
			g.clear()
			g.dump()
			g.length()
		case x < 0.82:
			g.dump()
		case x < 0.90:
			g.get()
		default:
			g.length()
		}
	}
	g.dump()
}

// big: a few thousand keys (B stays well below 16), few dumps.
func genBig(g *gen) {
	target := g.between(1500, 6000)
	if g.chance(0.3) {
		g.hint(g.between(target/4, target*2))
	} else {
		g.hint(0)
	}
	g.space = uint64(target * g.between(2, 5))
	g.big = g.chance(0.3)
	g.ids = []string{"b0", "b1"}
	g.iter("b0")
	dumps := 0
	maybeDump := func(p float64) {
		if dumps < 12 && g.chance(p) {
			g.dump()
			dumps++
		}
	}
	for g.live.Len() < target {
		g.put(g.freshKey())
		if g.chance(0.01) {
			g.stepSome(g.randomIter(), g.between(1, 30))
		}
		if g.chance(0.02) {
			g.get()
		}
		maybeDump(0.002)
	}
	g.length()
	maybeDump(1)
	for i := g.between(target/4, target); i > 0; i-- {
		switch x := g.r.Float64(); {
		case x < 0.45:
			if g.live.Len() > 0 {
				g.del(g.liveKey())
			}
		case x < 0.85:
			g.put(g.freshKey())
			maybeDump(0.003)
		case x < 0.95:
			g.get()
		default:
			g.stepSome(g.randomIter(), g.between(1, 10))
		}
	}
	g.length()
	maybeDump(1)
}

// hint: start with a hint (B > 0 from the start, preallocated overflow
// buckets from B = 4 on), under- or over-fill it, clear and refill.
func genHint(g *gen) {
	var h int
	if g.chance(0.5) {
		edges := []int{1, 8, 9, 13, 14, 26, 27, 52, 53, 104, 105, 208, 209, 416, 417, 832, 833, 1664, 1665, 3328, 3329}
		h = edges[g.r.Intn(len(edges))]
	} else {
		h = g.between(0, 5000)
	}
	g.hint(h)
	g.dump()
	g.big = g.chance(0.2)
	g.space = uint64(h*2 + 50)
	g.ids = []string{"h0", "h1"}
	rounds := g.between(1, 3)
	for r := 0; r < rounds; r++ {
		fill := int(float64(h+1) * (0.2 + 1.8*g.r.Float64()))
		if fill > 6000 {
			fill = 6000
		}
		dumpEvery := fill/6 + 3
		for i := 0; g.live.Len() < fill; i++ {
			g.put(g.freshKey())
			if i%dumpEvery == dumpEvery-1 && (1<<hintB(h)) <= 256 {
				g.dump()
			}
			if g.chance(0.02) {
				g.step(g.randomIter())
			}
			if g.chance(0.05) {
				g.get()
			}
		}
		g.length()
		g.dump()
		for i := g.between(0, g.live.Len()); i > 0; i-- {
			g.del(g.liveKey())
			if g.chance(0.3) {
				g.put(g.freshKey())
			}
		}
		g.dump()
		if g.chance(0.7) {
			g.clear()
			g.dump()
		}
		g.iter(g.randomIter())
	}
	g.length()
	g.dump()
}

// mixed: everything at random.
func genMixed(g *gen) {
	g.hint(g.smallHint())
	g.space = uint64(g.between(8, 600))
	g.big = g.chance(0.2)
	for i := 0; i < g.between(1, 5); i++ {
		g.ids = append(g.ids, fmt.Sprintf("m%d", i))
	}
	n := g.between(800, 2000)
	for i := 0; i < n; i++ {
		switch x := g.r.Float64(); {
		case x < 0.30:
			g.put(g.key())
		case x < 0.50:
			if g.live.Len() > 0 && g.chance(0.8) {
				g.del(g.liveKey())
			} else {
				g.del(g.key())
			}
		case x < 0.60:
			g.get()
		case x < 0.63:
			g.length()
		case x < 0.78:
			g.step(g.randomIter())
		case x < 0.81:
			g.iter(g.randomIter())
		case x < 0.82:
			g.clear()
		default:
			if g.chance(0.4) {
				g.dump()
			}
		}
	}
	g.dump()
}
