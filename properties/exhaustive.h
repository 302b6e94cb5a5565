// properties/exhaustive.h: bounded-exhaustive checking. Every program up
// to a small length over a small alphabet runs through the lockstep
// executor (and, for u64 keys, the growth-work check), beside the random
// programs of the state machine: where random testing samples, this tries
// every short interleaving of writes, iterator steps, reopenings and
// clears in a few states chosen to be on the edge of something.
//
// What "small" must mean for this map: nothing interesting happens below
// nine keys (B = 0 holds eight), and a growth ends after at most as many
// writes as it has old buckets (each write evacuates its key's old bucket
// and the one at the mark): from one or two old buckets it ends inside
// the put that starts it, from four within a write or two. A search from
// the empty map with a few keys never sees a growth at all. Each scenario therefore starts from a fixed prefix that puts the
// map on an edge: just below a doubling from B = 3 (eight old buckets) or
// in the middle of it; just below or in the middle of a same-size growth
// at B = 3; emptied (reseeded) under an open iterator; NaN keys in a
// doubling; and, for tombstones and slot offsets, an empty and a full
// B = 0 map with a tiny hash of two values. The growth scenarios pin
// hashes that place three alphabet keys exactly (two in one old bucket,
// bound for its X and its Y half, one in another) and keep the fillers
// away from them, so that an iterator started there reaches them in a
// step or two. The alphabet: put and delete of those keys, a step of
// iterator i0, reopening i0 at the instance's start bucket and offset,
// clear. A scenario has instances, one per iterator start and
// offset; the prefix opens i0 there, or (mid-growth) declares it so that
// its first step, wherever the suffix puts it, starts it. Each program is
// the prefix, a suffix of at most `depth` letters, and a final drain of
// i0, so every iteration is judged to its end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "trace.h"

namespace tophash::properties {

struct ExhaustiveInstance {
  std::string name;                 // scenario/start/offset
  trace::Program prefix;            // the config and the ops that set the state up
  std::vector<trace::Op> alphabet;  // what suffixes are made of
  bool iterates = false;            // the prefix declares i0
};

struct Scenario {
  std::string name;
  std::string what;  // the edge its prefix sets up
  std::vector<ExhaustiveInstance> instances;
};

std::vector<Scenario> scenarios();

struct ExhaustiveStats {
  std::size_t programs = 0;
  std::size_t iterator_saw_growth = 0;     // programs in which a growth began under an open iterator
  std::size_t iterated_while_growing = 0;  // ... an iterator stepped mid-growth
};

// Runs every program of `inst` up to `depth` suffix letters. Returns the
// report of the first failure, if any; `progress` is called now and then
// with the programs run so far.
std::optional<std::string> explore(const ExhaustiveInstance& inst, unsigned depth, ExhaustiveStats& stats,
                                   const std::function<void(std::size_t)>& progress = {});

// How many programs explore() runs at `depth` (suffixes of length 0..depth).
std::size_t programs_at_depth(const ExhaustiveInstance& inst, unsigned depth);

}  // namespace tophash::properties
