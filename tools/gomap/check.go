package gomap

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"unsafe"
)

// Check refuses to run on anything but the layouts of this package: the
// architecture, the Go version, the sizes and offsets of the views, and
// what the runtime's maptypes of map[uint64]uint64 and map[float64]uint64
// say.
func Check() error {
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		fail("unsupported GOARCH %s (64-bit little-endian only)", runtime.GOARCH)
	}
	if v := runtime.Version(); !strings.HasPrefix(v, "go1.19") {
		fail("built with %s; the map structures read here are Go 1.19's", v)
	}
	sizes := []struct {
		what      string
		got, want uintptr
	}{
		{"hmap view", unsafe.Sizeof(Hmap{}), 48},
		{"bmap view", unsafe.Sizeof(Bmap{}), BucketSize},
		{"_type view", unsafe.Sizeof(Type{}), 48},
		{"hiter view", unsafe.Sizeof(Hiter{}), 12 * 8},
		{"MapIter view", unsafe.Sizeof(MapIter{}), reflect.TypeOf(reflect.MapIter{}).Size()},
		{"maptype.hasher offset", unsafe.Offsetof(Maptype{}.Hasher), 72},
	}
	for _, s := range sizes {
		if s.got != s.want {
			fail("%s is %d bytes, want %d", s.what, s.got, s.want)
		}
	}
	for _, e := range checkMaptype("map[uint64]uint64", MapTypeOf[uint64](), uint64(0), true) {
		fail("%s", e)
	}
	for _, e := range checkMaptype("map[float64]uint64", MapTypeOf[float64](), float64(0), false) {
		fail("%s", e)
	}
	if MapTypeOf[float64]().Flags&MtNeedKeyUpdate == 0 {
		fail("map[float64]uint64: maptype does not ask for key updates (+0/-0)")
	}
	if len(errs) > 0 {
		return fmt.Errorf("runtime layout check failed: %s", strings.Join(errs, "; "))
	}
	return nil
}

// checkMaptype: what a maptype must say for the views to read its maps.
func checkMaptype(name string, mt *Maptype, key any, reflexive bool) []string {
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, name+": "+fmt.Sprintf(f, a...)) }
	if mt.Keysize != 8 || mt.Elemsize != 8 || mt.Bucketsize != BucketSize {
		fail("maptype says keysize=%d elemsize=%d bucketsize=%d, want 8 8 %d", mt.Keysize, mt.Elemsize,
			mt.Bucketsize, BucketSize)
	}
	if mt.Key != typeWord(key) || mt.Elem != typeWord(uint64(0)) {
		fail("maptype key/elem types do not match")
	}
	if mt.Typ.Kind&0x1f != uint8(reflect.Map) {
		fail("maptype kind %d is not map", mt.Typ.Kind&0x1f)
	}
	if bt := (*Type)(mt.Bucket); bt.Size != BucketSize || bt.Ptrdata != 0 {
		// ptrdata 0 is what keeps evacuated old buckets' keys and overflow
		// links in place (evacuate only clears buckets that hold pointers),
		// so an array an iterator still holds keeps its keys.
		fail("bucket type size=%d ptrdata=%d, want %d and 0", bt.Size, bt.Ptrdata, BucketSize)
	}
	if mt.Hasher == nil {
		fail("maptype.hasher is nil")
	}
	if got := mt.Flags&MtReflexiveKey != 0; got != reflexive {
		fail("reflexive key flag %v, want %v", got, reflexive)
	}
	return errs
}

// CheckPlacement makes a map of 30 keys (key(0) .. key(29)) and verifies
// that the views find every key in the bucket its hash names.
func CheckPlacement[K comparable](key func(int) K) error {
	m := make(map[K]uint64, 40)
	h := Header(m)
	if h.B != 3 || h.Count != 0 || h.Buckets == nil {
		return fmt.Errorf("make(map, 40): B=%d count=%d buckets=%v, want B=3, 0 and an array", h.B, h.Count, h.Buckets)
	}
	mt := MapTypeOf[K]()
	for i := 0; i < 30; i++ {
		m[key(i)] = uint64(i)
		if h.Count != len(m) {
			return fmt.Errorf("hmap.count %d, len %d", h.Count, len(m))
		}
	}
	for i := 0; i < 30; i++ {
		k := key(i)
		hash := HashOf(mt, k, h.Hash0)
		found := false
		for b := BucketAt(h.Buckets, hash&(1<<h.B-1)); b != nil && !found; b = (*Bmap)(b.Overflow) {
			for s := 0; s < BucketCnt; s++ {
				if b.Tophash[s] >= MinTopHash && b.Keys[s] == KeyBits(k) && b.Elems[s] == uint64(i) {
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
