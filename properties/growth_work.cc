#include "growth_work.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "keys.h"
#include "tophash/bucket_map.h"
#include "tophash/debug.h"
#include "tophash/layout.h"

namespace tophash::properties {

namespace {

using trace::OpKind;
using A = debug::BucketMapAccess;
using Hash = reference::ProgramHash<trace::KeyType::kU64>;
using Map = BucketMap<std::uint64_t, std::uint64_t, Hash>;

// A growth as Go's growWork sees it.
struct Growth {
  bool growing = false;
  const void* old = nullptr;  // the old array (which growth this is)
  std::size_t nold = 0, nevacuate = 0;
  std::vector<char> evacuated;  // per old bucket

  bool operator==(const Growth& o) const {
    if (growing != o.growing) return false;
    return !growing || (old == o.old && nold == o.nold && nevacuate == o.nevacuate && evacuated == o.evacuated);
  }
};

Growth observe(const Map& m) {
  Growth g;
  g.growing = A::growing(m);
  if (!g.growing) return g;
  const auto* old = A::oldbuckets(m);
  g.old = old;
  g.nold = A::noldbuckets(m);
  g.nevacuate = A::nevacuate(m);
  g.evacuated.resize(g.nold);
  for (std::size_t j = 0; j < g.nold; ++j) g.evacuated[j] = old->bucket(j)->evacuated();
  return g;
}

// evacuate(oldbucket) and advanceEvacuationMark.
void evacuate(Growth& g, std::size_t j) {
  g.evacuated[j] = 1;
  if (j != g.nevacuate) return;
  ++g.nevacuate;
  const std::size_t stop = std::min(g.nevacuate + 1024, g.nold);
  while (g.nevacuate != stop && g.evacuated[g.nevacuate]) ++g.nevacuate;
  if (g.nevacuate == g.nold) g.growing = false;
}

// growWork.
void grow_work(Growth& g, std::uint64_t hash) {
  evacuate(g, hash & (g.nold - 1));
  if (g.growing) evacuate(g, g.nevacuate);
}

std::string show(const Growth& g) {
  if (!g.growing) return "not growing";
  std::string s = "growing, nevacuate " + std::to_string(g.nevacuate) + " of " + std::to_string(g.nold) +
                  ", evacuated {";
  bool first = true;
  for (std::size_t j = 0; j < g.nold; ++j) {
    if (!g.evacuated[j]) continue;
    s += first ? "" : " ";
    s += std::to_string(j);
    first = false;
  }
  return s + "}";
}

std::string report(const trace::Program& p, std::size_t i, const Growth& before, const Growth& want,
                   const Growth& got, const Map& m, const char* rule) {
  std::string s = "check failed: growth work\n";
  s += "'" + trace::print_op(p, p.ops[i]) + "' (" + rule + ")\nbefore: " + show(before) + "\nGo: " + show(want) +
       "\nthe map: " + show(got) + "\n";
  s += "at op " + std::to_string(i + 1) + " of " + std::to_string(p.ops.size()) + "\n";
  s += "--- trace up to the failing op (bucketmap-replay --check FILE) ---\n";
  s += trace::print_trace(p, i + 1);
  s += "--- layout after the failing op ---\n";
  s += dump_layout(m);
  return s;
}

}  // namespace

bool growth_work_applies(const trace::Program& p) { return p.config.keys == trace::KeyType::kU64; }

std::optional<std::string> check_growth_work(const trace::Program& p) {
  if (!growth_work_applies(p)) return std::nullopt;
  std::unordered_map<std::uint64_t, std::uint64_t> pins;
  reference::Interner interner(p);
  Hash hash;
  hash.mode = p.config.hashing;
  hash.tiny = p.config.tiny == 0 ? 1 : p.config.tiny;
  hash.pins = &pins;
  hash.interner = &interner;
  std::size_t first = 0;
  std::uint64_t hint = 0;
  if (!p.ops.empty() && p.ops[0].kind == OpKind::kHint) {
    hint = p.ops[0].a;
    first = 1;
  }
  Map m(hint, p.config.seed, hash);
  for (std::size_t i = first; i < p.ops.size(); ++i) {
    const trace::Op& op = p.ops[i];
    switch (op.kind) {
      case OpKind::kPin: pins[op.a] = op.b; break;
      case OpKind::kPut: {
        const Growth before = observe(m);
        const std::uint64_t h = A::hash(m, op.a);
        m.insert_or_assign(op.a, op.b);
        Growth want = before;
        if (want.growing) grow_work(want, h);
        Growth got = observe(m);
        if (!want.growing && got.growing) {
          // This put started a growth (whether it should have is the
          // executor's check) and did its first growth work on it.
          want = Growth{true, got.old, got.nold, 0, std::vector<char>(got.nold, 0)};
          grow_work(want, h);
        }
        if (!(want == got)) return report(p, i, before, want, got, m, "a put evacuates its key's old bucket, then the one at the mark");
        break;
      }
      case OpKind::kDel: {
        const Growth before = observe(m);
        Growth want = before;
        if (m.size() != 0 && want.growing) grow_work(want, A::hash(m, op.a));
        m.erase(op.a);
        const Growth got = observe(m);
        if (!(want == got)) {
          return report(p, i, before, want, got, m,
                        "a delete on a non-empty map evacuates its key's old bucket, then the one at the mark");
        }
        break;
      }
      case OpKind::kGet: {
        const Growth before = observe(m);
        (void)m.get(op.a);
        const Growth got = observe(m);
        if (!(before == got)) return report(p, i, before, before, got, m, "a lookup evacuates nothing");
        break;
      }
      case OpKind::kClear: {
        const Growth before = observe(m);
        const bool empty = m.size() == 0;
        m.clear();
        const Growth got = observe(m);
        const Growth want = empty ? before : Growth{};
        if (!(want == got)) return report(p, i, before, want, got, m, "clear abandons a growth");
        break;
      }
      case OpKind::kReserve:
      case OpKind::kShrinkToFit: {
        const Growth before = observe(m);
        if (op.kind == OpKind::kReserve) {
          m.reserve(op.a);
        } else {
          m.shrink_to_fit();
        }
        const Growth got = observe(m);
        if (got.growing && !(got == before)) {
          return report(p, i, before, Growth{}, got, m, "a rebuild finishes a growth or leaves it alone");
        }
        break;
      }
      // Iterators read and never evacuate; the replay runs none (for u64
      // keys they change no layout).
      case OpKind::kHint:
      case OpKind::kLen:
      case OpKind::kIter:
      case OpKind::kNext:
      case OpKind::kDrain:
      case OpKind::kClose:
      case OpKind::kDump: break;
    }
  }
  return std::nullopt;
}

}  // namespace tophash::properties
