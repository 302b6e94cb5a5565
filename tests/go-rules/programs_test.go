package gorules

// Random programs: a map, a range loop over it, and at the loop's yields
// bursts of writes chosen at random (puts, updates, deletes, re-adds,
// overflow churn, same-size growths, doublings, finishing a growth,
// emptying the map, clears, NaN puts, +0/-0 flips). The programs' random
// choices come from their seed; where keys land depends on Go's own random
// seeds too, so the tests assert only what holds for every run.

import (
	"math"
	"math/rand"
	"testing"
)

type action int

const (
	aPut      action = iota // a new key
	aUpdate                 // a new value for a key in the map
	aDelete                 // a key in the map
	aReAdd                  // a key deleted earlier
	aOverflow               // one overflow step (keys into one bucket, then deleted)
	aSameSize               // overflow steps up to a same-size growth
	aDouble                 // new keys up to a doubling
	aFinish                 // writes up to the end of the growth under way
	aEmpty                  // delete every key: a new seed
	aClear                  // the clear idiom (runtime.mapclear)
	aNaN                    // a NaN entry (float maps)
	aZero                   // +0 or -0, chosen at random (float maps)
	nActions
)

// mix is the shape of a family of programs.
type mix struct {
	hintMax   int           // make(map, rand(0..hintMax))
	initMax   int           // keys before the loop
	nanInit   int           // NaN entries before the loop (float maps)
	midGrowth float64       // chance that the loop starts during a growth
	act       float64       // chance of a burst at a yield
	burst     int           // most actions per burst
	budget    int           // most actions per program
	maxCount  int           // no puts of new keys beyond this many entries
	keepStart bool          // never delete or clear the keys present at the start
	w         [nActions]int // action weights
}

func (mx *mix) pick(r *rand.Rand) action {
	total := 0
	for _, w := range mx.w {
		total += w
	}
	n := r.Intn(total)
	for a, w := range mx.w {
		if n < w {
			return action(a)
		}
		n -= w
	}
	panic("unreachable")
}

// program runs one random program on a fresh map and returns its tracker.
func program[K comparable](r *rand.Rand, mx *mix, gen func(*rand.Rand) K, clearFn func(map[K]uint64)) *tracker[K] {
	l := newLab(r, r.Intn(mx.hintMax+1), gen, clearFn)
	n := r.Intn(mx.initMax + 1)
	for i := 0; i < n; i++ {
		l.put(l.fresh())
	}
	for i := 0; i < mx.nanInit; i++ {
		l.putNaN()
	}
	if r.Float64() < mx.midGrowth {
		if r.Intn(2) == 0 {
			l.sameSizeGrowth(-1, nil)
		} else {
			l.doubling(mx.maxCount)
		}
	}
	start := map[uint64]bool{}
	for _, id := range l.tr.model.ids() {
		start[id] = true
	}
	budget := mx.budget
	l.tr.begin()
	for k, v := range l.m {
		l.tr.yield(k, v)
		if budget <= 0 || r.Float64() >= mx.act {
			continue
		}
		for i := 1 + r.Intn(mx.burst); i > 0 && budget > 0; i-- {
			budget--
			l.step(mx, mx.pick(r), start)
		}
	}
	l.tr.end()
	return l.tr
}

// step runs one action; start holds the keys the loop started with.
func (l *lab[K]) step(mx *mix, a action, start map[uint64]bool) {
	h := l.h
	room := h.Count < mx.maxCount
	// A key in the map that the action may delete (none: ok false).
	deletable := func() (K, bool) {
		var zero K
		n := l.tr.model.len()
		for tries := 0; tries < 8 && n > 0; tries++ {
			k := l.tr.model.key(l.rng.Intn(n))
			if id, _ := identity(k); !mx.keepStart || !start[id] {
				return k, true
			}
		}
		return zero, false
	}
	switch a {
	case aPut:
		if room {
			l.put(l.fresh())
		}
	case aUpdate:
		if l.tr.model.len() > 0 {
			l.put(l.randomLive())
		}
	case aDelete:
		if k, ok := deletable(); ok {
			l.del(k)
		}
	case aReAdd:
		if len(l.gone) > 0 && room {
			k := l.gone[l.rng.Intn(len(l.gone))]
			if !l.has(k) {
				l.put(k)
			}
		}
	case aOverflow:
		if room {
			l.overflowStep(nil)
		}
	case aSameSize:
		if room {
			l.sameSizeGrowth(-1, nil)
		}
	case aDouble:
		l.doubling(mx.maxCount)
	case aFinish:
		l.finishGrowth()
	case aEmpty:
		if !mx.keepStart {
			l.empty()
		}
	case aClear:
		if !mx.keepStart {
			l.clear()
		}
	case aNaN:
		if room {
			l.putNaN()
		}
	case aZero:
		var z any = math.Copysign(0, float64(1-2*l.rng.Intn(2)))
		l.put(z.(K))
	}
}

// summary gathers the outcome of a test's trials.
type summary struct {
	built int // trials whose scenario came out as planned
	c     counts
	viol  []violation
	log   []string // the first failing trial's events (GO_RULES_TRACE=1)
}

func gather[K comparable](s *summary, tr *tracker[K], built bool) {
	if built {
		s.built++
	}
	s.c.add(tr.c)
	if len(tr.viol) > 0 && len(s.viol) == 0 {
		s.log = tr.log
	}
	s.viol = append(s.viol, tr.viol...)
}

// runPrograms runs trials random programs of one family from seed.
func runPrograms[K comparable](s *summary, seed int64, trials int, mx mix, gen func(*rand.Rand) K, clearFn func(map[K]uint64)) {
	r := rand.New(rand.NewSource(seed))
	for i := 0; i < trials; i++ {
		gather(s, program(r, &mx, gen, clearFn), true)
	}
}

// weights builds an action-weight table.
func weights(w map[action]int) [nActions]int {
	var t [nActions]int
	for a, n := range w {
		t[a] = n
	}
	return t
}

func withWeights(mx mix, more map[action]int) mix {
	for a, n := range more {
		mx.w[a] += n
	}
	return mx
}

// mustHold logs the counts and fails on every violation.
func mustHold(t *testing.T, s *summary) {
	t.Helper()
	t.Logf("%v", s.c)
	for i, v := range s.viol {
		if i == 10 {
			t.Errorf("... and %d more", len(s.viol)-i)
			break
		}
		t.Errorf("%s: %s", v.rule, v.msg)
	}
	if len(s.log) > 0 {
		t.Logf("events of the first failing trial:")
		for _, l := range s.log {
			t.Log(l)
		}
	} else if len(s.viol) > 0 && !traceEvents {
		t.Logf("(GO_RULES_TRACE=1 prints the events of the first failing trial)")
	}
}
