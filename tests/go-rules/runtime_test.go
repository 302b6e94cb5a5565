package gorules

// Read-only views of the Go 1.19 runtime's map structures, reached through
// unsafe, for map[uint64]uint64 and map[float64]uint64 (both: 8-byte keys
// and values, buckets without pointers). The layouts are those of Go 1.19
// (runtime/map.go, runtime/type.go) on a 64-bit target; checkRuntime
// verifies them against the running program before any test runs.

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"unsafe"
)

const (
	bucketCnt  = 8   // slots per bucket
	bucketSize = 144 // tophash [8]uint8, 8 keys, 8 values, overflow pointer

	// tophash states (runtime/map.go)
	emptyOne       = 1 // this slot is empty
	evacuatedX     = 2 // entry valid, evacuated to the first half (or the same index)
	evacuatedY     = 3 // entry valid, evacuated to the second half
	evacuatedEmpty = 4 // slot empty, bucket evacuated
	minTopHash     = 5

	// hmap.flags bits
	flagSameSizeGrow = 8
)

// hmapView mirrors runtime.hmap.
type hmapView struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

func (h *hmapView) growing() bool      { return h.oldbuckets != nil }
func (h *hmapView) sameSizeGrow() bool { return h.flags&flagSameSizeGrow != 0 }

// noldbuckets is the number of buckets of the array being evacuated.
func (h *hmapView) noldbuckets() uintptr {
	if h.sameSizeGrow() {
		return 1 << h.B
	}
	return 1 << (h.B - 1)
}

// oldEvacuated reports whether old bucket i of the growth under way has been
// evacuated (runtime evacuated(): tophash[0] is one of the evacuated states).
func (h *hmapView) oldEvacuated(i uintptr) bool {
	top := bucketAt(h.oldbuckets, i).tophash[0]
	return top > emptyOne && top < minTopHash
}

// bmapView mirrors the bucket of both map types: the keys are read as their
// 64-bit patterns.
type bmapView struct {
	tophash  [bucketCnt]uint8
	keys     [bucketCnt]uint64
	elems    [bucketCnt]uint64
	overflow unsafe.Pointer
}

func bucketAt(array unsafe.Pointer, i uintptr) *bmapView {
	return (*bmapView)(unsafe.Add(array, i*bucketSize))
}

// typeView mirrors runtime._type.
type typeView struct {
	size       uintptr
	ptrdata    uintptr
	hash       uint32
	tflag      uint8
	align      uint8
	fieldAlign uint8
	kind       uint8
	equal      unsafe.Pointer
	gcdata     unsafe.Pointer
	str        int32
	ptrToThis  int32
}

// maptypeView mirrors runtime.maptype.
type maptypeView struct {
	typ        typeView
	key        unsafe.Pointer
	elem       unsafe.Pointer
	bucket     unsafe.Pointer
	hasher     func(unsafe.Pointer, uintptr) uintptr
	keysize    uint8
	elemsize   uint8
	bucketsize uint16
	flags      uint32
}

// maptype flags (runtime/type.go)
const (
	mtReflexiveKey  = 4
	mtNeedKeyUpdate = 8
)

type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(i any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&i)).typ }

// mapTypeOf is the runtime's maptype of M (the type word of an interface
// holding such a map: the pointer the compiler passes to the map functions).
func mapTypeOf[K comparable]() *maptypeView {
	var m map[K]uint64
	return (*maptypeView)(typeWord(m))
}

// header is the runtime's hmap behind m (nil for a nil map).
func header[K comparable](m map[K]uint64) *hmapView {
	return *(**hmapView)(unsafe.Pointer(&m))
}

// hashOf hashes k exactly as mapassign, mapaccess and mapdelete do:
// t.hasher(&key, uintptr(h.hash0)).
func hashOf[K comparable](mt *maptypeView, k K, seed uint32) uintptr {
	return mt.hasher(unsafe.Pointer(&k), uintptr(seed))
}

