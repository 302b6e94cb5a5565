// tools/viewer/viewer_run.h: a program replayed on BucketMap alone (no
// model checks: the verdict comes from reference::Execution), step by step,
// recording what the layout viewer shows: per step the op's results, the
// map header, the buckets that changed and where each iterator stands.
//
// A step records only the buckets that changed (as JSON chains, see
// viewer.js), so a B = 16 map stepped 100,000 times stays small. Which
// buckets a put or a del may have changed is known from its key's hash:
// its bucket, and while growing the old buckets it evacuated and the new
// ones they fed. Every other writing op (clear, reserve, shrink_to_fit,
// the first op, an op this file does not know) and any step that replaced
// an array compares every bucket, as does every step of a small map and
// every kVerifyPeriod-th step of a large one, so nothing the map changed
// behind these rules goes unseen for long.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "go_dumps.h"
#include "json.h"
#include "keys.h"
#include "model.h"
#include "probe.h"
#include "tophash/bucket_map.h"
#include "tophash/debug.h"
#include "tophash/layout.h"
#include "trace.h"

namespace tophash::tools::viewer {

template <trace::KeyType T>
class ViewerRun {
  using Ops = reference::KeyOps<T>;
  using K = typename Ops::K;
  using V = typename Ops::V;
  using Hash = reference::ProgramHash<T>;
  using Map = BucketMap<K, V, Hash>;
  using Iter = typename Map::Iter;
  using A = debug::BucketMapAccess;
  using Op = trace::Op;
  using OpKind = trace::OpKind;
  static constexpr std::size_t kSmall = 1024;          // buckets: every step compares them all
  static constexpr std::size_t kVerifyPeriod = 4096;   // steps between whole-table compares
  static constexpr std::size_t kMaxOutLines = 200;     // of one op's results

  struct IterSlot {
    std::optional<IterStart> pending;
    std::optional<Iter> it;
    int instance = -1;
  };
  struct Instance {
    std::string name;
    std::vector<std::string> yields;  // JSON [key, value]
  };
  struct Before {
    const void* arr = nullptr;
    const void* old = nullptr;
    std::size_t nevacuate = 0;
    bool growing = false;
    std::optional<std::uint64_t> hash;  // of the op's key, for a put or del of a non-NaN key
  };

 public:
  explicit ViewerRun(const trace::Program& p) : p_(p), interner_(p) {}

  // Runs ops [0, n) and appends one JSON object per step to `steps`
  // (comma-separated); `go` (may be null) gives Go's dump for each dump op,
  // and each compare is appended to `compares` as [step, equal, go layout
  // or null].
  void run(std::size_t n, const GoDumps* go, std::string& steps, std::string& compares) {
    for (std::size_t i = 0; i < n; ++i) {
      if (i != 0) steps += ',';
      steps += step(i, go, compares);
    }
  }

  // The iterators started, in order: [{"name":..,"y":[[key,value],..]}].
  std::string instances_json() const {
    std::vector<std::string> out;
    for (const Instance& in : instances_) {
      out.push_back("{\"name\":" + json_str(in.name) + ",\"y\":" + json_array(in.yields) + "}");
    }
    return json_array(out);
  }

 private:
  std::string step(std::size_t i, const GoDumps* go, std::string& compares) {
    const Op& op = p_.ops[i];
    std::vector<std::string> out, want;
    bool full = !m_;
    if (!m_) start(op, i == 0);
    const Before b = observe(op);
    if (!(i == 0 && op.kind == OpKind::kHint)) full |= apply(op, out, want);
    std::string s = "{\"d\":[" + changes(b, full || (i + 1) % kVerifyPeriod == 0) + "]";
    const std::string h = header();
    if (h != last_header_) s += ",\"h\":" + (last_header_ = h);
    const std::string its = iterators();
    if (its != last_iters_) s += ",\"it\":" + (last_iters_ = its);
    if (!out.empty()) s += ",\"out\":" + json_array(out);
    if (!want.empty()) s += ",\"want\":" + json_array(want);
    if (op.kind == OpKind::kDump && go != nullptr) compare(i, *go, compares);
    return s + "}";
  }

  void start(const Op& first, bool is_first) {
    Hash hash;
    hash.mode = p_.config.hashing;
    hash.tiny = p_.config.tiny == 0 ? 1 : p_.config.tiny;
    hash.pins = &pins_;
    hash.interner = &interner_;
    m_.emplace(is_first && first.kind == OpKind::kHint ? first.a : 0, p_.config.seed, hash);
  }

