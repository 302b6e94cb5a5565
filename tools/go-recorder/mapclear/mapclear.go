// Package mapclear calls the Go 1.19 runtime's mapclear directly. A loop
// `for k := range m { delete(m, k) }` compiles to it only when the key
// type's equality is reflexive, so not for float64 keys (a NaN could not be
// deleted); the trace language's `clear` is mapclear for every key type.
package mapclear

import "unsafe"

//go:linkname mapclear runtime.mapclear
func mapclear(t, h unsafe.Pointer)

// Clear runs runtime.mapclear(t, h): t is the map's *maptype, h its *hmap.
func Clear(t, h unsafe.Pointer) { mapclear(t, h) }
