// Command flood-bench runs bench/flood_bench.cc's hash-flooding workloads
// on the Go 1.19 runtime map, with the same keys and the same hashes: the
// map types below get their hasher replaced, so the runtime's own
// mapassign, mapaccess and mapdelete see the colliding hashes an attacker
// who controls the hash would give them.
//
//	flood-bench [-workloads insert,get_hit,get_miss,delete] [-modes one,few]
//	            [-sizes 64,256,...] [-mintime 0.1]
//	flood-bench -memory   B, overflow buckets and heap bytes of each map built
//	flood-bench -keys     a fingerprint of the key sets
//
// Output, one line per measurement (process CPU time, the collector's
// work included, per operation):
//
//	go WORKLOAD MODE N NS_PER_OP
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// The colliding hashes (bench/flood_bench.cc uses the same): mode "one"
// sends every key to one bucket with one tophash; mode "few" to one of
// eight buckets by the key's low three bits (eight hashes that differ only
// there).
const (
	oneHash = 0x6a09e667f3bcc908
	fewBase = 0xbb67ae8584caa738 &^ 7
)

func oneHasher(unsafe.Pointer, uintptr) uintptr { return oneHash }

func fewHasher(p unsafe.Pointer, _ uintptr) uintptr {
	return fewBase | uintptr(*(*uint64)(p)&7)
}

// maptype mirrors runtime.maptype (runtime/type.go, Go 1.19): its _type
// header (48 bytes on 64-bit targets), then the key, elem and bucket type
// pointers, then the hasher the map functions call.
type maptype struct {
	typ               [48]byte
	key, elem, bucket unsafe.Pointer
	hasher            func(unsafe.Pointer, uintptr) uintptr
	keysize, elemsize uint8
	bucketsize        uint16
	flags             uint32
}

// hmap's leading fields (runtime/map.go, Go 1.19).
type hmap struct {
	count     int
	flags     uint8
	B         uint8
	noverflow uint16
	hash0     uint32
	buckets   unsafe.Pointer
}

func header(m map[uint64]uint64) *hmap { return *(**hmap)(unsafe.Pointer(&m)) }

// installHasher makes every map[uint64]uint64 hash with h. The maptype is
// the type word of an interface holding such a map; it lives in the
// binary's read-only data, so its page is made writable first. (Only
// non-generic code is used: Go 1.19 compiles a generic function's map
// operations with its shape type's maptype, not the instantiated one's.)
func installHasher(h func(unsafe.Pointer, uintptr) uintptr) {
	var i any = map[uint64]uint64(nil)
	mt := *(**maptype)(unsafe.Pointer(&i))
	if mt.keysize != 8 || mt.elemsize != 8 || mt.bucketsize != 144 {
		fail("map[uint64]uint64's maptype is not Go 1.19's (keysize %d, elemsize %d, bucketsize %d)",
			mt.keysize, mt.elemsize, mt.bucketsize)
	}
	page := uintptr(os.Getpagesize())
	off := uintptr(unsafe.Pointer(mt)) & (page - 1)
	length := (off + unsafe.Sizeof(*mt) + page - 1) &^ (page - 1)
	mem := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(mt), -int(off))), length)
	if err := syscall.Mprotect(mem, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		fail("cannot make the maptype writable: %v", err)
	}
	mt.hasher = h
	checkHasher(h)
}

// checkHasher confirms that the runtime hashes with h: in a map of 16
// buckets, 16 keys that h gives one hash fill that hash's bucket (a real
// hash spreads them).
func checkHasher(h func(unsafe.Pointer, uintptr) uintptr) {
	probe := make(map[uint64]uint64, 64)
	for k := uint64(0); k < 16; k++ {
		probe[k*8] = 1
	}
	var zero uint64
	hash := h(unsafe.Pointer(&zero), 0)
	top := uint8(hash >> 56)
	if top < 5 { // minTopHash
		top += 5
	}
	hm := header(probe)
	b := (*[8]uint8)(unsafe.Add(hm.buckets, (hash&(1<<hm.B-1))*144))
	if hm.B != 4 || *b != [8]uint8{top, top, top, top, top, top, top, top} {
		fail("the runtime does not hash map[uint64]uint64 with the replaced hasher")
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "flood-bench: "+format+"\n", args...)
	os.Exit(2)
}

// ---- keys (bench/keys.h: splitmix64 from a seed; Fisher-Yates order) ----

type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := (uint64(*s) ^ uint64(*s)>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func keys(n int, seed splitmix) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = seed.next()
	}
	return out
}

