// tools/viewer/viewer_run.h: what the layout viewer shows at each step,
// taken from the one run of the program that judges it: reference::
// Execution with every check on. After each op, Execution::inspect hands
// over the maps and iterators (read-only) and ExecOptions::output the op's
// results; the viewer keeps no map of its own.
//
// The page draws one map: the current one, the map the ops act on (`use`
// selects it; copy, move and swap write another map and the current one
// stays). The header names it (m0..m3) and sums up the others.
//
// A step records only the buckets that changed (as JSON chains, see
// viewer.js), so a B = 16 map stepped 100,000 times stays small. Which
// buckets an op that wrote one key may have changed is known from that
// key's hash (Inspection::touched, the executor's own): its bucket, and
// while growing the old buckets it evacuated and the new ones they fed.
// After any other writing op (Inspection::full: clear, reserve,
// shrink_to_fit, erase_if, copy, move, swap, use), after a step that
// replaced an array, at a failing step, at every step of a small map and
// at every kVerifyPeriod-th step of a large one every bucket is compared,
// so nothing the map changed behind these rules goes unseen for long.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "executor.h"
#include "executor_run.h"
#include "go_dumps.h"
#include "json.h"
#include "tophash/debug.h"
#include "tophash/layout.h"
#include "trace.h"

namespace tophash::tools::viewer {

class Recorder {
  using A = debug::BucketMapAccess;
  using OpKind = trace::OpKind;
  static constexpr std::size_t kSmall = 1024;         // buckets: every step compares them all
  static constexpr std::size_t kVerifyPeriod = 4096;  // steps between whole-table compares
  static constexpr std::size_t kMaxOutLines = 200;    // of one op's results

  struct Instance {
    std::string name;
    std::vector<std::string> yields;  // JSON [key, value]
  };
  // The current map before an op.
  struct Before {
    const void* arr = nullptr;
    const void* old = nullptr;
    std::size_t nevacuate = 0, map = 0;
    bool seen = false;  // there was a map to inspect
  };

 public:
  // `go` (may be null): Go's dumps, compared with each dump op's.
  Recorder(const trace::Program& p, const GoDumps* go) : p_(p), go_(go), inst_(p.iter_names.size(), -1) {}

  void before(const reference::Execution& e) {
    b_ = Before{};
    e.inspect([this](const auto& s) {
      const auto& m = *s.maps[s.current];
      b_ = Before{A::buckets(m), A::growing(m) ? A::oldbuckets(m) : nullptr, A::nevacuate(m), s.current, true};
    });
  }

  // After op i (e has stepped it; `out` holds its output, and is cleared).
  // False when the run has no state to show (it is gone).
  bool after(const reference::Execution& e, std::size_t i, std::string& out) {
    const trace::Op& op = p_.ops[i];
    std::string rec, res;
    const bool failed = !e.verdict().passed();
    const bool seen = e.inspect([&](const auto& s) {
      track(s);
      res = results(op, out);
      rec = record(s, i, failed) + res;
    });
    out.clear();
    if (!seen) return false;
    steps_.push_back("{" + rec + "}");
    return true;
  }

  std::size_t steps() const { return steps_.size(); }
  // The page's data for the first n steps: "steps":[..],"iters":[..] and,
  // with Go's dumps, "go":{..}.
  std::string json(std::size_t n) const {
    std::string s = "\"steps\":[";
    for (std::size_t i = 0; i < n && i < steps_.size(); ++i) s += (i ? "," : "") + steps_[i];
    std::vector<std::string> ins, cmp;
    for (const Instance& in : instances_) {
      ins.push_back("{\"name\":" + json_str(in.name) + ",\"y\":" + json_array(in.yields) + "}");
    }
    s += "],\"iters\":" + json_array(ins);
    if (go_ == nullptr) return s;
    for (const auto& [step, c] : compares_) {
      if (step <= n) cmp.push_back(c);
    }
    return s + ",\"go\":{\"dumps\":" + std::to_string(go_->text.size()) + ",\"cmp\":" + json_array(cmp) + "}";
  }

 private:
  // The step's state: changed buckets, header and iterators when changed.
  template <class S>
  std::string record(const S& s, std::size_t i, bool failed) {
    const auto& m = *s.maps[s.current];
    const bool full = !b_.seen || s.full || failed || b_.map != s.current || (i + 1) % kVerifyPeriod == 0;
    std::string rec = "\"d\":[" + changes(s, m, full) + "]";
    const std::string h = header(s);
    if (h != last_header_) rec += ",\"h\":" + (last_header_ = h);
    const std::string its = iterators(s);
    if (its != last_iters_) rec += ",\"it\":" + (last_iters_ = its);
    return rec;
  }

