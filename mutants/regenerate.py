#!/usr/bin/env python3
"""Regenerates the map's planted-bug patches (mutants/NAME.patch) from the
current sources: each mutant is one textual replacement in one file. Run it
when the map's code moves and a patch no longer applies; a replacement
whose original text is gone (or not unique) stops the script, so a mutant
is never silently lost. scripts/mutants applies the patches.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "mutants")
# name, file, original text, planted text, what the bug is
M = [
 ("emptyrest-overflow", "impl/include/tophash/internal/bucket_map_write.h",
  "            if (b == orig) break;\n            BucketT* c = b;",
  "            break;  // planted: the emptyRest run stops at the overflow bucket's start\n            BucketT* c = b;",
  "mapdelete: the emptyRest run is not carried back into the previous bucket of the chain"),
 ("overflow-walk-early", "impl/include/tophash/bucket_map.h",
  "    for (BucketT* b = lookup_bucket(hash); b != nullptr; b = b->overflow) {",
  "    for (BucketT* b = lookup_bucket(hash); b != nullptr && (b->overflow != nullptr || b == lookup_bucket(hash)); b = b->overflow) {  // planted",
  "lookup stops one bucket early: the last overflow bucket of a chain is never searched"),
 ("xy-wrong-bit", "impl/include/tophash/internal/bucket_map_write.h",
  "          } else if ((hash & newbit) != 0) {",
  "          } else if ((hash & (newbit << 1)) != 0) {  // planted: the wrong hash bit",
  "evacuation splits an old bucket between X and Y by the wrong hash bit"),
 ("deleted-value-kept", "impl/include/tophash/internal/bucket_map_write.h",
  "      // Destroy the entry now: its resources are released at once.\n      b->destroy_slot(i);",
  "      // Destroy the entry now: its resources are released at once.\n      if constexpr (!std::is_trivially_destructible_v<K>) b->key(i)->~K();  // planted: the value is not destroyed",
  "delete destroys the key but not the value"),
 ("iter-no-filter", "impl/include/tophash/internal/bucket_map_iter.h",
  "        if (check != kNoCheck && !h->same_size_grow()) {",
  "        if (false && check != kNoCheck && !h->same_size_grow()) {  // planted",
  "an iterator walking an old bucket during growth keeps every key, not only those bound for the bucket it visits"),
 ("load-factor-off-by-one", "impl/include/tophash/internal/bucket.h",
  "  return count > kBucketCnt && count > kLoadFactorNum * ((std::size_t{1} << B) / kLoadFactorDen);",
  "  return count > kBucketCnt && count >= kLoadFactorNum * ((std::size_t{1} << B) / kLoadFactorDen);  // planted: off by one",
  "overLoadFactor uses >= instead of >: the map doubles one key early"),
 ("evacuation-mark-stuck", "impl/include/tophash/internal/bucket_map_write.h",
  "  while (nevacuate_ != stop && oldbuckets_->bucket(nevacuate_)->evacuated()) ++nevacuate_;",
  "  // planted: the mark is not advanced over buckets already evacuated",
  "the evacuation mark is not advanced over old buckets that are already evacuated"),
 ("overflow-trigger-off-by-one", "impl/include/tophash/internal/bucket.h",
  "  return noverflow >= (std::size_t{1} << (B < kMaxOverflowLog2 ? B : kMaxOverflowLog2));",
  "  return noverflow > (std::size_t{1} << (B < kMaxOverflowLog2 ? B : kMaxOverflowLog2));  // planted: off by one",
  "tooManyOverflowBuckets uses > instead of >=: same-size growth starts one overflow bucket late"),
 ("iter-stale-after-evacuation", "impl/include/tophash/internal/bucket_map_iter.h",
  "        if (!internal::is_evacuated_slot(t) || nan) {",
  "        if (true) {  // planted: an evacuated slot is yielded as it stands, not looked up again",
  "an iterator yields the stale copy left in an evacuated slot instead of looking the key up in the live map"),
 ("iter-start-offset", "impl/include/tophash/internal/bucket_map_iter.h",
  "          i_ = static_cast<std::uint8_t>(i + 1);\n          return true;\n        }\n      }\n    }\n    return step();",
  "          i_ = static_cast<std::uint8_t>(offi + 1);  // planted: the slot, not the step\n          return true;\n        }\n      }\n    }\n    return step();",
  "the iterator's inline step records the slot it yielded where the step index belongs, so with a non-zero offset the next step resumes at the wrong slot"),
 ("iter-doubling-filter", "impl/include/tophash/internal/bucket_map_iter.h",
  "            if ((h->hash_(k, h->hash0_) & bucket_mask(B_)) != check) continue;",
  "            if ((h->hash_(k, h->hash0_) & bucket_mask(B_ - 1)) != check) continue;  // planted: the old mask",
  "while doubling, an iterator walking an old bucket filters by the old mask, so keys bound for the Y half come out at the X bucket"),
 ("nan-evacuation", "impl/include/tophash/internal/bucket_map_write.h",
  "              use_y = top & 1;\n              top = internal::top_hash(hash);",
  "              top = internal::top_hash(hash);\n              use_y = top & 1;  // planted: the fresh tophash decides",
  "with an iterator open, evacuation sends a NaN by its fresh random tophash instead of the old one the iterator filters by"),
 ("growth-progress-stuck", "impl/include/tophash/internal/bucket_map_write.h",
  "  if (growing()) evacuate(nevacuate_);",
  "  if (growing() && !same_size_grow()) evacuate(nevacuate_);  // planted: no progress work when same-size",
  "a same-size growth does no progress work: a write evacuates only its own old bucket, never the one at the mark"),
 ("growth-progress-skip", "impl/include/tophash/internal/bucket_map_write.h",
  "  if (oldbucket == nevacuate_) advance_evacuation_mark(newbit);",
  "  if (oldbucket >= nevacuate_) advance_evacuation_mark(newbit);  // planted: >= for ==",
  "evacuating any old bucket at or above the mark advances it, passing over the unevacuated bucket at the mark"),
 ("iter-growth-path-after-rebuild", "impl/include/tophash/internal/bucket_map_iter.h",
  "        if (h->growing() && B_ == h->B_ && rebuilds_ == h->rebuilds_) {",
  "        if (h->growing() && B_ == h->B_) {  // planted",
  "an iterator open across a rebuild (reserve, shrink_to_fit) takes the growth path again once the map is back at its B, and yields entries twice"),
 # Exception-safety bugs: only a failed allocation, a throwing key or value
 # copy, hash or equality shows them (fuzz target faults, property Faults).
 ("faults-count-before-alloc", "impl/include/tophash/internal/bucket_map_write.h",
  "    goto again;  // growing invalidates everything\n  }\n  if (insertb == nullptr) {",
  "    goto again;  // growing invalidates everything\n  }\n  ++count_;  // planted: counted before the allocation that can fail\n  if (insertb == nullptr) {",
  "mapassign counts the new entry before the overflow bucket it may need is allocated: a failed allocation (or a throwing key or value copy) leaves count one too high",
  "  insertb->tophash[inserti] = top;\n  ++count_;\n  return {insertb->value(inserti), true};",
  "  insertb->tophash[inserti] = top;\n  return {insertb->value(inserti), true};"),
 ("faults-evacuation-not-undone", "impl/include/tophash/internal/bucket_map_write.h",
  "      undo_evacuation(head, b, i, buckets_->bucket(oldbucket),\n                      samesize ? nullptr : buckets_->bucket(oldbucket + newbit));\n"
  "      buckets_->give_back_overflow(overflow_mark);\n      noverflow_ = noverflow;\n      throw;",
  "      throw;  // planted: a failed evacuation is left half done",
  "a failed evacuation (allocation, hash or key copy) is not undone: the old bucket is left half evacuated, and the entries not yet moved are lost"),
 # Layout-only bugs: every lookup, iteration and growth check still holds
 # (the harness states Go's growth rules from impl's constants and takes
 # tophash from impl), so only a comparison with Go's own layout
 # (fuzz target go_layout) sees them.
 ("layout-slot-last-emptyone", "impl/include/tophash/internal/bucket_map_write.h",
  "        inserti = internal::first_slot(empty);",
  "        const std::uint32_t one = empty & internal::slots_before_first(rest);  // planted: the last emptyOne slot\n"
  "        inserti = one != 0 ? static_cast<std::size_t>(31 - __builtin_clz(one)) : internal::first_slot(empty);",
  "mapassign puts a new key in the last emptyOne slot before the first emptyRest instead of the first empty slot"),
 ("layout-tophash-offset", "impl/include/tophash/internal/bucket.h",
  "  return top < kMinTopHash ? static_cast<std::uint8_t>(top + kMinTopHash) : top;",
  "  return top < kMinTopHash ? static_cast<std::uint8_t>(top + kMinTopHash + 1) : top;  // planted: off by one",
  "tophash moves a top byte below minTopHash up by minTopHash + 1 instead of minTopHash"),
 ("layout-hint-size", "impl/include/tophash/bucket_map.h",
  "    B_ = b;\n    if (B_ != 0) buckets_ = Array::create(B_, alloc_);",
  "    B_ = b != 0 ? b + 1 : 0;  // planted: off by one\n    if (B_ != 0) buckets_ = Array::create(B_, alloc_);",
  "makemap gives a hint over one bucket's worth one B more than it needs"),
 ("layout-overflow-cap", "impl/include/tophash/internal/bucket.h",
  "inline constexpr unsigned kMaxOverflowLog2 = 15;",
  "inline constexpr unsigned kMaxOverflowLog2 = 2;  // planted: 2, not 15",
  "tooManyOverflowBuckets caps B at 2 instead of 15: from B = 3 on a same-size growth starts at 4 overflow buckets"),
 ("api-erase-if-no-overflow", "impl/include/tophash/internal/bucket_map_write.h",
  "      for (BucketT* b = orig; b != nullptr; b = b->overflow) {\n        for (std::size_t i = 0; i < kCnt; ++i) {\n          if (!internal::is_filled(b->tophash[i])) continue;\n          if (!pred(",
  "      for (BucketT* b = orig; b != nullptr; b = nullptr) {  // planted: overflow buckets are skipped\n        for (std::size_t i = 0; i < kCnt; ++i) {\n          if (!internal::is_filled(b->tophash[i])) continue;\n          if (!pred(",
  "erase_if looks only at each chain's first bucket: entries in overflow buckets are never erased"),
 ("api-copy-drops-old-array", "impl/include/tophash/internal/bucket_map_write.h",
  "      if (bi < self->noldbuckets()) walk(self->oldbuckets_, bi);",
  "      // planted: the old array's entries are not copied",
  "a copy of a map in mid-growth drops the entries not yet evacuated from the old array"),
 ("api-move-count-left", "impl/include/tophash/internal/bucket_map_write.h",
  "  other.count_ = 0;\n",
  "  // planted: the moved-from map keeps its count\n",
  "a move leaves the source's count behind: the moved-from map says it holds entries"),
 ("api-try-emplace-overwrites", "impl/include/tophash/bucket_map.h",
  "    return assign(std::forward<KK>(key), /*overwrite=*/false, std::forward<Args>(args)...);",
  "    return assign(std::forward<KK>(key), /*overwrite=*/true, std::forward<Args>(args)...);  // planted",
  "try_emplace (and operator[]) overwrite a present key's value"),
]
# A mutant may carry more replacements, in pairs after its description.
for name, path, *rest in M:
    what, pairs = rest[2], [tuple(rest[0:2])] + [tuple(rest[i:i + 2]) for i in range(3, len(rest), 2)]
    text = open(os.path.join(ROOT, path)).read()
    planted = text
    for old, new in pairs:
        if planted.count(old) != 1:
            sys.exit("regenerate: %s: the text to replace is gone from %s (or not unique)" % (name, path))
        planted = planted.replace(old, new)
    with tempfile.TemporaryDirectory() as d:
        for side, content in (("a", text), ("b", planted)):
            os.makedirs(os.path.join(d, side, os.path.dirname(path)))
            with open(os.path.join(d, side, path), "w") as f:
                f.write(content)
        diff = subprocess.run(["diff", "-u", "--label", "a/" + path, "--label", "b/" + path, "a/" + path, "b/" + path],
                              cwd=d, capture_output=True, text=True).stdout
    with open(os.path.join(OUT, name + ".patch"), "w") as f:
        f.write("Planted bug: %s.\n\n" % what)
        f.write(diff)
    print("mutants/%s.patch" % name)