// checkRuntime refuses to run on anything but the layouts above.
func checkRuntime() error {
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		fail("unsupported GOARCH %s (64-bit little-endian only)", runtime.GOARCH)
	}
	if v := runtime.Version(); !strings.HasPrefix(v, "go1.19") {
		fail("built with %s; these tests read Go 1.19's map structures", v)
	}
	if s := unsafe.Sizeof(hmapView{}); s != 48 {
		fail("hmap view is %d bytes, want 48", s)
	}
	if s := unsafe.Sizeof(bmapView{}); s != bucketSize {
		fail("bmap view is %d bytes, want %d", s, bucketSize)
	}
	if o := unsafe.Offsetof(maptypeView{}.hasher); o != 72 {
		fail("maptype.hasher at %d, want 72", o)
	}
	check := func(name string, mt *maptypeView, key any, reflexive bool) {
		if mt.keysize != 8 || mt.elemsize != 8 || mt.bucketsize != bucketSize {
			fail("%s: maptype says keysize=%d elemsize=%d bucketsize=%d", name, mt.keysize, mt.elemsize, mt.bucketsize)
		}
		if mt.key != typeWord(key) || mt.elem != typeWord(uint64(0)) {
			fail("%s: maptype key/elem types do not match", name)
		}
		if bt := (*typeView)(mt.bucket); bt.size != bucketSize || bt.ptrdata != 0 {
			// ptrdata 0: evacuation never clears an old bucket, so an
			// array an iterator still holds keeps its keys.
			fail("%s: bucket type size=%d ptrdata=%d, want %d and 0", name, bt.size, bt.ptrdata, bucketSize)
		}
		if mt.hasher == nil {
			fail("%s: maptype.hasher is nil", name)
		}
		if got := mt.flags&mtReflexiveKey != 0; got != reflexive {
			fail("%s: reflexive key flag %v, want %v", name, got, reflexive)
		}
	}
	check("map[uint64]uint64", mapTypeOf[uint64](), uint64(0), true)
	check("map[float64]uint64", mapTypeOf[float64](), float64(0), false)
	if mapTypeOf[float64]().flags&mtNeedKeyUpdate == 0 {
		fail("map[float64]uint64: maptype does not ask for key updates (+0/-0)")
	}
	// The views must find every key where the hasher says it is.
	if err := checkPlacement[uint64](func(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 }); err != nil {
		fail("map[uint64]uint64: %v", err)
	}
	if err := checkPlacement[float64](func(i int) float64 { return float64(i) + 0.5 }); err != nil {
		fail("map[float64]uint64: %v", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("runtime layout check failed: %s", strings.Join(errs, "; "))
	}
	return nil
}

func checkPlacement[K comparable](key func(int) K) error {
	m := make(map[K]uint64, 40)
	h := header(m)
	if h.B != 3 || h.count != 0 || h.buckets == nil {
		return fmt.Errorf("make(map, 40): B=%d count=%d buckets=%v, want B=3, 0 and an array", h.B, h.count, h.buckets)
	}
	mt := mapTypeOf[K]()
	for i := 0; i < 30; i++ {
		k := key(i)
		m[k] = uint64(i)
		if h.count != len(m) {
			return fmt.Errorf("hmap.count %d, len %d", h.count, len(m))
		}
	}
	for i := 0; i < 30; i++ {
		k := key(i)
		hash := hashOf(mt, k, h.hash0)
		bits := keyBits(k)
		found := false
		for b := bucketAt(h.buckets, hash&(1<<h.B-1)); b != nil && !found; b = (*bmapView)(b.overflow) {
			for s := 0; s < bucketCnt; s++ {
				if b.tophash[s] >= minTopHash && b.keys[s] == bits && b.elems[s] == uint64(i) {
					found = true
				}
			}
		}
		if !found {
			return fmt.Errorf("key %v not in the bucket its hash names", k)
		}
	}
	return nil
}

// keyBits is a key's 64-bit pattern as stored in a bucket.
func keyBits[K comparable](k K) uint64 {
	switch v := any(k).(type) {
	case uint64:
		return v
	case float64:
		return math.Float64bits(v)
	}
	panic("keyBits: unsupported key type")
}