// lookupOrder is bench/keys.h's shuffled(): j = next() % (i+1), downwards.
func lookupOrder(in []uint64) []uint64 {
	out := append([]uint64(nil), in...)
	s := splitmix(4)
	for i := len(out) - 1; i > 0; i-- {
		j := s.next() % uint64(i+1)
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// ---- timing ----

var sink uint64 // what a measured loop computed, kept

// cpu is the process CPU time (all threads: the collector's work counts).
func cpu() time.Duration {
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 2 /* CLOCK_PROCESS_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// measure runs round (one pass over the keys, returning the CPU time it
// measured and its operations) once unmeasured, then until minTime of
// measured time is spent.
func measure(minTime time.Duration, round func() (time.Duration, int)) float64 {
	round()
	var spent time.Duration
	ops := 0
	for spent < minTime {
		d, n := round()
		spent += d
		ops += n
	}
	return float64(spent.Nanoseconds()) / float64(ops)
}

// build puts the keys into a new map, each with its index as the value.
func build(ks []uint64) (m map[uint64]uint64) {
	m = map[uint64]uint64{}
	for i := range ks {
		m[ks[i]] = uint64(i)
	}
	return m
}

// workload returns one round of the named workload over n keys.
func workload(name string, n int) func() (time.Duration, int) {
	present := keys(n, 1)
	order := lookupOrder(present)
	switch name {
	case "insert":
		return func() (time.Duration, int) {
			t := cpu()
			m := build(present)
			d := cpu() - t
			sink += uint64(len(m))
			return d, n
		}
	case "get_hit", "get_miss":
		m, q := build(present), order
		if name == "get_miss" {
			q = keys(n, 2)
		}
		return func() (time.Duration, int) {
			var sum uint64
			t := cpu()
			for _, k := range q {
				sum += m[k]
			}
			d := cpu() - t
			if name == "get_miss" && sum != 0 {
				fail("get_miss found a key")
			}
			sink += sum
			return d, n
		}
	case "delete":
		return func() (time.Duration, int) {
			m := build(present)
			t := cpu()
			for _, k := range order {
				delete(m, k)
			}
			d := cpu() - t
			if len(m) != 0 {
				fail("delete left %d keys", len(m))
			}
			return d, n
		}
	}
	fail("unknown workload %q (insert, get_hit, get_miss, delete)", name)
	return nil
}

func memory(mode string, n int) {
	var before, after runtime.MemStats
	ks := keys(n, 1)
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := build(ks)
	runtime.GC()
	runtime.ReadMemStats(&after)
	h := header(m)
	fmt.Printf("mem go %s %d %d %d %d\n", mode, n, h.B, h.noverflow, int64(after.HeapAlloc)-int64(before.HeapAlloc))
	runtime.KeepAlive(m)
	runtime.KeepAlive(ks)
}

// fingerprint: fnv1a over the present keys in lookup order, then the
// absent ones, each little-endian.
func fingerprint(n int) {
	h := uint64(0xcbf29ce484222325)
	for _, k := range append(lookupOrder(keys(n, 1)), keys(n, 2)...) {
		for i := 0; i < 64; i += 8 {
			h = (h ^ (k>>i)&0xff) * 0x100000001b3
		}
	}
	fmt.Printf("keys %d %016x\n", n, h)
}

func list(s string) []string { return strings.Split(s, ",") }

func main() {
	workloads := flag.String("workloads", "insert,get_hit,get_miss,delete", "comma-separated workloads")
	modes := flag.String("modes", "one,few", "comma-separated hash modes: one (every key one hash), few (eight hashes)")
	sizes := flag.String("sizes", "64,256,1024,4096,16384", "comma-separated key counts")
	minTime := flag.Float64("mintime", 0.1, "seconds of CPU time each measurement spends at least")
	mem := flag.Bool("memory", false, "print each map's B, overflow buckets and heap bytes")
	fp := flag.Bool("keys", false, "print key set fingerprints")
	flag.Parse()
	var ns []int
	for _, s := range list(*sizes) {
		var n int
		var rest string
		if c, _ := fmt.Sscanf(s+"$", "%d%s", &n, &rest); c != 2 || rest != "$" || n <= 0 {
			fail("bad size %q (a positive key count)", s)
		}
		ns = append(ns, n)
	}
	if *fp {
		for _, n := range ns {
			fingerprint(n)
		}
		return
	}
	if *mem {
		*workloads = "memory"
	}
	for _, w := range list(*workloads) {
		for _, mode := range list(*modes) {
			for _, n := range ns {
				run(w, mode, n, time.Duration(*minTime*float64(time.Second)))
			}
		}
	}
}

var hashers = map[string]func(unsafe.Pointer, uintptr) uintptr{"one": oneHasher, "few": fewHasher}

// run measures one workload (or, for "memory", builds one map) in one mode.
func run(w, mode string, n int, minTime time.Duration) {
	h, ok := hashers[mode]
	if !ok {
		fail("unknown mode %q (one, few)", mode)
	}
	installHasher(h)
	if w == "memory" {
		memory(mode, n)
	} else {
		fmt.Printf("go %s %s %d %.3f\n", w, mode, n, measure(minTime, workload(w, n)))
	}
	runtime.GC()
}
