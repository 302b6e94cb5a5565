// Command gomap-bench runs bench/map_bench.cc's workloads on the Go 1.19
// runtime map, with the same keys (bench/keys.h describes how they are
// made), and prints one line per workload and size:
//
//	go WORKLOAD SIZE NS_PER_OP_CPU NS_PER_OP_WALL
//
// Times are process CPU time (as Google Benchmark's default, and counting
// the collector's background work), taken from the run that lasted at
// least -mintime, its iteration count found as Google Benchmark finds it.
//
//	gomap-bench [-workloads insert,get_hit,...] [-sizes 1024,...] [-mintime 0.25] [-warmup 0.1]
//	gomap-bench -memory   heap bytes of maps built by the insert workload
//	gomap-bench -keys     fingerprints of the key sets (must match map_bench --keys)
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

const (
	keySeed     = 1
	missSeed    = 2
	freshSeed   = 3
	shuffleSeed = 4
	stringSeed  = 5
)

func splitmix64(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func u64Keys(n int, seed uint64) []uint64 {
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = splitmix64(&seed)
	}
	return keys
}

func stringKeys(n int, seed uint64) []string {
	keys := make([]string, n)
	for i := range keys {
		l := 16 + int(splitmix64(&seed)%17)
		b := make([]byte, l)
		for j := 0; j < l; j += 8 {
			r := splitmix64(&seed)
			for k := j; k < l && k < j+8; k++ {
				b[k] = byte('a' + (r&0xff)%26)
				r >>= 8
			}
		}
		keys[i] = string(b)
	}
	return keys
}

func shuffled[T any](keys []T) []T {
	out := append([]T(nil), keys...)
	s := uint64(shuffleSeed)
	for i := len(out); i > 1; i-- {
		j := splitmix64(&s) % uint64(i)
		out[i-1], out[j] = out[j], out[i-1]
	}
	return out
}

// ---- timing -------------------------------------------------------------------

// cpuNow is the process CPU time (CLOCK_PROCESS_CPUTIME_ID, Google
// Benchmark's clock): all threads, so the collector's work counts.
func cpuNow() time.Duration {
	var ts syscall.Timespec
	const clockProcessCPUTimeID = 2
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(e)
	}
	return time.Duration(ts.Nano())
}

// clock accumulates the time between start and stop, as Google Benchmark's
// PauseTiming/ResumeTiming do.
type clock struct {
	cpu, wall   time.Duration
	cpu0, wall0 time.Duration
	epoch       time.Time
}

func (c *clock) start() {
	c.cpu0 = cpuNow()
	c.wall0 = time.Since(c.epoch)
}

func (c *clock) stop() {
	c.cpu += cpuNow() - c.cpu0
	c.wall += time.Since(c.epoch) - c.wall0
}

// measure calls run(iters, clock), which starts and stops the clock and
// returns the operations it did, growing iters until one run reaches
// minTime; that run is the result. A warm-up, done the same way for
// warmup and discarded, comes first (Google Benchmark's min_warmup_time).
func measure(minTime, warmup time.Duration, run func(iters int, c *clock) int) (cpuNs, wallNs float64) {
	if warmup > 0 {
		grow(warmup, run)
	}
	return grow(minTime, run)
}

func grow(minTime time.Duration, run func(iters int, c *clock) int) (cpuNs, wallNs float64) {
	iters := 1
	for {
		c := clock{epoch: time.Now()}
		ops := run(iters, &c)
		if c.cpu >= minTime || iters >= 1e9 {
			return float64(c.cpu) / float64(ops), float64(c.wall) / float64(ops)
		}
		mult := 10.0
		if c.cpu > 0 {
			if m := 1.4 * float64(minTime) / float64(c.cpu); m < mult {
				mult = m
			}
		}
		if mult < 1.1 {
			mult = 1.1
		}
		iters = int(float64(iters)*mult) + 1
	}
}

// ---- workloads ------------------------------------------------------------------

var sink uint64

func build(keys []uint64) map[uint64]uint64 {
	m := make(map[uint64]uint64)
	for i, k := range keys {
		m[k] = uint64(i)
	}
	return m
}

func buildStrings(keys []string) map[string]uint64 {
	m := make(map[string]uint64)
	for i, k := range keys {
		m[k] = uint64(i)
	}
	return m
}

type workload func(n int) func(iters int, c *clock) int

