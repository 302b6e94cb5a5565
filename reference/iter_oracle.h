// reference/iter_oracle.h: Go's iteration contract, checked for one
// iterator at every step and at its end. Each rule is what the Go 1.19
// runtime (runtime/map.go, mapiterinit and mapiternext) does, no more and
// no less; tests/go-rules runs each rule on real Go 1.19 maps.
//
// Between initialisation (the first `next`) and the end:
//   R1 every key present from start to end is yielded exactly once;
//   R2 a key deleted before it is reached is never yielded;
//   R3 nothing is yielded twice, unless it was deleted and added again in
//      between (then it is a new entry, which Go may or may not yield), or
//      R7, R9, R10 or R12 allows it;
//   R4 nothing is yielded that is not in the map at that moment, and what
//      is yielded carries the map's current value and the key as last put
//      (+0 and -0 are one key; mapiternext looks moved entries up again,
//      "we need to regrab the key");
//   R5 NaN entries (which no lookup finds) are yielded at most as often as
//      they exist (R9, R10 aside), and those present from start to end all
//      are (R11 aside);
//   R8 an entry added meanwhile may or may not be yielded (not checked).
//
// Go 1.19's own exceptions. Each is accepted only inside the window its
// mechanism needs, and counted as a deviation, not a failure. An entry is
// repeated at most as often as the mechanism can find copies of it.
//   R6 (golang/go#59411) a key removed by a clear() while the iterator was
//      open may still come out of an array the clear did not reset, with
//      its old value, or after being re-added.
//   R7 (the stale array) mapiternext takes its growth path whenever
//      `h.growing() && it.B == h.B`. A same-size growth keeps B, so an
//      iterator that has seen one growth begin since it started (its array
//      became h.oldbuckets) and then a second one (h.oldbuckets is now the
//      array after it) still takes that path: for a bucket not yet
//      evacuated it walks h.oldbuckets, for an evacuated one it falls back
//      to it.buckets, its own array from two generations back, and looks
//      up each key left there in the live map. Without a reseed a key
//      keeps its bucket index across same-size growths and the iterator
//      visits each index once, so nothing is found twice. But when the
//      map has emptied (mapdelete and mapclear reseed: issue 25237) after
//      the first growth began, a key re-added under the new seed sits at a
//      new index, and the same entry can be found twice: once through its
//      stale slot in it.buckets, once in h.oldbuckets. After a step on that
//      path it may also stand in h.oldbuckets' chain once the growth is
//      over (as in R12), and it reads its own stale array from then on.
//      Window: a step on the stale path (no doubling since the start, so B
//      is the start's B; no rebuild, since reserve and shrink_to_fit, C++
//      only, end the growth path for open iterators; two growths begun
//      since the start; one under way) and a reseed after the first of
//      those growths began.
//   R9 (the old-bucket filter dropped) an iterator that starts while the
//      map doubles walks an unevacuated old bucket keeping only the
//      entries bound for the new bucket it visits (checkBucket). It keeps
//      checkBucket for the rest of that old chain but tests
//      `!h.sameSizeGrow()` at every step: when the doubling ends and a
//      same-size growth begins while it is inside the chain, the rest of
//      the chain comes out unfiltered, and the entries bound for the
//      sibling bucket come out again there (keys and NaN entries alike).
//      Window: started while doubling, and a same-size growth began since.
//   R10 (a clear inside the last preallocated overflow bucket) from B = 4
//      the array comes with preallocated overflow buckets, the last of
//      which points back at bucket 0 while unused (makeBucketArray's end
//      mark). mapclear resets the array, mark included, so an iterator
//      standing in that bucket follows the mark into bucket 0 and yields
//      what was put there after the clear, and yields it again when it
//      reaches bucket 0. Window: a clear of the iterator's own array (no
//      growth or rebuild since it started) at B >= 4, for keys in bucket 0
//      of that array under the clear's seed (any key, once a later reseed
//      has moved them). BucketMap keeps no such mark and does not do this.
//   R11 (the old-bucket filter turned on) an iterator that walks an old
//      bucket during a same-size growth keeps checkBucket for the rest of
//      that chain too; when the growth ends while it is inside the chain
//      (a doubling may follow), the rest is filtered with the iterator's
//      B. Keys pass, but a NaN passes only if the low bit of its tophash
//      names the bucket's half, and an evacuated slot says evacuatedX (low
//      bit 0): NaN entries of an upper-half bucket are never yielded.
//      Window: the iterator stepped while a same-size growth was under way
//      at its B, and that growth has ended since.
//   R12 (the old bucket it stands in) an iterator that starts while the
//      map grows walks unevacuated old buckets. Between two steps it keeps
//      standing in the old bucket's chain (it.bptr, checkBucket) whatever
//      the map does meanwhile: the growth ends, a clear abandons it. When
//      it resumes, the rest of that chain holds the keys evacuation left
//      behind, marked evacuated, which it filters by their hash under the
//      current seed and looks up in the live map. After a reseed a key
//      deleted and put again sits at a new index, can pass that filter,
//      and is found there and once more where it lives now. Window:
//      started while growing, and a reseed (a delete that emptied the map,
//      or a clear) since. (In Go a later growth freezes the iterator's own
//      array with the key's older copy; reserve and shrink_to_fit freeze
//      it the same way here.)
//   R13 (C++ only: erase_if of NaN entries) erase_if finishes a growth and
//      then removes entries in place. An iterator still walking an older
//      array (its snapshot from before the growth) yields a NaN from an
//      evacuated slot as it stands (no lookup finds a NaN), so a NaN entry
//      erase_if removed may still come out of that array, as R6 for a
//      clear. Window: erase_if removed NaN entries while the iterator was
//      open; counted with R6.
//   In the window of R7 or R12 an entry comes out at most once per array
//   that can hold a copy of it: the iterator's own, the old array it
//   started in, the old array of each growth begun since, and once more
//   through R10's mark: 2 + growths + (R10). Go 1.19 reaches three (an
//   R12 start, a same-size growth, a reseed, a third growth under way).
//   R9 and R10 alone repeat an entry once.
// tests/go-rules shows each of R1-R12 on the real runtime and that the
// breaks it provokes fall inside these windows and bounds; its README
// lists where its own tracker is narrower than this oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "check.h"
#include "model.h"
#include "pool.h"

