package main

// The recorder: runs an op script against a real map[K]uint64 (K uint64,
// float64 or string, as the script's `keys` line says) and
// writes what the runtime did as a trace (with the runtime's hashes pinned
// and the iterators' start bucket and offset filled in) and the output a
// replayer must print for it.

import (
	"bufio"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"unsafe"

	"tophash/go-recorder/runtimerand"
	"tophash/gomap"
)

var noSampling sync.Once

// maxB is the first B the recorder refuses: from B = 16 on Go counts
// overflow buckets at random (incrnoverflow), which no trace can pin.
const maxB = 16

type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// internalError means the runtime did not look the way the recorder
// expects (a layout or invariant check failed): a recorder bug, not bad input.
type internalError struct{ msg string }

func (e *internalError) Error() string { return "internal: " + e.msg }

func lerr(line int, f string, a ...any) error { return &lineError{line, fmt.Sprintf(f, a...)} }
func ierr(f string, a ...any) error           { return &internalError{fmt.Sprintf(f, a...)} }

type op struct {
	line int
	kind string
	key  string // the key literal as written
	val  uint64
	n    int
	id   string
}

// script is a parsed op script: its key type (the word of its `keys`
// line, "u64" without one) and its operations.
type script struct {
	keys string
	ops  []op
}