  Before observe(const Op& op) const {
    Before b{A::buckets(*m_), A::oldbuckets(*m_), A::nevacuate(*m_), A::growing(*m_), std::nullopt};
    if ((op.kind == OpKind::kPut || op.kind == OpKind::kDel) && !Ops::may_be_nan(op.a)) {
      b.hash = A::hash(*m_, Ops::key(p_, op.a));
    }
    return b;
  }

  std::string lit(std::uint64_t repr) const { return trace::key_literal(p_, repr); }
  std::string vlit(std::uint64_t repr) const { return trace::value_literal(p_, repr); }
  static std::string key_text(const K& k) {
    if constexpr (T == trace::KeyType::kString) return trace::quote_string(k);
    else if constexpr (T == trace::KeyType::kDouble) return trace::format_double(k);
    else if constexpr (T == trace::KeyType::kCounted) return std::to_string(k.id());
    else return std::to_string(k);
  }
  static std::string value_text(const V& v) {
    if constexpr (T == trace::KeyType::kString) return trace::quote_string(v);
    else if constexpr (T == trace::KeyType::kCounted) return std::to_string(v.id());
    else return std::to_string(v);
  }
  std::string model_get(std::uint64_t repr) const {
    const reference::ModelEntry* e = model_.get(Ops::identity(repr), Ops::may_be_nan(repr));
    return e ? vlit(e->value) : "missing";
  }

  // The op on the map and on the model; the results of each go to out and
  // want. Whether every bucket must be compared after it.
  bool apply(const Op& op, std::vector<std::string>& out, std::vector<std::string>& want) {
    const bool nan = Ops::may_be_nan(op.a);
    const std::uint64_t id = Ops::identity(op.a);
    switch (op.kind) {
      case OpKind::kPin: pins_[id] = op.b; return false;
      case OpKind::kPut: {
        const bool added = probe::map_put(*m_, Ops::key(p_, op.a), Ops::value(p_, op.b)).second;
        out.push_back(json_str(added ? "added" : "replaced"));
        want.push_back(json_str(model_.put(id, op.a, op.b, nan) ? "added" : "replaced"));
        return nan;
      }
      case OpKind::kDel:
        out.push_back(json_str("erased " + std::to_string(probe::map_erase(*m_, Ops::key(p_, op.a)))));
        want.push_back(json_str("erased " + std::to_string(model_.erase(id, nan))));
        return false;
      case OpKind::kGet: {
        const V* v = probe::map_get(*m_, Ops::key(p_, op.a));
        out.push_back(json_str("get " + lit(op.a) + " " + (v ? value_text(*v) : "missing")));
        want.push_back(json_str("get " + lit(op.a) + " " + model_get(op.a)));
        return false;
      }
      case OpKind::kLen:
        out.push_back(json_str("len " + std::to_string(m_->size())));
        want.push_back(json_str("len " + std::to_string(model_.size())));
        return false;
      case OpKind::kNext:
      case OpKind::kDrain: iterate(op, out, want); return false;
      default: return apply_rest(op, out);
    }
  }

  // The ops that change no result line of their own.
  bool apply_rest(const Op& op, std::vector<std::string>& out) {
    switch (op.kind) {
      case OpKind::kClear:
        probe::map_clear(*m_);
        model_.clear();
        return true;
      case OpKind::kIter: {
        IterSlot& s = slot(op.iter);
        s.it.reset();
        s.pending = IterStart{op.b, op.c};
        s.instance = -1;
        return false;
      }
      case OpKind::kClose: slot(op.iter) = IterSlot{}; return false;
      case OpKind::kReserve: probe::map_reserve(*m_, op.a); return true;
      case OpKind::kShrinkToFit: probe::map_shrink(*m_); return true;
      case OpKind::kDump: out.push_back(json_str("(the layout below)")); return false;
      default:
        out.push_back(json_str("(not followed by the viewer: the layout from here may be wrong)"));
        return true;
    }
  }

  IterSlot& slot(std::uint32_t j) {
    if (iters_.size() <= j) iters_.resize(j + 1);
    return iters_[j];
  }

