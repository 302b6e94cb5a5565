// Command gosync-bench runs bench/sync_bench.cc's mixes on Go 1.19's
// sync.Map, with the same keys and the same operation sequences
// (bench/README.md defines the mixes), and prints one line per run:
//
//	sync go MIX THREADS OPS_PER_S BACKGROUND_OPS_PER_S
//
// Every goroutine runs its operations until a shared deadline, checking
// the clock every batch operations (every Range call in the Range mix):
// a warm-up first, then the measured span. OPS_PER_S is the sum over the
// goroutines of operations per second of wall time; in the Range mix it
// is the entries the ranging goroutine visits per second, and
// BACKGROUND_OPS_PER_S the Load/Store operations per second of the
// others (0 in the other mixes). Run it with GOMAXPROCS equal to -threads.
//
//	gosync-bench [-mix M] [-threads N] [-time S] [-warmup S]
//	gosync-bench -check   fingerprints of the keys and of each mix's first
//	                      operations (must match sync_bench --check)
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const (
	keySeed  = 1     // bench/keys.h's kKeySeed
	nKeys    = 1024  // the key set: theKeys()
	opSeed   = 0x100 // goroutine t draws from splitmix64 seeded opSeed + t
	batch    = 64    // operations between two looks at the clock
	checkOps = 100000
)

// rng is bench/keys.h's splitmix64 generator; its state is the seed.
type rng uint64

func (s *rng) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// theKeys is bench/keys.h's u64_keys(kKeys, kKeySeed).
func theKeys() []uint64 {
	s, keys := rng(keySeed), make([]uint64, nKeys)
	for i := range keys {
		keys[i] = s.next()
	}
	return keys
}

// ---- the mixes ----------------------------------------------------------------

// One draw r = splitmix64(state) per operation: the key is keys[r % nKeys],
// the operation is chosen by (r >> 32) % 100 against the cumulative
// percentages (Load, Store, Delete, LoadOrStore, in that order), and a
// stored value is r itself.
type op int

const (
	opLoad op = iota
	opStore
	opDelete
	opLoadOrStore
)

type mix struct {
	name                          string
	load, store, del, loadOrStore uint64
}

// The Range mix: goroutine 0 ranges over the whole map again and again;
// the others run the range mix's operations meanwhile.
var mixes = []mix{
	{"read_mostly", 99, 1, 0, 0},
	{"write_heavy", 25, 50, 25, 0},
	{"load_or_store", 0, 0, 10, 90},
	{"range", 50, 50, 0, 0},
}

func (m *mix) pick(r uint64) op {
	c := (r >> 32) % 100
	switch {
	case c < m.load:
		return opLoad
	case c < m.load+m.store:
		return opStore
	case c < m.load+m.store+m.del:
		return opDelete
	}
	return opLoadOrStore
}

// ---- one measurement -------------------------------------------------------------

type deadlines struct{ measure, stop time.Time }

func doOp(m *sync.Map, o op, k, r uint64) uint64 {
	switch o {
	case opLoad:
		if v, ok := m.Load(k); ok {
			return v.(uint64)
		}
	case opStore:
		m.Store(k, r)
	case opDelete:
		m.Delete(k)
	case opLoadOrStore:
		v, _ := m.LoadOrStore(k, r)
		return v.(uint64)
	}
	return 0
}

// runOps runs mx until the deadlines pass; the operations of the measured
// span per second, and the sum of the values read.
func runOps(m *sync.Map, keys []uint64, mx *mix, t int, d deadlines) (float64, uint64) {
	state := rng(opSeed + t)
	var sum, n uint64
	step := func() {
		for i := 0; i < batch; i++ {
			r := state.next()
			sum += doOp(m, mx.pick(r), keys[r%nKeys], r)
		}
	}
	for time.Now().Before(d.measure) {
		step()
	}
	t0 := time.Now()
	var t1 time.Time
	for {
		step()
		n += batch
		if t1 = time.Now(); !t1.Before(d.stop) {
			break
		}
	}
	return float64(n) / t1.Sub(t0).Seconds(), sum
}