// Lookups of the keys q, all present in m, in q's order: v := m[k].
// str_get repeats this loop for string keys rather than sharing a generic
// one: Go 1.19 compiles a generic function's map lookups to the generic
// runtime call, not the fast path a concrete map type gets.
func getHit(m map[uint64]uint64, q []uint64) func(int, *clock) int {
	mask := len(q) - 1
	return func(iters int, c *clock) int {
		var sum uint64
		i := 0
		c.start()
		for it := 0; it < iters; it++ {
			sum += m[q[i]]
			i = (i + 1) & mask
		}
		c.stop()
		sink += sum
		return iters
	}
}

// The same with the comma-ok form, v, ok := m[k] (mapaccess2): what a C++
// find and a comparison with end() answer.
func findHit(m map[uint64]uint64, q []uint64) func(int, *clock) int {
	mask := len(q) - 1
	return func(iters int, c *clock) int {
		var sum uint64
		i := 0
		c.start()
		for it := 0; it < iters; it++ {
			if v, ok := m[q[i]]; ok {
				sum += v
			}
			i = (i + 1) & mask
		}
		c.stop()
		sink += sum
		return iters
	}
}

var workloads = map[string]workload{
	"insert": func(n int) func(int, *clock) int {
		keys := u64Keys(n, keySeed)
		return func(iters int, c *clock) int {
			c.start()
			for it := 0; it < iters; it++ {
				m := make(map[uint64]uint64)
				for i, k := range keys {
					m[k] = uint64(i)
				}
				sink += uint64(len(m))
			}
			c.stop()
			return iters * n
		}
	},
	"get_hit": func(n int) func(int, *clock) int {
		return getHit(build(u64Keys(n, keySeed)), shuffled(u64Keys(n, keySeed)))
	},
	"get_hit_seq": func(n int) func(int, *clock) int {
		keys := u64Keys(n, keySeed)
		return getHit(build(keys), keys)
	},
	"find_hit": func(n int) func(int, *clock) int {
		return findHit(build(u64Keys(n, keySeed)), shuffled(u64Keys(n, keySeed)))
	},
	"find_hit_seq": func(n int) func(int, *clock) int {
		keys := u64Keys(n, keySeed)
		return findHit(build(keys), keys)
	},
	"get_miss": func(n int) func(int, *clock) int {
		m := build(u64Keys(n, keySeed))
		q := u64Keys(n, missSeed)
		mask := n - 1
		return func(iters int, c *clock) int {
			found := 0
			i := 0
			c.start()
			for it := 0; it < iters; it++ {
				if _, ok := m[q[i]]; ok {
					found++
				}
				i = (i + 1) & mask
			}
			c.stop()
			if found != 0 {
				panic("a missing key was found")
			}
			return iters
		}
	},
	"iterate": func(n int) func(int, *clock) int {
		m := build(u64Keys(n, keySeed))
		return func(iters int, c *clock) int {
			var sum uint64
			c.start()
			for it := 0; it < iters; it++ {
				for _, v := range m {
					sum += v
				}
			}
			c.stop()
			sink += sum
			return iters * n
		}
	},
	"churn": func(n int) func(int, *clock) int {
		ring := u64Keys(n, keySeed)
		m := build(ring)
		pos, fresh, mask := 0, uint64(freshSeed), n-1
		return func(iters int, c *clock) int {
			c.start()
			for it := 0; it < iters; it++ {
				delete(m, ring[pos])
				k := splitmix64(&fresh)
				m[k] = k
				ring[pos] = k
				pos = (pos + 1) & mask
			}
			c.stop()
			if len(m) != n {
				panic("churn changed the size")
			}
			return iters
		}
	},
	"delete_all": func(n int) func(int, *clock) int {
		keys := u64Keys(n, keySeed)
		q := shuffled(keys)
		return func(iters int, c *clock) int {
			for it := 0; it < iters; it++ {
				m := build(keys)
				c.start()
				for _, k := range q {
					delete(m, k)
				}
				c.stop()
			}
			return iters * n
		}
	},
	"str_insert": func(n int) func(int, *clock) int {
		keys := stringKeys(n, stringSeed)
		return func(iters int, c *clock) int {
			c.start()
			for it := 0; it < iters; it++ {
				m := make(map[string]uint64)
				for i, k := range keys {
					m[k] = uint64(i)
				}
				sink += uint64(len(m))
			}
			c.stop()
			return iters * n
		}
	},
	"str_get": func(n int) func(int, *clock) int {
		keys := stringKeys(n, stringSeed)
		m := buildStrings(keys)
		// Lookup keys are copies, as they are in C++ (where the map owns
		// its keys): the same string headers would let Go skip the
		// comparison of the bytes on pointer equality.
		q := shuffled(keys)
		for i := range q {
			q[i] = strings.Clone(q[i])
		}
		mask := n - 1
		return func(iters int, c *clock) int {
			var sum uint64
			i := 0
			c.start()
			for it := 0; it < iters; it++ {
				sum += m[q[i]]
				i = (i + 1) & mask
			}
			c.stop()
			sink += sum
			return iters
		}
	},
}