  // next or drain: each step's yield against the model.
  void iterate(const Op& op, std::vector<std::string>& out, std::vector<std::string>& want) {
    IterSlot& s = slot(op.iter);
    const std::string& name = p_.iter_names[op.iter];
    std::size_t shown = 0;
    for (;;) {
      bool more = false;
      if (s.pending) {
        probe::iter_start(s.it, *m_, *s.pending);
        s.pending.reset();
        s.instance = static_cast<int>(instances_.size());
        instances_.push_back(Instance{name, {}});
        more = !s.it->done();
      } else if (s.it) {
        more = probe::iter_next(*s.it);
      }
      const bool show = ++shown <= kMaxOutLines;
      if (!more) {
        if (show) out.push_back(json_str("next " + name + " end"));
        if (show) want.push_back(json_str("next " + name + " end"));  // the oracle judges what it missed
        break;
      }
      const std::string k = key_text(s.it->key()), v = value_text(s.it->value());
      instances_[s.instance].yields.push_back("[" + json_str(k) + "," + json_str(v) + "]");
      if (show) out.push_back(json_str("next " + name + " " + k + " " + v));
      if (show) want.push_back(json_str(model_says(s.it->key(), "next " + name + " " + k + " " + v)));
      if (op.kind != OpKind::kDrain) break;
    }
    if (shown > kMaxOutLines) out.push_back(json_str("... " + std::to_string(shown - kMaxOutLines) + " more"));
  }

  // The model on a yielded entry: the yield line itself when it holds it.
  std::string model_says(const K& k, const std::string& yield) const {
    std::uint64_t repr = 0;
    if (Ops::is_nan(k)) return yield;  // NaN entries cannot be looked up; the oracle counts them
    if (!Ops::key_repr(interner_, k, repr)) return key_text(k) + ": a key the program never put";
    const std::string v = model_get(repr);
    if (v == "missing") return key_text(k) + ": not in the model";
    return yield.ends_with(" " + v) ? yield : key_text(k) + ": in the model with value " + v;
  }

  // [count, B, flags, noverflow, nevacuate, growing, samesize, "seed"]
  std::string header() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string seed = "\"0x";
    for (int sh = 60; sh >= 0; sh -= 4) seed += kHex[(A::seed(*m_) >> sh) & 15];
    return "[" + std::to_string(A::count(*m_)) + "," + std::to_string(A::B(*m_)) + "," +
           std::to_string(A::flags(*m_)) + "," + std::to_string(A::noverflow(*m_)) + "," +
           std::to_string(A::nevacuate(*m_)) + "," + (A::growing(*m_) ? "1" : "0") + "," +
           (A::same_size(*m_) ? "1" : "0") + "," + seed + "\"]";
  }

  // Every iterator name that has one: {"n":name,"id":instance or -1 while
  // declared only,"w":walking, and where it stands (layout.h IterView)}.
  std::string iterators() const {
    static constexpr const char* kArray[] = {"", "new", "old", "held"};
    std::vector<std::string> out;
    for (std::size_t j = 0; j < iters_.size(); ++j) {
      const IterSlot& s = iters_[j];
      if (!s.pending && !s.it) continue;
      std::string o = "{\"n\":" + json_str(p_.iter_names[j]) + ",\"id\":" + std::to_string(s.instance);
      if (s.pending) {
        o += ",\"st\":" + std::to_string(s.pending->start) + ",\"off\":" + std::to_string(s.pending->offset & 7);
      } else {
        const IterView v = iter_view(*m_, *s.it);
        o += ",\"y\":" + std::to_string(instances_[s.instance].yields.size()) + ",\"w\":" + (v.walking ? "1" : "0");
        if (v.walking) {
          o += ",\"st\":" + std::to_string(v.start_bucket) + ",\"off\":" + std::to_string(v.offset) +
               ",\"B\":" + std::to_string(v.B) + ",\"wr\":" + (v.wrapped ? "1" : "0") + ",\"a\":\"" +
               kArray[static_cast<int>(v.array)] + "\",\"b\":" + std::to_string(v.bucket) +
               ",\"c\":" + std::to_string(v.chain) + ",\"s\":" + std::to_string(v.slot);
        }
      }
      out.push_back(o + "}");
    }
    return json_array(out);
  }

