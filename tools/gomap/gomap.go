// Package gomap holds read-only views of the Go 1.19 runtime's map
// structures, reached through unsafe, for maps with 8-byte keys and values
// and buckets without pointers (map[uint64]uint64, map[float64]uint64). The
// layouts are those of Go 1.19 (runtime/map.go, runtime/type.go,
// reflect/value.go) on a 64-bit target; Check verifies them against the
// running program before any use. The Go recorder (tools/go-recorder) and
// the iteration-rule tests (tests/go-rules) both read the runtime through
// it.
package gomap

import (
	"fmt"
	"math"
	"reflect"
	"unsafe"
)

const (
	BucketCnt  = 8   // slots per bucket
	BucketSize = 144 // tophash [8]uint8, 8 keys, 8 values, overflow pointer

	// tophash states (runtime/map.go)
	EmptyOne       = 1 // this slot is empty
	EvacuatedX     = 2 // entry valid, evacuated to the first half (or the same index)
	EvacuatedY     = 3 // entry valid, evacuated to the second half
	EvacuatedEmpty = 4 // slot empty, bucket evacuated
	MinTopHash     = 5 // tophash values below this are states, not hashes

	// hmap.flags bits (runtime/map.go)
	FlagIterator     = 1
	FlagOldIterator  = 2
	FlagHashWriting  = 4
	FlagSameSizeGrow = 8

	// maptype flags (runtime/type.go)
	MtReflexiveKey  = 4
	MtNeedKeyUpdate = 8
)

// Hmap mirrors runtime.hmap.
type Hmap struct {
	Count      int
	Flags      uint8
	B          uint8
	Noverflow  uint16
	Hash0      uint32
	Buckets    unsafe.Pointer
	Oldbuckets unsafe.Pointer
	Nevacuate  uintptr
	Extra      unsafe.Pointer
}

func (h *Hmap) Growing() bool      { return h.Oldbuckets != nil }
func (h *Hmap) SameSizeGrow() bool { return h.Flags&FlagSameSizeGrow != 0 }

// NOldBuckets is the number of buckets of the array being evacuated.
func (h *Hmap) NOldBuckets() uintptr {
	if h.SameSizeGrow() {
		return 1 << h.B
	}
	return 1 << (h.B - 1)
}

// OldEvacuated reports whether old bucket i of the growth under way has been
// evacuated (runtime evacuated(): tophash[0] is one of the evacuated states).
func (h *Hmap) OldEvacuated(i uintptr) bool {
	top := BucketAt(h.Oldbuckets, i).Tophash[0]
	return top > EmptyOne && top < MinTopHash
}

// Bmap mirrors the bucket the compiler builds for both map types: tophash,
// keys (read as their 64-bit patterns), elems, overflow pointer.
type Bmap struct {
	Tophash  [BucketCnt]uint8
	Keys     [BucketCnt]uint64
	Elems    [BucketCnt]uint64
	Overflow unsafe.Pointer
}

// BucketAt is bucket i of a bucket array.
func BucketAt(array unsafe.Pointer, i uintptr) *Bmap {
	return (*Bmap)(unsafe.Add(array, i*BucketSize))
}

// Type mirrors runtime._type (48 bytes).
type Type struct {
	Size       uintptr
	Ptrdata    uintptr
	Hash       uint32
	Tflag      uint8
	Align      uint8
	FieldAlign uint8
	Kind       uint8
	Equal      unsafe.Pointer
	Gcdata     unsafe.Pointer
	Str        int32
	PtrToThis  int32
}

// Maptype mirrors runtime.maptype.
type Maptype struct {
	Typ        Type
	Key        unsafe.Pointer
	Elem       unsafe.Pointer
	Bucket     unsafe.Pointer
	Hasher     func(unsafe.Pointer, uintptr) uintptr
	Keysize    uint8
	Elemsize   uint8
	Bucketsize uint16
	Flags      uint32
}

// Hiter mirrors runtime.hiter (and reflect's copy of it).
type Hiter struct {
	Key         unsafe.Pointer
	Elem        unsafe.Pointer
	T           unsafe.Pointer
	H           unsafe.Pointer
	Buckets     unsafe.Pointer
	Bptr        unsafe.Pointer
	Overflow    unsafe.Pointer
	Oldoverflow unsafe.Pointer
	StartBucket uintptr
	Offset      uint8
	Wrapped     bool
	B           uint8
	I           uint8
	Bucket      uintptr
	CheckBucket uintptr
}

// Value mirrors reflect.Value.
type Value struct {
	Typ  unsafe.Pointer
	Ptr  unsafe.Pointer
	Flag uintptr
}

// MapIter mirrors reflect.MapIter: the map Value, then the hiter by value.
type MapIter struct {
	M     Value
	Hiter Hiter
}

