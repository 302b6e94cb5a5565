package gorules

// clearU64 is how a Go 1.19 program clears a map: the compiler turns this
// exact loop into one call of runtime.mapclear (cmd/compile walk,
// isMapClear), for key types whose equality is reflexive, unless built
// with -N or instrumented (-race, -msan, -asan).
//
//go:noinline
func clearU64(m map[uint64]uint64) {
	for k := range m {
		delete(m, k)
	}
}

// idiomF64 is the same loop over a float64 map: Go 1.19 compiles it into
// a range loop of deletes (a NaN key cannot be deleted), so it is no
// clear: NaN entries stay.
//
//go:noinline
func idiomF64(m map[float64]uint64) {
	for k := range m {
		delete(m, k)
	}
}