// runRange ranges over the whole map until the deadlines pass; entries
// visited per second of the measured span.
func runRange(m *sync.Map, d deadlines) (float64, uint64) {
	var sum, n uint64
	pass := func() {
		m.Range(func(_, v any) bool {
			sum += v.(uint64)
			n++
			return true
		})
	}
	for time.Now().Before(d.measure) {
		pass()
	}
	n = 0
	t0 := time.Now()
	var t1 time.Time
	for {
		pass()
		if t1 = time.Now(); !t1.Before(d.stop) {
			break
		}
	}
	return float64(n) / t1.Sub(t0).Seconds(), sum
}

var sink uint64

func measure(keys []uint64, mx *mix, threads int, warmup, seconds time.Duration) (main, background float64) {
	var m sync.Map
	for i, k := range keys {
		m.Store(k, uint64(i))
	}
	m.Range(func(_, _ any) bool { return true }) // promotes the dirty map, as in C++
	isRange := mx.name == "range"
	rates := make([]float64, threads)
	start := time.Now().Add(5 * time.Millisecond)
	d := deadlines{start.Add(warmup), start.Add(warmup + seconds)}
	var wg sync.WaitGroup
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			for time.Now().Before(start) {
			}
			var s uint64
			if isRange && t == 0 {
				rates[t], s = runRange(&m, d)
			} else {
				rates[t], s = runOps(&m, keys, mx, t, d)
			}
			atomic.AddUint64(&sink, s)
		}(t)
	}
	wg.Wait()
	for t, r := range rates {
		if isRange && t != 0 {
			background += r
		} else {
			main += r
		}
	}
	return main, background
}

// ---- -check ------------------------------------------------------------------------

func fnv(h, x uint64) uint64 {
	for i := 0; i < 8; i++ {
		h = (h ^ (x & 0xff)) * 0x100000001b3
		x >>= 8
	}
	return h
}

func printCheck(keys []uint64) {
	h := uint64(0xcbf29ce484222325)
	for _, k := range keys {
		h = fnv(h, k)
	}
	fmt.Printf("keys %d %016x\n", len(keys), h)
	for i := range mixes {
		for t := 0; t < 2; t++ {
			state, f := rng(opSeed+t), uint64(0xcbf29ce484222325)
			for j := 0; j < checkOps; j++ {
				r := state.next()
				f = fnv(fnv(f, uint64(mixes[i].pick(r))), keys[r%nKeys])
			}
			fmt.Printf("ops %s thread %d %016x\n", mixes[i].name, t, f)
		}
	}
}

func usageError(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "gosync-bench: "+format+"\n", a...)
	flag.Usage()
	os.Exit(2)
}

func main() {
	mixName := flag.String("mix", "read_mostly", "read_mostly, write_heavy, load_or_store or range")
	threads := flag.Int("threads", 1, "goroutines (run with GOMAXPROCS equal to this)")
	seconds := flag.Float64("time", 0.4, "seconds measured")
	warmup := flag.Float64("warmup", 0.1, "seconds of warm-up before")
	check := flag.Bool("check", false, "print the fingerprints of the keys and operation sequences")
	flag.Parse()
	if flag.NArg() != 0 {
		usageError("unexpected argument %q", flag.Arg(0))
	}
	keys := theKeys()
	if *check {
		printCheck(keys)
		return
	}
	var mx *mix
	for i := range mixes {
		if mixes[i].name == *mixName {
			mx = &mixes[i]
		}
	}
	if mx == nil {
		usageError("unknown mix %q (read_mostly, write_heavy, load_or_store, range)", *mixName)
	}
	if *threads < 1 || *threads > 1024 {
		usageError("-threads wants 1..1024, not %d", *threads)
	}
	for _, s := range []float64{*seconds, *warmup} {
		if !(s > 0) || s > 600 {
			usageError("-time and -warmup want seconds in (0, 600], not %g", s)
		}
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	main, background := measure(keys, mx, *threads, sec(*warmup), sec(*seconds))
	fmt.Printf("sync go %s %d %.0f %.0f\n", mx.name, *threads, main, background)
}