// IterView is the runtime's iterator inside it.
func IterView(it *reflect.MapIter) *MapIter {
	return (*MapIter)(unsafe.Pointer(it))
}

// eface mirrors an empty interface: its type word is the *_type.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(i any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&i)).typ }

// MapTypeOf is the runtime's maptype of map[K]uint64: the type word of an
// interface holding such a map (the pointer reflect.TypeOf gives and the
// compiler passes to the map functions).
func MapTypeOf[K comparable]() *Maptype { return MapTypeOfKV[K, uint64]() }

// MapTypeOfKV is the runtime's maptype of map[K]V.
func MapTypeOfKV[K comparable, V any]() *Maptype {
	var m map[K]V
	return (*Maptype)(typeWord(m))
}

// Header is the runtime's hmap behind m (nil for a nil map).
func Header[K comparable](m map[K]uint64) *Hmap { return HeaderKV(m) }

// HeaderKV is the runtime's hmap behind m, of any value type.
func HeaderKV[K comparable, V any](m map[K]V) *Hmap {
	return *(**Hmap)(unsafe.Pointer(&m))
}

// HashOf hashes k exactly as mapassign, mapaccess and mapdelete do:
// t.hasher(&key, uintptr(h.hash0)).
func HashOf[K comparable](mt *Maptype, k K, seed uint32) uintptr {
	return mt.Hasher(unsafe.Pointer(&k), uintptr(seed))
}

// KeyBits is a key's 64-bit pattern as stored in a bucket.
func KeyBits[K comparable](k K) uint64 {
	switch v := any(k).(type) {
	case uint64:
		return v
	case float64:
		return math.Float64bits(v)
	}
	panic("KeyBits: unsupported key type")
}

// BucketOf mirrors the bucket the compiler builds for map[K]uint64 with
// any key type K stored inline (uint64, float64, string: a 16-byte string
// header): tophash, 8 keys, 8 elems, overflow pointer. For 8-byte keys it
// is Bmap with typed keys. CheckBucketOf verifies it against the maptype.
// It is also the bucket of a map[K]V whose V is over 128 bytes (MaxElemSize):
// the runtime stores such values indirectly, an 8-byte pointer per elem
// (CheckBucketOfKV).
type BucketOf[K comparable] struct {
	Tophash  [BucketCnt]uint8
	Keys     [BucketCnt]K
	Elems    [BucketCnt]uint64
	Overflow unsafe.Pointer
}

// BucketOfAt is bucket i of a bucket array of map[K]uint64.
func BucketOfAt[K comparable](array unsafe.Pointer, i uintptr) *BucketOf[K] {
	return (*BucketOf[K])(unsafe.Add(array, i*unsafe.Sizeof(BucketOf[K]{})))
}

// CheckBucketOf reports whether BucketOf[K] has the size, key size and
// elem size the runtime's maptype of map[K]uint64 says.
func CheckBucketOf[K comparable]() error { return CheckBucketOfKV[K, uint64]() }

// MaxElemSize is the largest value the runtime stores in the bucket
// (runtime/map.go maxElemSize); a bigger one is stored indirectly.
const MaxElemSize = 128

// CheckBucketOfKV reports whether BucketOf[K] is the bucket of map[K]V:
// V is uint64 stored inline, or over MaxElemSize bytes and stored
// indirectly (the maptype's indirectelem flag, an 8-byte elem slot).
func CheckBucketOfKV[K comparable, V any]() error {
	mt := MapTypeOfKV[K, V]()
	var k K
	var v V
	b := BucketOf[K]{}
	if uintptr(mt.Bucketsize) != unsafe.Sizeof(b) || uintptr(mt.Keysize) != unsafe.Sizeof(k) ||
		mt.Elemsize != 8 || (*Type)(mt.Bucket).Size != unsafe.Sizeof(b) || mt.Key != typeWord(k) {
		return fmt.Errorf("map[%T]%T: maptype says keysize=%d elemsize=%d bucketsize=%d, the view %d %d %d",
			k, v, mt.Keysize, mt.Elemsize, mt.Bucketsize, unsafe.Sizeof(k), 8, unsafe.Sizeof(b))
	}
	indirect := unsafe.Sizeof(v) > MaxElemSize
	if mt.Flags&1 != 0 || (mt.Flags&2 != 0) != indirect {
		return fmt.Errorf("map[%T]%T: maptype flags %#x: keys indirect, or elems not as their size (%d) says", k, v, mt.Flags, unsafe.Sizeof(v))
	}
	if !indirect && unsafe.Sizeof(v) != 8 {
		return fmt.Errorf("map[%T]%T: an inline value must have 8 bytes", k, v)
	}
	return nil
}
