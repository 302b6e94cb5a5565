#include "replay.h"

#include <memory>
#include <unordered_map>
#include <vector>

#include "tophash/bucket_map.h"
#include "tophash/layout.h"

namespace tophash::trace {

namespace {

// The hash of every key is whatever the trace pinned last ("hash K 0x...").
struct PinnedHash {
  const std::unordered_map<std::uint64_t, std::uint64_t>* pins;
  std::uint64_t operator()(std::uint64_t key, std::uint64_t /*seed*/) const { return pins->at(key); }
};

using Map = BucketMap<std::uint64_t, std::uint64_t, PinnedHash>;

std::uint64_t array_bytes(std::uint64_t n) {
  std::uint8_t b = 0;
  while (n > 8 && n > 13 * ((std::uint64_t{1} << b) / 2)) ++b;
  return internal::go_bucket_array_len(b, sizeof(internal::Bucket<std::uint64_t, std::uint64_t>)) *
         sizeof(internal::Bucket<std::uint64_t, std::uint64_t>);
}

}  // namespace

std::optional<ParseError> replay(const Program& p, std::string& out, const ReplayOptions& opt) {
  std::unordered_map<std::uint64_t, std::uint64_t> pins;
  std::size_t first = 0;
  std::uint64_t hint = 0;
  if (!p.ops.empty() && p.ops[0].kind == OpKind::kHint) {
    hint = p.ops[0].a;
    first = 1;
  }
  auto too_big = [&](const Op& op, const char* what) -> std::optional<ParseError> {
    if (array_bytes(op.a) <= opt.max_bytes) return std::nullopt;
    return ParseError{op.line, std::string(what) + " " + std::to_string(op.a) + " needs " +
                                   std::to_string(array_bytes(op.a)) + " bytes of buckets, over this replayer's limit of " +
                                   std::to_string(opt.max_bytes) + " (--max-bytes)"};
  };
  if (first == 1) {
    if (auto e = too_big(p.ops[0], "hint")) return e;
  }
  Map m(hint, /*seed=*/0, PinnedHash{&pins});

  struct IterSlot {
    std::optional<IterStart> pending;  // declared, not yet initialised
    std::unique_ptr<Map::Iter> it;
  };
  std::vector<IterSlot> iters(p.iter_names.size());
  auto kv = [](std::uint64_t k, std::uint64_t v) { return std::to_string(k) + " " + std::to_string(v); };

  for (std::size_t idx = first; idx < p.ops.size(); ++idx) {
    const Op& op = p.ops[idx];
    switch (op.kind) {
      case OpKind::kHint:
        return ParseError{op.line, "'hint' must be the first operation"};
      case OpKind::kPin: pins[op.a] = op.b; break;
      case OpKind::kPut: m.insert_or_assign(op.a, op.b); break;
      case OpKind::kDel: m.erase(op.a); break;
      case OpKind::kGet: {
        const std::uint64_t* v = m.get(op.a);
        out += "get " + (v ? kv(op.a, *v) : std::to_string(op.a) + " missing") + "\n";
        break;
      }
      case OpKind::kLen: out += "len " + std::to_string(m.size()) + "\n"; break;
      case OpKind::kClear: m.clear(); break;
      case OpKind::kIter:
        iters[op.iter].it.reset();
        iters[op.iter].pending = IterStart{op.b, op.c};
        break;
      case OpKind::kNext: {
        IterSlot& s = iters[op.iter];
        const std::string& name = p.iter_names[op.iter];
        bool more;
        if (s.pending) {
          s.it = std::make_unique<Map::Iter>(m.iterate(*s.pending));
          s.pending.reset();
          more = !s.it->done();
        } else {
          more = s.it && s.it->next();
        }
        out += "next " + name + " " + (more ? kv(s.it->key(), s.it->value()) : std::string("end")) + "\n";
        break;
      }
      case OpKind::kDump: out += dump_layout(m); break;
      case OpKind::kReserve:
        if (auto e = too_big(op, "reserve")) return e;
        m.reserve(op.a);
        break;
      case OpKind::kShrinkToFit: m.shrink_to_fit(); break;
      case OpKind::kClose:
        iters[op.iter].it.reset();
        iters[op.iter].pending.reset();
        break;
    }
  }
  return std::nullopt;
}

}  // namespace tophash::trace
