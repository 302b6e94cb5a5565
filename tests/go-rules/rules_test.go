package gorules

import "testing"

// Program families. maxCount keeps B below 16, where noverflow is exact.
var (
	// Keys present at the start stay to the end; everything else moves.
	mixKeep = mix{hintMax: 120, initMax: 100, midGrowth: 0.4, act: 0.6, burst: 3, budget: 120, maxCount: 300,
		keepStart: true, w: weights(map[action]int{aPut: 6, aUpdate: 4, aDelete: 4, aReAdd: 2, aOverflow: 3,
			aSameSize: 1, aDouble: 1, aFinish: 1})}
	// Deletes of keys not yet reached, re-adds, growth, emptying.
	mixDelete = mix{hintMax: 120, initMax: 100, midGrowth: 0.4, act: 0.6, burst: 4, budget: 150, maxCount: 300,
		w: weights(map[action]int{aPut: 3, aUpdate: 2, aDelete: 10, aReAdd: 4, aOverflow: 3, aSameSize: 1,
			aDouble: 1, aFinish: 1, aEmpty: 1})}
	// Small maps emptied again and again between growths, mostly same-size.
	mixChurn = mix{hintMax: 60, initMax: 20, midGrowth: 0.3, act: 0.7, burst: 3, budget: 160, maxCount: 200,
		w: weights(map[action]int{aPut: 4, aUpdate: 2, aDelete: 3, aReAdd: 4, aOverflow: 4, aSameSize: 3,
			aDouble: 1, aFinish: 2, aEmpty: 3})}
	// The same without doublings during the loop.
	mixSameSize = mix{hintMax: 60, initMax: 20, midGrowth: 0.3, act: 0.7, burst: 3, budget: 160, maxCount: 200,
		w: weights(map[action]int{aPut: 4, aUpdate: 2, aDelete: 3, aReAdd: 4, aOverflow: 4, aSameSize: 3,
			aFinish: 2, aEmpty: 3})}
	// New values (and +0/-0 in float maps) across growths.
	mixUpdate = mix{hintMax: 120, initMax: 80, midGrowth: 0.4, act: 0.6, burst: 4, budget: 150, maxCount: 300,
		w: weights(map[action]int{aPut: 3, aUpdate: 10, aDelete: 2, aReAdd: 2, aOverflow: 2, aSameSize: 1,
			aDouble: 1, aFinish: 1, aEmpty: 1})}
	mixUpdateF64 = withWeights(mixUpdate, map[action]int{aZero: 6})
	// NaN entries before and during the loop, across growths. A map with
	// a NaN entry never empties: no new seed.
	mixNaN = mix{hintMax: 120, initMax: 60, nanInit: 12, midGrowth: 0.4, act: 0.6, burst: 4, budget: 150,
		maxCount: 300, w: weights(map[action]int{aPut: 4, aUpdate: 2, aDelete: 4, aReAdd: 2, aOverflow: 3,
			aSameSize: 1, aDouble: 1, aFinish: 1, aNaN: 4, aZero: 1})}
	// Everything, clears included.
	mixClear = mix{hintMax: 120, initMax: 60, midGrowth: 0.4, act: 0.6, burst: 3, budget: 150, maxCount: 300,
		w: weights(map[action]int{aPut: 5, aUpdate: 2, aDelete: 3, aReAdd: 3, aOverflow: 3, aSameSize: 2,
			aDouble: 1, aFinish: 1, aEmpty: 1, aClear: 2})}
	mixClearF64 = withWeights(mixClear, map[action]int{aNaN: 3, aZero: 2})
)

func TestRule1KeysPresentThroughoutYieldedOnce(t *testing.T) {
	var s summary
	runPrograms(&s, 1, 2000, mixKeep, genU64, clearU64)
	runPrograms(&s, 11, 500, mixKeep, genF64, clearF64)
	mustHold(t, &s)
	if s.c.doublings == 0 || s.c.growths == s.c.doublings {
		t.Errorf("the programs did not grow the map both ways during a loop")
	}
}

func TestRule2DeletedBeforeReachedNeverYielded(t *testing.T) {
	var s summary
	runPrograms(&s, 2, 3000, mixDelete, genU64, clearU64)
	mustHold(t, &s)
	if s.c.deletedUnreached == 0 {
		t.Errorf("no key was deleted before the loop reached it")
	}
}

func TestRule3NoDoubleYieldOutsideTheWindows(t *testing.T) {
	var s summary
	runPrograms(&s, 3, 3000, mixChurn, genU64, clearU64)
	runPrograms(&s, 31, 1500, mixDelete, genU64, clearU64)
	mustHold(t, &s)
	if s.c.reseeds == 0 || s.c.growths == 0 {
		t.Errorf("the programs neither reseeded nor grew the map during a loop")
	}
}

func TestRule4YieldedEntriesAreCurrent(t *testing.T) {
	var s summary
	runPrograms(&s, 4, 2000, mixUpdate, genU64, clearU64)
	runPrograms(&s, 41, 2000, mixUpdateF64, genF64, clearF64)
	mustHold(t, &s)
	if s.c.valueChanges == 0 || s.c.signChanges == 0 || s.c.zeroYields[0] == 0 || s.c.zeroYields[1] == 0 {
		t.Errorf("the programs did not change values and the sign of a zero key and see both zeros yielded")
	}
}

func TestRule5NaNEntries(t *testing.T) {
	var s summary
	runPrograms(&s, 5, 2000, mixNaN, genF64, clearF64)
	mustHold(t, &s)
	if s.c.nanStart == 0 || s.c.nanYields <= s.c.nanStart/2 {
		t.Errorf("too few NaN entries: %d at the start, %d yields", s.c.nanStart, s.c.nanYields)
	}
}

func TestRule8AddedKeysMayOrMayNotBeYielded(t *testing.T) {
	var s summary
	runPrograms(&s, 8, 1000, mixKeep, genU64, clearU64)
	mustHold(t, &s)
	if s.c.addedYielded == 0 || s.c.addedMissed == 0 {
		t.Errorf("keys added during a loop: %d yielded, %d not; Go does both", s.c.addedYielded, s.c.addedMissed)
	}
}