namespace tophash::reference {

// The map's state the windows depend on, as the executor sees it.
struct MapPhase {
  unsigned B = 0;
  bool growing = false;
  bool same_size = false;  // the growth under way is a same-size one
};

class IterOracle {
 public:
  using Format = std::function<std::string(std::uint64_t id)>;

  // What a yield was, when it was not a plain one.
  enum class Deviation { kNone, kGo59411, kStaleCopy, kFilterDropped, kClearMark };
  // Entries R11 let go unyielded, from end().
  std::size_t nan_skipped() const { return nan_skipped_; }

  // As freshly constructed, keeping the sets' storage (the executor reuses
  // its oracles from program to program).
  void reset();

  bool started() const { return started_; }
  bool ended() const { return ended_; }
  bool open() const { return started_ && !ended_; }

  void start(const Model& m, MapPhase now);  // at initialisation (the first next)
  void on_step(MapPhase now);                // before every later step
  void on_erase(std::uint64_t id);
  void on_put_nan(std::uint64_t value);
  void on_erase_nan(std::uint64_t value);       // erase_if removed every NaN entry of this value (R13)
  void on_clear(const Model& m, MapPhase now);  // before the model is cleared; a reseed too
  void on_growth_start(bool same_size);         // a put began a growth (hashGrow)
  void on_reseed();               // a delete emptied the map (mapdelete reseeds)
  void on_rebuild();              // reserve or shrink_to_fit rebuilt the table

  // Whether yield() needs the key's hash (R10's window is open); when not,
  // the executor passes 0 and saves computing it.
  bool wants_hash() const { return r10_; }

