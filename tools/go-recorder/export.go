//go:build cgo && amd64

package main

// The recorder as a C function, for a fuzz target that runs the real Go
// map in-process (fuzz/go/): build with
//
//	go build -buildmode=c-archive -o libgorec.a .
//
// which also writes libgorec.h with this declaration.

/*
#include <stdlib.h>
*/
import "C"

import (
	"strings"

	"tophash/go-recorder/runtimerand"
)

// TophashGoRecord records the op script script[0:n] (the language of
// record.go's parseScript) on a fresh map of the script's key type
// (map[uint64]uint64 without a `keys` line), with the
// runtime's random source seeded with seed (package runtimerand), so the
// same script and seed give the same recording.
// It returns 0 and sets *trace and *expected to the trace and the output a
// replayer must print; or returns 2 (a bad script) or 3 (the runtime did
// not look as the recorder expects) and sets *trace to the error message
// and *expected to NULL. The strings are malloc'd: the caller frees them.
//
//export TophashGoRecord
func TophashGoRecord(script *C.char, n C.int, seed C.ulonglong, trace **C.char, expected **C.char) C.int {
	*trace, *expected = nil, nil
	rec, err := recordSeeded(C.GoStringN(script, n), uint64(seed))
	if err != nil {
		*trace = C.CString("error: " + err.Error())
		return C.int(exitCode(err))
	}
	*trace = C.CString(strings.Join(rec.trace, "\n") + "\n")
	*expected = C.CString(rec.exp.String())
	return 0
}

func recordSeeded(script string, seed uint64) (*recording, error) {
	ops, err := parseScript(strings.NewReader(script), false)
	if err != nil {
		return nil, err
	}
	if err := runtimerand.Seed(seed); err != nil {
		return nil, &internalError{err.Error()}
	}
	return record(ops, false)
}