// parseScript reads an op script. With traceInput it also accepts a full
// trace: hash lines are dropped and iter start/offset are ignored.
func parseScript(r io.Reader, traceInput bool) (*script, error) {
	sc := &script{keys: "u64"}
	err := scanLines(r, func(t []string, lineNo int) error {
		if t[0] == "keys" || t[0] == "hashing" {
			return sc.header(t, lineNo)
		}
		o, skip, err := parseLine(t, lineNo, traceInput)
		if err == nil && !skip {
			err = parseArgs(&o, t, len(sc.ops) == 0, sc.keys)
		}
		if err == nil && !skip {
			sc.ops = append(sc.ops, o)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// header reads a `keys` line (u64, string or double) or, in a recorded
// trace, `hashing pinned`; before the first operation only.
func (sc *script) header(t []string, lineNo int) error {
	if len(sc.ops) > 0 {
		return lerr(lineNo, "%s: header lines must come before the first operation", t[0])
	}
	if t[0] == "hashing" {
		if len(t) != 2 || t[1] != "pinned" {
			return lerr(lineNo, "hashing: only 'hashing pinned' can be recorded")
		}
		return nil
	}
	if len(t) != 2 || (t[1] != "u64" && t[1] != "string" && t[1] != "double") {
		return lerr(lineNo, "keys: want 'keys u64', 'keys string' or 'keys double'")
	}
	sc.keys = t[1]
	return nil
}

// scanLines calls f with the tokens and number of every line that is not
// blank or a comment.
func scanLines(r io.Reader, f func(t []string, lineNo int) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		if err := f(strings.Fields(s), lineNo); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading script: %v", err)
	}
	return nil
}

// parseLine checks one line's operation and its number of tokens; skip is
// set for a trace's hash line.
func parseLine(t []string, lineNo int, traceInput bool) (o op, skip bool, err error) {
	o = op{line: lineNo, kind: t[0]}
	want := map[string]int{"hint": 2, "put": 3, "del": 2, "get": 2, "len": 1,
		"clear": 1, "iter": 2, "next": 2, "dump": 1}
	if traceInput {
		if t[0] == "hash" {
			if len(t) != 3 {
				return o, false, lerr(lineNo, "hash: want 2 arguments, got %d", len(t)-1)
			}
			return o, true, nil
		}
		if t[0] == "iter" {
			want["iter"] = 4
		}
	} else if t[0] == "hash" {
		return o, false, lerr(lineNo, "hash lines are not accepted in an op script (the recorder pins every key itself; use -trace-input to record a trace)")
	}
	n, known := want[t[0]]
	if !known {
		return o, false, lerr(lineNo, "unknown operation %q", t[0])
	}
	if len(t) != n {
		return o, false, lerr(lineNo, "%s: want %d argument(s), got %d", t[0], n-1, len(t)-1)
	}
	return o, false, nil
}

// parseArgs reads an op's arguments (their number is already checked).
func parseArgs(o *op, t []string, first bool, keys string) error {
	lineNo := o.line
	switch t[0] {
	case "hint":
		if !first {
			return lerr(lineNo, "hint is only allowed as the first operation")
		}
		v, ok := parseU64(t[1])
		if !ok || v >= 1<<31 {
			return lerr(lineNo, "hint: bad size %q (want 0 <= N < 2^31)", t[1])
		}
		o.n = int(v)
	case "put", "del", "get":
		if !validKey(keys, t[1]) {
			return lerr(lineNo, "%s: bad key %q (keys %s)", t[0], t[1], keys)
		}
		o.key = t[1]
		if t[0] == "put" {
			v, ok := parseValue(keys, t[2])
			if !ok {
				return lerr(lineNo, "put: bad value %q", t[2])
			}
			o.val = v
		}
	case "iter", "next":
		o.id = t[1]
		if t[0] == "iter" && len(t) == 4 {
			if _, ok := parseU64(t[2]); !ok {
				return lerr(lineNo, "iter: bad start %q", t[2])
			}
			if _, ok := parseU64(t[3]); !ok {
				return lerr(lineNo, "iter: bad offset %q", t[3])
			}
		}
	}
	return nil
}

type iterState struct {
	id      string
	it      *reflect.MapIter
	declIdx int  // index of the `iter` line in the trace
	stepped bool // mapiterinit has run (first Next)
	ended   bool // Next returned false: print `end` from now on
	// line of a clear of a non-empty map that happened while the
	// iterator was open (0: none). Such an iterator is never stepped again.
	poisonedBy int
}

// recording is what a recording gives the caller: the trace lines, the
// output and a few counts.
type recording struct {
	trace    []string
	exp      strings.Builder
	maxB     uint8
	reseeds  int
	midGrowD int // dumps taken while growing
	growths  int // growths started (bigger or same size)
	sameSize int // same-size growths started
}

type recorder[K comparable] struct {
	*recording
	kk     keyKind[K]
	keys   string // the key type's word in the `keys` line
	m      map[K]uint64
	h      *gomap.Hmap
	mt     *gomap.Maptype
	seed   uint32          // hash0 the current pins were taken under
	pinned map[string]bool // by key literal (0 and -0 are two literals)
	seen   []K             // every key ever named, in first-seen order
	iters  map[string]*iterState
	// every iterator ever declared, replaced ones included
	declared []*iterState
	// verifyEvery checks the map's invariants against the pins after every
	// operation (always done at each dump).
	verifyEvery bool
}

// hintB is the B makemap chooses for a hint (used only to refuse hints
// whose table would be outside the recordable range before allocating it).
func hintB(n int) uint8 {
	B := uint8(0)
	for gomap.OverLoadFactor(uint64(n), B) {
		B++
	}
	return B
}

// record records a script on a map of its key type.
func record(sc *script, verifyEvery bool) (*recording, error) {
	switch sc.keys {
	case "string":
		return recordKeys(stringKeys, sc, verifyEvery)
	case "double":
		return recordKeys(doubleKeys, sc, verifyEvery)
	}
	return recordKeys(u64Keys, sc, verifyEvery)
}

func recordKeys[K comparable](kk keyKind[K], sc *script, verifyEvery bool) (*recording, error) {
	// nanHashes reads the M's random state around an op: one M throughout,
	// and no heap profiling, whose sampling draws from it too.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	noSampling.Do(func() { runtime.MemProfileRate = 0 })
	if sc.keys == "double" {
		// The garbage collector, started by an allocation of an op, may
		// draw from the M's random state too.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		// Growing the stack walks it, and the walk's cache draws too: grow
		// it now, beyond what any op needs (with the GC off it keeps its size).
		growStack(4)
	}
	if err := gomap.CheckBucketOf[K](); err != nil {
		return nil, &internalError{err.Error()}
	}
	ops := sc.ops
	hint := 0
	if len(ops) > 0 && ops[0].kind == "hint" {
		hint = ops[0].n
		if b := hintB(hint); b >= maxB {
			return nil, lerr(ops[0].line, "hint %d makes B=%d; recorded traces must stay below B=%d", hint, b, maxB)
		}
		ops = ops[1:]
	}
	r := &recorder[K]{
		recording:   &recording{},
		kk:          kk,
		keys:        sc.keys,
		m:           make(map[K]uint64, hint),
		mt:          gomap.MapTypeOf[K](),
		pinned:      map[string]bool{},
		iters:       map[string]*iterState{},
		verifyEvery: verifyEvery,
	}
	r.h = gomap.Header(r.m)
	r.seed = r.h.Hash0
	if sc.keys != "u64" {
		r.emit("keys " + sc.keys)
	}
	r.emit(fmt.Sprintf("hint %d", hint))
	if r.h.B >= maxB {
		return nil, lerr(1, "hint %d made B=%d", hint, r.h.B)
	}
	r.maxB = r.h.B
	for _, o := range ops {
		if err := r.step(o); err != nil {
			return nil, err
		}
	}
	for _, st := range r.allIters() {
		if !st.stepped {
			r.trace[st.declIdx] = fmt.Sprintf("iter %s 0 0", st.id)
		}
	}
	return r.recording, nil
}

// allIters returns every iterator ever declared (replaced ones included),
// so that never-stepped declarations get their `0 0`.
func (r *recorder[K]) allIters() []*iterState { return r.declared }

func (r *recording) emit(s string) int {
	r.trace = append(r.trace, s)
	return len(r.trace) - 1
}

func (r *recorder[K]) pin(k K) {
	r.emit(fmt.Sprintf("hash %s 0x%016x", r.kk.format(k), gomap.HashOf(r.mt, k, r.h.Hash0)))
}

func (r *recorder[K]) step(o op) error {
	if o.kind == "put" || o.kind == "del" || o.kind == "get" {
		k, _ := r.kk.parse(o.key)
		lit := r.kk.format(k)
		// A NaN needs no key pin: Go hashes it afresh at each use, and
		// those hashes are pinned where they happen (nanHashes).
		if k == k && !r.pinned[lit] {
			r.pinned[lit] = true
			r.seen = append(r.seen, k)
			r.pin(k)
		}
	}
	wasGrowing := r.h.Oldbuckets != nil
	var err error
	if r.keys == "double" && (o.kind == "put" || o.kind == "del") {
		err = r.nanHashes(func() error { return r.apply(o) })
	} else {
		err = r.apply(o)
	}
	if err != nil {
		return err
	}
	return r.afterStep(o, wasGrowing)
}

// growStack uses n frames of 64 KiB of stack.
//
//go:noinline
func growStack(n int) byte {
	var buf [64 << 10]byte
	buf[n] = byte(n)
	if n > 0 {
		return growStack(n-1) + buf[n]
	}
	return buf[0]
}

// nanHashes runs a put or del of a float64 map and pins, before its line,
// every hash Go gave a NaN key in it (`hash nan 0xH`, trace-format.md):
// the op's own key if a NaN (mapassign, mapdelete), then each NaN an
// evacuation into a bigger array moves, in that order. Each such hash
// draws fastrand once, and nothing else in the op draws (heap profiling
// and the garbage collector are off, the stack is grown beforehand, B
// stays below 16) but the reseed of a delete that empties the
// map, its last draw: so the op's k-th draw, replayed through the map
// type's own hasher from the M's state before the op, is its k-th NaN
// hash.
func (r *recorder[K]) nanHashes(run func() error) error {
	at, seed := len(r.trace), r.h.Hash0
	s0, err := runtimerand.State()
	if err != nil {
		return &internalError{err.Error()}
	}
	if err := run(); err != nil {
		return err
	}
	s1, _ := runtimerand.State()
	n := runtimerand.Draws(s0, s1)
	if r.h.Hash0 != seed && n > 0 {
		n--
	}
	if n > uint64(r.h.Count)+1 {
		return ierr("%d fastrand draws in one op of a map of %d entries: something else draws", n, r.h.Count)
	}
	nan, _ := r.kk.parse("nan")
	pins := make([]string, n)
	for i := range pins {
		runtimerand.SetState(runtimerand.After(s0, uint64(i)))
		pins[i] = fmt.Sprintf("hash nan 0x%016x", gomap.HashOf(r.mt, nan, seed))
	}
	runtimerand.SetState(s1)
	r.trace = append(r.trace[:at], append(pins, r.trace[at:]...)...)
	return nil
}

// apply runs one op on the map and writes its trace and expected lines.
func (r *recorder[K]) apply(o op) error {
	switch o.kind {
	case "hint":
		return lerr(o.line, "hint is only allowed as the first operation")
	case "put", "del", "get":
		r.access(o)
	case "len":
		r.emit("len")
		fmt.Fprintf(&r.exp, "len %d\n", len(r.m))
	case "clear":
		return r.clear(o)
	case "iter":
		idx := r.emit("") // filled at the first next
		st := &iterState{id: o.id, it: reflect.ValueOf(r.m).MapRange(), declIdx: idx}
		r.iters[o.id] = st
		r.declared = append(r.declared, st)
	case "next":
		return r.next(o)
	case "dump":
		r.emit("dump")
		if err := r.verify(o.line); err != nil {
			return err
		}
		r.dump()
	default:
		return lerr(o.line, "unknown operation %q", o.kind)
	}
	return nil
}

// access runs a put, del or get.
func (r *recorder[K]) access(o op) {
	k, _ := r.kk.parse(o.key)
	lit := r.kk.format(k)
	switch o.kind {
	case "put":
		r.emit(fmt.Sprintf("put %s %s", lit, formatValue(r.keys, o.val)))
		r.m[k] = o.val
	case "del":
		r.emit("del " + lit)
		delete(r.m, k)
	case "get":
		r.emit("get " + lit)
		if v, ok := r.m[k]; ok {
			fmt.Fprintf(&r.exp, "get %s %s\n", lit, formatValue(r.keys, v))
		} else {
			fmt.Fprintf(&r.exp, "get %s missing\n", lit)
		}
	}
}

// clear clears the map with the loop Go compiles to runtime.mapclear, and
// checks that it acted as mapclear does.
func (r *recorder[K]) clear(o op) error {
	h := r.h
	r.emit("clear")
	if len(r.m) != 0 {
		for _, st := range r.iters {
			if st.stepped && !st.ended && st.poisonedBy == 0 {
				st.poisonedBy = o.line
			}
		}
	}
	before := *h
	r.kk.clear(r.m)
	if before.Count != 0 {
		if h.Count != 0 || h.Oldbuckets != nil || h.Nevacuate != 0 || h.Noverflow != 0 ||
			h.B != before.B || h.Buckets != before.Buckets || h.Flags&gomap.FlagSameSizeGrow != 0 {
			return ierr("line %d: clear did not act as runtime.mapclear", o.line)
		}
	} else if *h != before {
		return ierr("line %d: clear of an empty map changed the map", o.line)
	}
	return nil
}

// next steps an iterator; its first step also fills in the iter line with
// the start bucket and offset mapiterinit drew.
func (r *recorder[K]) next(o op) error {
	st := r.iters[o.id]
	if st == nil {
		return lerr(o.line, "next of undeclared iterator %q", o.id)
	}
	r.emit("next " + o.id)
	if st.ended {
		fmt.Fprintf(&r.exp, "next %s end\n", o.id)
		return nil
	}
	if st.poisonedBy != 0 {
		return lerr(o.line, "next %s: the iterator was open across the clear of a non-empty map at line %d; what Go yields then depends on its allocator (golang/go#59411), so it cannot be recorded (declare the iterator again first)", o.id, st.poisonedBy)
	}
	first := !st.stepped
	nonEmpty := r.h.Count != 0
	ok := st.it.Next()
	iv := gomap.IterView(st.it)
	if first {
		st.stepped = true
		if err := r.iterInit(o, st, &iv.Hiter, nonEmpty, ok); err != nil {
			return err
		}
	}
	if !ok {
		st.ended = true
		fmt.Fprintf(&r.exp, "next %s end\n", o.id)
		return nil
	}
	k, v := st.it.Key().Interface().(K), st.it.Value().Uint()
	if hk := *(*K)(iv.Hiter.Key); hk != k && (hk == hk || k == k) { // two NaNs are the same key here
		return ierr("line %d: hiter.key does not point at the key reflect returned", o.line)
	}
	fmt.Fprintf(&r.exp, "next %s %s %s\n", o.id, r.kk.format(k), formatValue(r.keys, v))
	return nil
}

// iterInit checks the hiter mapiterinit left and writes the iter line.
func (r *recorder[K]) iterInit(o op, st *iterState, hi *gomap.Hiter, nonEmpty, ok bool) error {
	h := r.h
	if hi.T != unsafe.Pointer(r.mt) {
		return ierr("line %d: hiter.t is not the map type after the first Next", o.line)
	}
	if nonEmpty && (hi.H != unsafe.Pointer(h) || hi.B != h.B ||
		hi.StartBucket >= uintptr(1)<<h.B || hi.Offset >= gomap.BucketCnt) {
		return ierr("line %d: hiter after mapiterinit does not match the map (h=%v B=%d start=%d offset=%d)",
			o.line, hi.H == unsafe.Pointer(h), hi.B, hi.StartBucket, hi.Offset)
	}
	if !nonEmpty && (hi.H != nil || hi.StartBucket != 0 || hi.Offset != 0 || ok) {
		return ierr("line %d: iterator on an empty map was not left at its end", o.line)
	}
	r.trace[st.declIdx] = fmt.Sprintf("iter %s %d %d", st.id, hi.StartBucket, hi.Offset)
	return nil
}

// afterStep checks and counts what the op did to the map: growth, a
// reseed (every key is pinned again), B.
func (r *recorder[K]) afterStep(o op, wasGrowing bool) error {
	h := r.h
	if h.Flags&gomap.FlagHashWriting != 0 {
		return ierr("line %d: hashWriting left set", o.line)
	}
	if !wasGrowing && h.Oldbuckets != nil {
		r.growths++
		if h.Flags&gomap.FlagSameSizeGrow != 0 {
			r.sameSize++
		}
	}
	if h.Hash0 != r.seed {
		// The runtime reseeded the map (a clear of a non-empty map, or a
		// delete that emptied it): pin every key ever seen again, so that
		// keys still sitting in arrays an iterator holds hash right too.
		r.seed = h.Hash0
		r.reseeds++
		for _, k := range r.seen {
			r.pin(k)
		}
	}
	if h.B >= maxB {
		return lerr(o.line, "%s made B=%d; recorded traces must stay below B=%d (Go counts overflow buckets at random from there on)", o.kind, h.B, maxB)
	}
	if h.B > r.maxB {
		r.maxB = h.B
	}
	if r.verifyEvery {
		return r.verify(o.line)
	}
	return nil
}

func (r *recorder[K]) writeBucket(w *strings.Builder, b *gomap.BucketOf[K]) {
	for s := 0; s < gomap.BucketCnt; s++ {
		if s > 0 {
			w.WriteByte(' ')
		}
		fmt.Fprintf(w, "%02x", b.Tophash[s])
	}
	w.WriteString(" |")
	for s := 0; s < gomap.BucketCnt; s++ {
		if b.Tophash[s] >= gomap.MinTopHash {
			w.WriteByte(' ')
			w.WriteString(r.kk.format(b.Keys[s]))
		} else {
			w.WriteString(" .")
		}
	}
}

func (r *recorder[K]) writeArray(w *strings.Builder, tag string, array unsafe.Pointer, n uintptr) {
	for i := uintptr(0); i < n; i++ {
		fmt.Fprintf(w, "%s %d: ", tag, i)
		if array == nil {
			r.writeBucket(w, &gomap.BucketOf[K]{})
		} else {
			for b, first := gomap.BucketOfAt[K](array, i), true; b != nil; b, first = (*gomap.BucketOf[K])(b.Overflow), false {
				if !first {
					w.WriteString(" -> ")
				}
				r.writeBucket(w, b)
			}
		}
		w.WriteByte('\n')
	}
}

func (r *recorder[K]) oldCount() uintptr {
	h := r.h
	if h.Flags&gomap.FlagSameSizeGrow != 0 {
		return uintptr(1) << h.B
	}
	return uintptr(1) << (h.B - 1)
}

// dump writes the layout exactly as it stands in the runtime's memory.
func (r *recorder[K]) dump() {
	h := r.h
	growing, same := 0, 0
	if h.Oldbuckets != nil {
		growing = 1
		r.midGrowD++
	}
	if h.Flags&gomap.FlagSameSizeGrow != 0 {
		same = 1
	}
	w := &r.exp
	fmt.Fprintf(w, "dump B=%d count=%d noverflow=%d nevacuate=%d growing=%d samesize=%d\n",
		h.B, h.Count, h.Noverflow, h.Nevacuate, growing, same)
	r.writeArray(w, "new", h.Buckets, uintptr(1)<<h.B)
	if h.Oldbuckets != nil {
		r.writeArray(w, "old", h.Oldbuckets, r.oldCount())
	}
	w.WriteString("end\n")
}

func topHash(hash uint64) uint8 {
	t := uint8(hash >> 56)
	if t < gomap.MinTopHash {
		t += gomap.MinTopHash
	}
	return t
}

// verify checks the map against the pins: every filled slot of the current
// array, and of the old array while growing, holds a key whose hash under
// the current seed (the value pinned in the trace) gives that slot's tophash
// and that bucket; and the filled slots add up to count. It guards the
// recorder's reading of the runtime (offsets, hasher, seed), not the output.
func (r *recorder[K]) verify(line int) error {
	h := r.h
	filled := 0
	check := func(tag string, array unsafe.Pointer, n uintptr) error {
		for i := uintptr(0); i < n; i++ {
			for b := gomap.BucketOfAt[K](array, i); b != nil; b = (*gomap.BucketOf[K])(b.Overflow) {
				for s := 0; s < gomap.BucketCnt; s++ {
					top := b.Tophash[s]
					if top < gomap.MinTopHash {
						continue
					}
					filled++
					k := b.Keys[s]
					if k != k {
						continue // a NaN: hashed at random, found by nothing
					}
					if !r.pinned[r.kk.format(k)] {
						return ierr("line %d: %s bucket %d holds key %s that was never named", line, tag, i, r.kk.format(k))
					}
					hv := uint64(gomap.HashOf(r.mt, k, h.Hash0))
					if topHash(hv) != top || uintptr(hv)&(n-1) != i {
						return ierr("line %d: %s bucket %d slot %d: key %v (tophash %02x) does not hash there under hash0 %#x (hash %#016x)",
							line, tag, i, s, k, top, h.Hash0, hv)
					}
					if v, ok := r.m[k]; !ok || v != b.Elems[s] {
						return ierr("line %d: %s bucket %d slot %d: key %v elem %d, map says %d %v", line, tag, i, s, k, b.Elems[s], v, ok)
					}
				}
			}
		}
		return nil
	}
	if h.Buckets != nil {
		if err := check("new", h.Buckets, uintptr(1)<<h.B); err != nil {
			return err
		}
	}
	if h.Oldbuckets != nil {
		if err := check("old", h.Oldbuckets, r.oldCount()); err != nil {
			return err
		}
	}
	if filled != h.Count || filled != len(r.m) {
		return ierr("line %d: %d filled slots, count %d, len %d", line, filled, h.Count, len(r.m))
	}
	return nil
}

func (r *recording) summary() string {
	return fmt.Sprintf("%d trace lines, %d output lines, max B=%d, reseeds=%d, growths=%d (same-size %d), dumps mid-growth=%d",
		len(r.trace), strings.Count(r.exp.String(), "\n"), r.maxB, r.reseeds, r.growths, r.sameSize, r.midGrowD)
}