var workloadOrder = []string{"insert", "get_hit", "get_hit_seq", "find_hit", "find_hit_seq", "get_miss", "iterate", "churn", "delete_all", "str_insert", "str_get"}

// ---- memory and key fingerprints --------------------------------------------------

// hmap's leading fields (runtime/map.go, Go 1.19), read to report B.
type hmap struct {
	count     int
	flags     uint8
	B         uint8
	noverflow uint16
}

func printMemory(sizes []int) {
	var before, after runtime.MemStats
	for _, n := range sizes {
		keys := u64Keys(n, keySeed)
		runtime.GC()
		runtime.ReadMemStats(&before)
		m := build(keys)
		runtime.GC()
		runtime.ReadMemStats(&after)
		h := *(**hmap)(unsafe.Pointer(&m))
		fmt.Printf("gomem %d %d %d\n", n, h.B, after.HeapAlloc-before.HeapAlloc)
		// Deleting every key frees nothing: the buckets stay until the map
		// is dropped (Go has no shrink).
		for _, k := range keys {
			delete(m, k)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		fmt.Printf("gomemdel %d %d\n", n, after.HeapAlloc-before.HeapAlloc)
		runtime.KeepAlive(m)
		runtime.KeepAlive(keys) // else collected between the readings
	}
}

// fnv1a over the keys' bytes (u64 keys little-endian).
func fingerprint(sizes []int) {
	for _, n := range sizes {
		h := uint64(0xcbf29ce484222325)
		add := func(b byte) { h = (h ^ uint64(b)) * 0x100000001b3 }
		for _, set := range [][]uint64{u64Keys(n, keySeed), shuffled(u64Keys(n, keySeed)), u64Keys(n, missSeed), u64Keys(4, freshSeed)} {
			for _, k := range set {
				for i := 0; i < 8; i++ {
					add(byte(k >> (8 * i)))
				}
			}
		}
		for _, s := range shuffled(stringKeys(n, stringSeed)) {
			for i := 0; i < len(s); i++ {
				add(s[i])
			}
		}
		fmt.Printf("keys %d %016x\n", n, h)
	}
}

func main() {
	names := flag.String("workloads", strings.Join(workloadOrder, ","), "comma-separated workloads")
	sizeList := flag.String("sizes", "1024,131072,1048576", "comma-separated map sizes (powers of two)")
	minTime := flag.Float64("mintime", 0.25, "seconds of CPU time the measured run must reach")
	warmup := flag.Float64("warmup", 0, "seconds of CPU time to run first, unmeasured")
	memory := flag.Bool("memory", false, "print heap bytes of maps built by the insert workload")
	keys := flag.Bool("keys", false, "print key set fingerprints")
	flag.Parse()

	var sizes []int
	for _, s := range strings.Split(*sizeList, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n&(n-1) != 0 {
			fmt.Fprintf(os.Stderr, "gomap-bench: bad size %q\n", s)
			os.Exit(2)
		}
		sizes = append(sizes, n)
	}
	if *memory {
		printMemory(sizes)
		return
	}
	if *keys {
		fingerprint(sizes)
		return
	}
	for _, name := range strings.Split(*names, ",") {
		w, ok := workloads[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "gomap-bench: unknown workload %q\n", name)
			os.Exit(2)
		}
		for _, n := range sizes {
			cpu, wall := measure(time.Duration(*minTime*float64(time.Second)),
				time.Duration(*warmup*float64(time.Second)), w(n))
			fmt.Printf("go %s %d %.3f %.3f\n", name, n, cpu, wall)
			runtime.GC()
		}
	}
}
