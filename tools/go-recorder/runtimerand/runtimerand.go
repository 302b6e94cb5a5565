//go:build amd64

// Package runtimerand seeds the Go 1.19 runtime's random source, so that
// a recording depends only on its script and a seed: the map's hash0 (makemap, and the reseeds of
// mapclear and of a mapdelete that empties the map) and each iterator's
// start (mapiterinit) all come from runtime.fastrand, whose state is a
// word of the running M (m.fastrand, wyrand on amd64). Where that word is
// inside the M is found by watching one call of fastrand change it, and
// every seeding checks it again, so a runtime that does not work this way
// is refused rather than recorded at random.
package runtimerand

import (
	"fmt"
	"math/bits"
	"unsafe"
)

// getg is in fastrand_amd64.s.
func getg() unsafe.Pointer

//go:linkname runtimeFastrand runtime.fastrand
func runtimeFastrand() uint32

const (
	gMOffset     = 48  // runtime.g: stack (16), stackguard0, stackguard1, _panic, _defer, then m
	randScanSize = 256 // words of the M searched for the state
	wyInc        = 0xa0761d6478bd642f
	wyMix        = 0xe7037ed1a0b428db
)

// wyrand is what runtime.fastrand returns for a state s after adding wyInc.
func wyrand(s uint64) uint32 {
	hi, lo := bits.Mul64(s, s^wyMix)
	return uint32(hi ^ lo)
}

var randOffset = -1 // word index of m.fastrand, once found

// currentM is the M running this goroutine (a cgo callback keeps its
// goroutine locked to one M for the whole call).
func currentM() *[randScanSize]uint64 {
	return (*[randScanSize]uint64)(*(*unsafe.Pointer)(unsafe.Add(getg(), gMOffset)))
}

// findRandOffset finds m.fastrand: the one word that one call of fastrand
// advanced by wyInc, to a state whose output is the value returned.
func findRandOffset() error {
	m := currentM()
	before := *m
	r := runtimeFastrand()
	found := -1
	for i := range m {
		if m[i]-before[i] == wyInc && wyrand(m[i]) == r {
			if found >= 0 {
				return fmt.Errorf("two words of the M behave as fastrand's state")
			}
			found = i
		}
	}
	if found < 0 {
		return fmt.Errorf("no word of the M behaves as fastrand's state (not Go 1.19 on amd64?)")
	}
	randOffset = found
	return nil
}

// Seed sets the running M's fastrand state to seed and checks
// that fastrand then draws what wyrand predicts.
func Seed(seed uint64) error {
	if randOffset < 0 {
		if err := findRandOffset(); err != nil {
			return err
		}
	}
	m := currentM()
	m[randOffset] = seed
	if got, want := runtimeFastrand(), wyrand(seed+wyInc); got != want {
		return fmt.Errorf("fastrand drew %#x after seeding, want %#x", got, want)
	}
	m[randOffset] = seed
	return nil
}

// State is the running M's fastrand state. The caller keeps its goroutine
// on one M (runtime.LockOSThread, or a cgo callback) between State,
// the draws it counts and SetState.
func State() (uint64, error) {
	if randOffset < 0 {
		if err := findRandOffset(); err != nil {
			return 0, err
		}
	}
	return currentM()[randOffset], nil
}

// SetState sets the running M's fastrand state without drawing (after
// State has found it).
func SetState(s uint64) { currentM()[randOffset] = s }

// wyIncInverse is wyInc's inverse modulo 2^64 (wyInc is odd).
var wyIncInverse = func() uint64 {
	inv := uint64(wyInc) // Newton's iteration doubles the correct low bits
	for i := 0; i < 6; i++ {
		inv *= 2 - wyInc*inv
	}
	return inv
}()

// Draws is how many calls of fastrand took the state from `from` to `to`.
func Draws(from, to uint64) uint64 { return (to - from) * wyIncInverse }

// After is the state after n draws from s.
func After(s, n uint64) uint64 { return s + n*wyInc }
