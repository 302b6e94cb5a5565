package main

// Read-only views of the Go 1.19 runtime's map structures, reached through
// unsafe. Everything the recorder writes into a .expected file comes from
// these views (or from the map and reflect themselves); nothing is computed
// by a model of the map. The layouts are those of Go 1.19
// (runtime/map.go, runtime/type.go, reflect/value.go) on a 64-bit target;
// checkLayouts verifies them against the running program before any use.

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"unsafe"
)

const (
	bucketCnt  = 8   // slots per bucket
	minTopHash = 5   // tophash values below this are states, not hashes
	bucketSize = 144 // bmap for map[uint64]uint64: 8 + 8*8 + 8*8 + 8

	// hmap.flags bits (runtime/map.go)
	flagIterator     = 1
	flagOldIterator  = 2
	flagHashWriting  = 4
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

// bmapView mirrors the bucket type the compiler builds for
// map[uint64]uint64: tophash, keys, elems, overflow pointer.
type bmapView struct {
	tophash  [bucketCnt]uint8
	keys     [bucketCnt]uint64
	elems    [bucketCnt]uint64
	overflow unsafe.Pointer
}

// typeView mirrors runtime._type (48 bytes).
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

// hiterView mirrors runtime.hiter (and reflect's copy of it).
type hiterView struct {
	key         unsafe.Pointer
	elem        unsafe.Pointer
	t           unsafe.Pointer
	h           unsafe.Pointer
	buckets     unsafe.Pointer
	bptr        unsafe.Pointer
	overflow    unsafe.Pointer
	oldoverflow unsafe.Pointer
	startBucket uintptr
	offset      uint8
	wrapped     bool
	B           uint8
	i           uint8
	bucket      uintptr
	checkBucket uintptr
}

// valueView mirrors reflect.Value.
type valueView struct {
	typ  unsafe.Pointer
	ptr  unsafe.Pointer
	flag uintptr
}

// mapIterView mirrors reflect.MapIter: the map Value, then the hiter by value.
type mapIterView struct {
	m     valueView
	hiter hiterView
}

// eface mirrors an empty interface: its type word is the *_type.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(i any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&i)).typ }

// checkLayouts refuses to run on anything but the layouts above.
func checkLayouts() error {
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		fail("unsupported GOARCH %s (64-bit little-endian only)", runtime.GOARCH)
	}
	if v := runtime.Version(); !strings.HasPrefix(v, "go1.19") {
		fail("built with %s; the structure layouts read here are Go 1.19's", v)
	}
	if s := unsafe.Sizeof(hmapView{}); s != 48 {
		fail("hmap view is %d bytes, want 48", s)
	}
	if s := unsafe.Sizeof(bmapView{}); s != bucketSize {
		fail("bmap view is %d bytes, want %d", s, bucketSize)
	}
	if s := unsafe.Sizeof(typeView{}); s != 48 {
		fail("_type view is %d bytes, want 48", s)
	}
	if s := unsafe.Sizeof(hiterView{}); s != 12*8 {
		fail("hiter view is %d bytes, want 96", s)
	}
	if s, w := unsafe.Sizeof(mapIterView{}), reflect.TypeOf(reflect.MapIter{}).Size(); s != w {
		fail("MapIter view is %d bytes, reflect.MapIter is %d", s, w)
	}
	if o := unsafe.Offsetof(maptypeView{}.hasher); o != 72 {
		fail("maptype.hasher at %d, want 72", o)
	}
	mt := mapType()
	if mt.keysize != 8 || mt.elemsize != 8 || mt.bucketsize != bucketSize {
		fail("maptype says keysize=%d elemsize=%d bucketsize=%d, want 8 8 %d",
			mt.keysize, mt.elemsize, mt.bucketsize, bucketSize)
	}
	if mt.key != typeWord(uint64(0)) || mt.elem != typeWord(uint64(0)) {
		fail("maptype key/elem types are not uint64")
	}
	if mt.typ.kind&0x1f != uint8(reflect.Map) {
		fail("maptype kind %d is not map", mt.typ.kind&0x1f)
	}
	if bt := (*typeView)(mt.bucket); bt.size != bucketSize || bt.ptrdata != 0 {
		// ptrdata 0 is what keeps evacuated old buckets' keys and overflow
		// links in place (evacuate only clears buckets that hold pointers).
		fail("bucket type size=%d ptrdata=%d, want %d and 0", bt.size, bt.ptrdata, bucketSize)
	}
	if mt.hasher == nil {
		fail("maptype.hasher is nil")
	}
	if len(errs) > 0 {
		return fmt.Errorf("runtime layout check failed: %s", strings.Join(errs, "; "))
	}
	return nil
}

// mapType returns the runtime's maptype for map[uint64]uint64, taken from
// the type word of an interface holding such a map (the same pointer that
// reflect.TypeOf gives and that the compiler passes to the map functions).
func mapType() *maptypeView {
	var m map[uint64]uint64
	return (*maptypeView)(typeWord(m))
}

// header returns the runtime's hmap behind m.
func header(m map[uint64]uint64) *hmapView {
	return *(**hmapView)(unsafe.Pointer(&m))
}

// hashKey hashes k with the map type's own hasher and the given seed,
// exactly as mapassign/mapaccess/mapdelete do: t.hasher(&key, uintptr(h.hash0)).
func hashKey(mt *maptypeView, k uint64, seed uint32) uint64 {
	return uint64(mt.hasher(unsafe.Pointer(&k), uintptr(seed)))
}

func bucketAt(array unsafe.Pointer, i uintptr) *bmapView {
	return (*bmapView)(unsafe.Add(array, i*bucketSize))
}

func iterView(it *reflect.MapIter) *mapIterView {
	return (*mapIterView)(unsafe.Pointer(it))
}