  // One entry the iterator yielded: its key identity and exact repr, its
  // value repr (value_ok false when the value is not one the program ever
  // put), with the map's phase at that moment. Returns the Go 1.19
  // deviation it was (R6, R7, R9, R10), if any; throws CheckFailure when
  // the contract is broken.
  Deviation yield(std::uint64_t id, std::uint64_t key, std::uint64_t value, bool value_ok, bool nan, MapPhase now,
                  std::uint64_t hash, const Model& m, const Format& fmt);
  // At the iterator's end (R11 is decided here).
  void end(MapPhase now, const Format& fmt);

  // The contract's per-entry checks and failures, shared with the
  // executor's final iteration (over which nothing is written, so it
  // checks with the model's marks instead of an oracle's sets).
  enum class Mismatch { kNone, kNotInMap, kWrongValue, kWrongKey };
  // A yielded entry (not NaN) against the model's entry for its identity.
  static Mismatch compare(const ModelEntry* e, std::uint64_t key, std::uint64_t value, bool value_ok) {
    if (e == nullptr) return Mismatch::kNotInMap;
    if (!value_ok || e->value != value) return Mismatch::kWrongValue;
    if (e->key != key) return Mismatch::kWrongKey;
    return Mismatch::kNone;
  }
  [[noreturn]] static void fail_mismatch(Mismatch x, std::uint64_t id, std::uint64_t key, const ModelEntry* e,
                                         const Format& fmt);
  [[noreturn]] static void fail_yielded_twice(std::uint64_t id, const Format& fmt);
  [[noreturn]] static void fail_yielded_too_often(std::uint64_t id, std::size_t times, std::size_t most,
                                                 const Format& fmt);
  [[noreturn]] static void fail_never_yielded(std::uint64_t id, std::size_t more, const Format& fmt);
  [[noreturn]] static void fail_nan_too_often(std::uint64_t value);
  [[noreturn]] static void fail_nan_never_yielded(std::uint64_t value);

 private:
  using Set = std::unordered_set<std::uint64_t, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                                 PoolAllocator<std::uint64_t>>;
  using Bag = std::unordered_map<std::uint64_t, std::size_t, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                                 PoolAllocator<std::pair<const std::uint64_t, std::size_t>>>;
  static bool take(Bag& bag, std::uint64_t v);
  // R7: the stale path is taken now (see the header).
  bool stale_path(MapPhase now) const { return !rebuilt_ && growths_ >= 2 && now.growing && now.B == B_; }
  // A second yield of an entry not deleted since its first (R3, R6, R7, R9, R10).
  Deviation yielded_again(std::uint64_t id, std::size_t times, std::uint64_t hash, const Format& fmt);
  // R7, R12: an entry has at most one copy in each array the iterator can
  // read: its own, the old array it started in, the old array of each
  // growth since, and its own array's bucket 0 once more through R10's mark.
  std::size_t max_stale_copy_yields() const { return 2 + growths_ + (r10_ ? 1 : 0); }
  // A NaN yield beyond the entries there are (R5, R6, R9, R10).
  Deviation nan_again(std::uint64_t value);


  bool started_ = false, ended_ = false, cleared_nan_ = false;
  unsigned B_ = 0;                   // it.B: the map's B at initialisation
  unsigned growths_ = 0;             // growths begun since initialisation
  bool reseeded_after_growth_ = false;  // a reseed after the first of those began
  bool stale_seen_ = false;             // it stepped on the stale path (R7)
  bool rebuilt_ = false;             // a rebuild since initialisation
  bool r9_ = false, r10_ = false, r11_ = false;  // inside that exception's window
  bool r10_reseeded_ = false;        // a reseed after R10's clear: keys moved off bucket 0
  bool started_doubling_ = false;    // initialised while the map was doubling (R9)
  bool started_growing_ = false;     // initialised while the map was growing (R12)
  bool reseeded_ = false;            // a reseed since initialisation (R12)
  int same_size_epoch_ = -1;         // growths_ when it last stepped in a same-size growth (R11)
  std::size_t nan_skipped_ = 0;
  Set must_;     // present since start, not yet yielded
  Bag yielded_;  // yielded and not deleted since: how many times
  Set cleared_;  // removed by a clear while open
  Bag nan_must_, nan_other_;
  Bag nan_yielded_;  // NaN values yielded so far, each may come out once more (R9, R10)
};

}  // namespace tophash::reference
