// properties/growth_work.h: how fast a growth progresses, checked write by
// write against Go 1.19's growWork.
//
// The executor checks that a growth starts when Go's would and that the
// evacuation state is consistent (old buckets below the mark evacuated,
// the one at the mark not), but not the pace: a growth that evacuates too
// little per write (and so may never end) or too much passes those
// checks. Go fixes the pace exactly (runtime/map.go): every put, new key
// or not, and every delete on a non-empty map first evacuates the old
// bucket its key maps to, then, if the growth is not done, the old bucket
// at the mark; evacuating the bucket at the mark moves the mark past it
// and past the evacuated buckets after it (at most 1024 further); the
// growth ends when the mark passes the last old bucket. A put that starts
// a growth does that work on the new growth at once. Nothing else
// evacuates (lookups and iterators read only); clear abandons a growth;
// reserve and shrink_to_fit finish it.
//
// check_growth_work replays a program's map operations (u64 keys; hash,
// seed and hint as the executor uses them) on a BucketMap, predicts the
// evacuated set and the mark after each write from the state before it,
// and compares them with the map's.
#pragma once

#include <optional>
#include <string>

#include "trace.h"

namespace tophash::properties {

// Whether check_growth_work can judge p: u64 keys (other key types hash
// NaNs at random or by content the replay would have to intern).
bool growth_work_applies(const trace::Program& p);

// The first op whose growth work differs from Go's, described with the
// program up to it and the layout after it; nothing when all agree.
// Call it on programs the executor has run without error.
std::optional<std::string> check_growth_work(const trace::Program& p);

}  // namespace tophash::properties