  // A bucket chain as JSON: 0 for one empty bucket, else
  // [["tophash as 16 hex digits",[keys],[values]], ...] with null for the
  // slots whose tophash is not a filled value.
  template <class Bucket>
  static std::string chain_json(const Bucket* b) {
    static constexpr char kHex[] = "0123456789abcdef";
    if (b == nullptr) return "0";  // not allocated yet
    bool empty = b->overflow == nullptr;
    for (std::size_t s = 0; empty && s < internal::kBucketCnt; ++s) empty = b->tophash[s] == 0;
    if (empty) return "0";
    std::string j = "[";
    for (; b != nullptr; b = b->overflow) {
      std::string th, keys, values;
      for (std::size_t s = 0; s < internal::kBucketCnt; ++s) {
        th += kHex[b->tophash[s] >> 4];
        th += kHex[b->tophash[s] & 15];
        const bool filled = internal::is_filled(b->tophash[s]);
        keys += (s ? "," : "") + (filled ? json_str(key_text(*b->key(s))) : "null");
        values += (s ? "," : "") + (filled ? json_str(value_text(*b->value(s))) : "null");
      }
      j += (j.size() > 1 ? ",[\"" : "[\"") + th + "\",[" + keys + "],[" + values + "]]";
    }
    return j + "]";
  }

  // Bucket i of an array ('n' the current one, 'o' the old one): appended
  // to d as [tag, i, chain] when it changed.
  template <class Array>
  void bucket_change(char tag, const Array* arr, std::size_t i, std::string& d) {
    std::vector<std::string>& have = tag == 'n' ? new_ : old_;
    if (i >= have.size()) return;
    std::string c = chain_json(arr == nullptr ? nullptr : arr->bucket(i));
    if (c == have[i]) return;
    d += std::string(d.empty() ? "" : ",") + "[\"" + tag + "\"," + std::to_string(i) + "," + c + "]";
    have[i] = std::move(c);
  }

  // An array as a whole: [tag, n] first when its size changed.
  template <class Array>
  void array_changes(char tag, const Array* arr, std::size_t n, std::string& d) {
    std::vector<std::string>& have = tag == 'n' ? new_ : old_;
    if (have.size() != n) {
      d += std::string(d.empty() ? "" : ",") + "[\"" + tag + "\"," + std::to_string(n) + "]";
      have.assign(n, "0");
    }
    for (std::size_t i = 0; i < n; ++i) bucket_change(tag, arr, i, d);
  }

  // What the step changed in the arrays (see the top of this file).
  std::string changes(const Before& b, bool full) {
    std::string d;
    const auto* arr = A::buckets(*m_);
    const auto* old = A::growing(*m_) ? A::oldbuckets(*m_) : nullptr;
    const std::size_t n = std::size_t{1} << A::B(*m_), nold = old ? A::noldbuckets(*m_) : 0;
    full |= n + nold <= kSmall || arr != b.arr || old != b.old || nold != old_.size();
    if (full) {
      array_changes('n', arr, n, d);
      array_changes('o', old, nold, d);
      return d;
    }
    if (!b.hash) return d;  // writes no bucket
    bucket_change('n', arr, *b.hash & (n - 1), d);
    if (old == nullptr) return d;
    std::vector<std::size_t> evacuated{*b.hash & (nold - 1)};
    for (std::size_t x = b.nevacuate; x <= A::nevacuate(*m_) && x < nold; ++x) evacuated.push_back(x);
    for (std::size_t x : evacuated) {
      bucket_change('o', old, x, d);
      bucket_change('n', arr, x, d);
      if (!A::same_size(*m_)) bucket_change('n', arr, x + nold, d);
    }
    return d;
  }

  // A dump op: our layout against Go's next dump.
  void compare(std::size_t i, const GoDumps& go, std::string& compares) {
    const std::size_t k = dumps_++;
    if (!compares.empty()) compares += ',';
    compares += "[" + std::to_string(i + 1) + ",";
    if (k >= go.text.size()) {
      compares += "0,null]";  // Go's output ends before this dump
      return;
    }
    const bool same = dump_layout(*m_) == go.text[k];
    compares += same ? "1,null]" : "0," + go_layout_json(go.text[k]) + "]";
  }

  const trace::Program& p_;
  reference::Interner interner_;
  typename Hash::Pins pins_;
  reference::Model model_;
  std::optional<Map> m_;
  std::vector<IterSlot> iters_;  // by iterator name; destroyed before the map (declared after it)
  std::vector<Instance> instances_;
  std::vector<std::string> new_, old_;  // each bucket's chain JSON as the page has it
  std::string last_header_, last_iters_;
  std::size_t dumps_ = 0;
};

}  // namespace tophash::tools::viewer
