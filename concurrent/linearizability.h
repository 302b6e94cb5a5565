// concurrent/linearizability.h: is a concurrent history of map operations
// linearizable, and does a Range respect Go's contract?
//
// A history is what threads recorded: each operation with its arguments,
// its result, and the monotonic times just before the call and just after
// the return. It is linearizable if the operations can be put in one
// order, each at a point between its call and its return, that the
// sequential map (the model) would have produced with the same results.
//
// The check is Wing & Gong's search with Lowe's memo, as Porcupine runs it:
// calls and returns in time order on a linked list; take the next call,
// apply it to the model if the result matches and lift it out of the
// list; reaching a return whose call is still in the list means the order
// so far is wrong, so undo the last choice; a (set of linearized ops,
// model state) pair seen before is never explored twice. A map is a
// set of independent registers, one per key, so the history is split by
// key first (Porcupine's partitioning) and each key is checked alone: the
// search stays small because it is exponential only in how many
// operations on one key overlap.
//
// When a key's history is not linearizable the report shows the smallest
// offending piece: the shortest prefix of that key's history (cut at a
// return) that already has no linearization, started at the latest moment
// before the failure when no operation was open, with the set of states
// the key can be in at that moment. Linearizability is prefix-closed, and
// at a quiescent moment every linearization passes through one of those
// states, so that piece alone proves the violation.
//
// Values. Histories use 64-bit keys and values; kAbsent (all ones) stands
// for "no value" and is never stored. The Range check assumes every write
// stores a value not written before (the stress driver makes them so).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tophash::lin {

inline constexpr std::uint64_t kAbsent = ~std::uint64_t{0};

enum class OpKind : std::uint8_t {
  kLoad,              // out: the value or kAbsent
  kStore,             // arg
  kLoadOrStore,       // arg; out: actual value, ok: loaded
  kLoadAndDelete,     // out: the value or kAbsent
  kDelete,            //
  kSwap,              // arg; out: previous value or kAbsent
  kCompareAndSwap,    // expected, arg (new); ok: swapped
  kCompareAndDelete,  // expected; ok: deleted
};

struct Op {
  OpKind kind = OpKind::kLoad;
  std::uint32_t thread = 0;
  std::uint64_t key = 0;
  std::uint64_t arg = 0;
  std::uint64_t expected = 0;
  std::uint64_t out = kAbsent;
  bool ok = false;
  std::int64_t call_ns = 0;    // monotonic, any common origin
  std::int64_t return_ns = 0;  // >= call_ns
};

// Go's sequential semantics for one key: from `state` (a value or kAbsent),
// is `op`'s result possible, and what state follows?
bool step(std::uint64_t state, const Op& op, std::uint64_t* next);

// "Store(3, 7)", "Load(3) -> 7", "LoadOrStore(3, 9) -> 7, loaded", ...
std::string format_op(const Op& op);

struct Verdict {
  bool linearizable = true;
  std::size_t ops = 0;   // operations checked
  std::size_t keys = 0;  // partitions
  std::string report;    // the offending sub-history, when not linearizable
};

Verdict check(const std::vector<Op>& history);

// One key's history alone (no partitioning), with `initial` as the state
// before it. Exposed for tests of the search itself.
bool linearizable_from(const std::vector<Op>& ops, std::uint64_t initial);

// A Range call and what it saw, in order.
struct RangeCall {
  std::uint32_t thread = 0;
  std::int64_t call_ns = 0;
  std::int64_t return_ns = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  bool stopped_early = false;  // f returned false: only the no-duplicate and value rules apply
};

// Go's Range contract under concurrent writes, judged from the history of
// all operations: no key visited twice; every key certainly present
// throughout the call visited (unless stopped early); every (key, value)
// seen was the key's value at some moment during the call. Returns ""
// when the contract holds, else what broke it.
std::string check_range(const RangeCall& range, const std::vector<Op>& history);

}  // namespace tophash::lin
