package main

// The value types the recorder's maps hold: uint64 (every trace without a
// `values` line), or, after `values wide` (trace/trace-format.md), a
// wideValue: 136 bytes, over the runtime's 128-byte limit (maxElemSize),
// so the map stores each value indirectly and its buckets hold pointers.
// A trace writes a wide value as the number its contents derive from.

import (
	"encoding/binary"
	"reflect"
	"unsafe"
)

const wideWords = 17 // 136 bytes

// wideValue holds its number, little-endian, wideWords times.
type wideValue [wideWords * 8]byte

// valueKind is what the recorder needs to know of a value type V.
type valueKind[V any] struct {
	make func(uint64) V
	read func(V) uint64
	// stored reads the value of a bucket's elem slot (8 bytes: the value,
	// or a pointer to it when it is stored indirectly)
	stored func(elem *uint64) uint64
	// reflected reads a value an iterator returned (without boxing a
	// uint64: an op allocates nothing it need not)
	reflected func(reflect.Value) uint64
}

var u64Values = valueKind[uint64]{
	make:      func(v uint64) uint64 { return v },
	read:      func(v uint64) uint64 { return v },
	stored:    func(elem *uint64) uint64 { return *elem },
	reflected: func(v reflect.Value) uint64 { return v.Uint() },
}

var wideValues = valueKind[wideValue]{
	make:      makeWide,
	read:      readWide,
	stored:    func(elem *uint64) uint64 { return readWide(**(**wideValue)(unsafe.Pointer(elem))) },
	reflected: func(v reflect.Value) uint64 { return readWide(v.Interface().(wideValue)) },
}

func makeWide(v uint64) wideValue {
	var w wideValue
	for i := 0; i < wideWords; i++ {
		binary.LittleEndian.PutUint64(w[8*i:], v)
	}
	return w
}

// readWide is the number a wide value holds; a value whose copies
// disagree reads as the bitwise complement of its first, which no
// comparison with the map's own value passes.
func readWide(w wideValue) uint64 {
	v := binary.LittleEndian.Uint64(w[:])
	for i := 1; i < wideWords; i++ {
		if binary.LittleEndian.Uint64(w[8*i:]) != v {
			return ^v
		}
	}
	return v
}

//go:noinline
func clearMapU64Wide(m map[uint64]wideValue) {
	for k := range m {
		delete(m, k)
	}
}