  // The op's output lines (a dump's compared with Go's instead); a next's
  // or drain's yields go to its iterator's record.
  std::string results(const trace::Op& op, const std::string& out) {
    std::vector<std::string> lines;
    if (op.kind == OpKind::kDump) {
      if (go_ != nullptr) compare(out);
      lines.push_back(json_str("(the layout below)"));
    } else {
      const bool iterating = op.kind == OpKind::kNext || op.kind == OpKind::kDrain;
      std::size_t shown = 0;
      for (std::size_t pos = 0; pos < out.size();) {
        const std::size_t nl = std::min(out.find('\n', pos), out.size());
        const std::string line = out.substr(pos, nl - pos);
        pos = nl + 1;
        if (iterating) yielded(op, line);
        if (++shown <= kMaxOutLines) lines.push_back(json_str(line));
      }
      if (shown > kMaxOutLines) lines.push_back(json_str("... " + std::to_string(shown - kMaxOutLines) + " more"));
    }
    return lines.empty() ? std::string() : ",\"out\":" + json_array(lines);
  }

  // "next NAME KEY VALUE": the yield, for the iterator's record.
  void yielded(const trace::Op& op, const std::string& line) {
    const std::string lead = "next " + p_.iter_names[op.iter] + " ";
    const int at = inst_[op.iter];
    if (at < 0 || line.rfind(lead, 0) != 0 || line == lead + "end") return;
    const std::string rest = line.substr(lead.size());
    std::size_t split = rest.find(' ');
    if (!rest.empty() && rest[0] == '"') {  // a quoted key may hold spaces
      split = 1;
      while (split < rest.size() && rest[split] != '"') split += rest[split] == '\\' ? 2 : 1;
      ++split;
    }
    if (split >= rest.size()) return;
    instances_[at].yields.push_back("[" + json_str(rest.substr(0, split)) + "," + json_str(rest.substr(split + 1)) + "]");
  }

  // A dump op's layout against Go's next dump.
  void compare(const std::string& ours) {
    const std::size_t k = dumps_++, step = steps_.size() + 1;
    std::string c = "[" + std::to_string(step) + ",";
    if (k >= go_->text.size()) {
      c += "0,null]";  // Go's output ends before this dump
    } else {
      c += ours == go_->text[k] ? "1,null]" : "0," + go_layout_json(go_->text[k]) + "]";
    }
    compares_.emplace_back(step, std::move(c));
  }

  // [count, B, flags, noverflow, nevacuate, growing, samesize, "seed",
  //  map, "the other maps"]
  template <class S>
  static std::string header(const S& s) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto& m = *s.maps[s.current];
    std::string seed = "\"0x", others;
    for (int sh = 60; sh >= 0; sh -= 4) seed += kHex[(A::seed(m) >> sh) & 15];
    for (std::size_t n = 0; n < s.maps.size(); ++n) {
      if (n == s.current || s.maps[n] == nullptr) continue;
      others += (others.empty() ? "m" : ", m") + std::to_string(n) + ": count " + std::to_string(A::count(*s.maps[n])) +
                ", B " + std::to_string(A::B(*s.maps[n]));
    }
    return "[" + std::to_string(A::count(m)) + "," + std::to_string(A::B(m)) + "," + std::to_string(A::flags(m)) + "," +
           std::to_string(A::noverflow(m)) + "," + std::to_string(A::nevacuate(m)) + "," + (A::growing(m) ? "1" : "0") +
           "," + (A::same_size(m) ? "1" : "0") + "," + seed + "\"," + std::to_string(s.current) + "," + json_str(others) +
           "]";
  }

  // An iterator seen started for the first time opens a new record of
  // yields; one not started has none.
  template <class S>
  void track(const S& s) {
    if (inst_.size() < s.iterators.size()) inst_.resize(s.iterators.size(), -1);
    for (std::size_t j = 0; j < s.iterators.size(); ++j) {
      if (s.iterators[j].started == nullptr) {
        inst_[j] = -1;
      } else if (inst_[j] < 0) {
        inst_[j] = static_cast<int>(instances_.size());
        instances_.push_back(Instance{p_.iter_names[j], {}});
      }
    }
  }

