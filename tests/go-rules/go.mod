module tophash/go-rules

go 1.19

require tophash/gomap v0.0.0

// The views of Go's map structures, shared with the other Go module of the
// repository (no network: a path in this checkout).
replace tophash/gomap => ../../tools/gomap