  // Every iterator name that has one: {"n":name,"id":instance or -1 while
  // declared only,"m":its map,"w":walking, and where it stands (layout.h
  // IterView, in its own map's arrays)}.
  template <class S>
  std::string iterators(const S& s) const {
    static constexpr const char* kArray[] = {"", "new", "old", "held"};
    std::vector<std::string> out;
    for (std::size_t j = 0; j < s.iterators.size(); ++j) {
      const auto& x = s.iterators[j];
      if (x.declared == nullptr && x.started == nullptr) continue;
      std::string o = "{\"n\":" + json_str(p_.iter_names[j]) + ",\"id\":" + std::to_string(inst_[j]) +
                      ",\"m\":" + std::to_string(x.map);
      if (x.started == nullptr) {
        o += ",\"st\":" + std::to_string(x.declared->start) + ",\"off\":" + std::to_string(x.declared->offset & 7);
      } else {
        const IterView v = iter_view(*s.maps[x.map], *x.started);
        o += ",\"y\":" + std::to_string(instances_[inst_[j]].yields.size()) + ",\"w\":" + (v.walking ? "1" : "0");
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
  template <class S, class Bucket>
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
        keys += (s ? "," : "") + (filled ? json_str(S::key_text(*b->key(s))) : "null");
        values += (s ? "," : "") + (filled ? json_str(S::value_text(*b->value(s))) : "null");
      }
      j += (j.size() > 1 ? ",[\"" : "[\"") + th + "\",[" + keys + "],[" + values + "]]";
    }
    return j + "]";
  }

  // Bucket i of an array ('n' the current one, 'o' the old one): appended
  // to d as [tag, i, chain] when it changed.
  template <class S, class Array>
  void bucket_change(char tag, const Array* arr, std::size_t i, std::string& d) {
    std::vector<std::string>& have = tag == 'n' ? new_ : old_;
    if (i >= have.size()) return;
    std::string c = chain_json<S>(arr == nullptr ? nullptr : arr->bucket(i));
    if (c == have[i]) return;
    d += std::string(d.empty() ? "" : ",") + "[\"" + tag + "\"," + std::to_string(i) + "," + c + "]";
    have[i] = std::move(c);
  }

  // An array as a whole: [tag, n] first when its size changed.
  template <class S, class Array>
  void array_changes(char tag, const Array* arr, std::size_t n, std::string& d) {
    std::vector<std::string>& have = tag == 'n' ? new_ : old_;
    if (have.size() != n) {
      d += std::string(d.empty() ? "" : ",") + "[\"" + tag + "\"," + std::to_string(n) + "]";
      have.assign(n, "0");
    }
    for (std::size_t i = 0; i < n; ++i) bucket_change<S>(tag, arr, i, d);
  }

  // What the step changed in the current map's arrays (see the top).
  template <class S, class Map>
  std::string changes(const S& s, const Map& m, bool full) {
    std::string d;
    const auto* arr = A::buckets(m);
    const auto* old = A::growing(m) ? A::oldbuckets(m) : nullptr;
    const std::size_t n = std::size_t{1} << A::B(m), nold = old ? A::noldbuckets(m) : 0;
    full |= n + nold <= kSmall || arr != b_.arr || old != b_.old || nold != old_.size();
    if (full) {
      array_changes<S>('n', arr, n, d);
      array_changes<S>('o', old, nold, d);
      return d;
    }
    if (!s.touched) return d;  // wrote no bucket
    const std::uint64_t hash = *s.touched;
    bucket_change<S>('n', arr, hash & (n - 1), d);
    if (old == nullptr) return d;
    std::vector<std::size_t> evacuated{hash & (nold - 1)};
    for (std::size_t x = b_.nevacuate; x <= A::nevacuate(m) && x < nold; ++x) evacuated.push_back(x);
    for (std::size_t x : evacuated) {
      bucket_change<S>('o', old, x, d);
      bucket_change<S>('n', arr, x, d);
      if (!A::same_size(m)) bucket_change<S>('n', arr, x + nold, d);
    }
    return d;
  }

  const trace::Program& p_;
  const GoDumps* go_;
  Before b_;
  std::vector<std::string> steps_;
  std::vector<int> inst_;  // by iterator name: its current record of yields, -1 while it has none
  std::vector<Instance> instances_;
  std::vector<std::string> new_, old_;  // each bucket's chain JSON as the page has it
  std::string last_header_, last_iters_;
  std::vector<std::pair<std::size_t, std::string>> compares_;  // by step: [step, equal, Go's layout or null]
  std::size_t dumps_ = 0;
};

}  // namespace tophash::tools::viewer
