// tools/replay_explain.h: the failing step in full, as bucketmap-replay
// --check prints it after reference::describe()'s short report: what the
// map and the model each gave for the failing op, the entries of both
// after it, every op that bears on its key, and the layout before it.
// The map's side comes from runs of the map alone (no model, no checks)
// on prefixes of the program, with a probe appended (a get, a len, a dump,
// a full iteration); the model's from replaying the prefix on the model.
// Nothing is cut short: a caller that wants a short report can leave
// sections out (scripts/repro prints long ones to a file).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "executor.h"
#include "keys.h"
#include "model.h"
#include "trace.h"

namespace tophash::tools {

namespace explain_detail {

using trace::KeyType;
using trace::Op;
using trace::OpKind;
using trace::Program;
namespace ref = reference;

inline std::vector<std::string> lines_of(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t nl = s.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? s.size() : nl;
    out.emplace_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The map alone (no model, no checks) on the first n ops of p, then
// `extra`: returns the output of `extra` only (or an explanation in
// parentheses when the run could not get there).
class MapProbe {
 public:
  MapProbe(const Program& p, std::uint64_t max_bytes) : p_(p), max_bytes_(max_bytes) {}

  std::string run(std::size_t n, const std::vector<Op>& extra) const {
    Program q = p_;
    q.ops.resize(n);
    const std::string before = output(q);
    if (!ok_) return "(the map alone does not run through op " + std::to_string(n) + ": " + why_ + ")\n";
    q.ops.insert(q.ops.end(), extra.begin(), extra.end());
    const std::string after = output(q);
    if (!ok_) return "(" + why_ + ")\n";
    return after.substr(before.size());
  }

 private:
  std::string output(const Program& q) const {
    ref::ExecOptions eo;
    eo.lockstep = eo.invariants = false;
    std::string out;
    eo.output = &out;
    eo.max_bytes = max_bytes_;
    const ref::Verdict v = ref::execute(q, eo);
    ok_ = v.passed();
    if (v.failure()) why_ = v.failure()->check + ": " + v.failure()->detail;
    if (v.refusal()) why_ = v.refusal()->what;
    return out;
  }

  const Program& p_;
  std::uint64_t max_bytes_;
  mutable bool ok_ = true;
  mutable std::string why_;
};

// An iterator name q does not use yet, for a full iteration of the map.
inline std::uint32_t fresh_iter(Program& q) {
  std::string name = "all";
  while (std::find(q.iter_names.begin(), q.iter_names.end(), name) != q.iter_names.end()) name += "_";
  return q.iter_index(name);
}

inline bool has_key(OpKind k) {
  return k == OpKind::kPut || k == OpKind::kDel || k == OpKind::kGet || k == OpKind::kPin;
}

// The step report: everything --check adds to reference::describe().
class Explainer {
 public:
  Explainer(const Program& p, const ref::Verdict& v, const std::string& check_out, std::uint64_t max_bytes)
      : p_(p), f_(*v.failure()), probe_(p, max_bytes), max_bytes_(max_bytes), check_out_(lines_of(check_out)) {
    for (const Op& op : p_.ops) {
      if (has_key(op.kind)) ids_.emplace(trace::key_literal(p_, op.a), identity(op.a));
    }
    attribute_output();
    final_ = f_.check.rfind("final:", 0) == 0 || failed_in_final_checks(max_bytes);
  }

  std::string report() {
    const std::size_t k = f_.op_index;
    if (k >= p_.ops.size()) return "";
    const Op& op = p_.ops[k];
    std::string s;
    if (f_.layout == "(map destroyed)") {
      // A check of what outlived the map (counted: leaks, misuse).
      s += "--- the failing step: the checks after the map was destroyed ---\n";
      s += "map and model after op " + std::to_string(p_.ops.size()) + ", before the map was destroyed:\n";
      return s + entries_diff(p_.ops.size()) + layout_before(p_.ops.size(), "before the map was destroyed");
    }
    if (final_) {
      s += "--- the failing step: the checks after the last op (a full iteration, a lookup of each key) ---\n";
      s += "map and model after op " + std::to_string(p_.ops.size()) + " (the layout they saw is the one above):\n";
      return s + entries_diff(p_.ops.size());
    }
    s += "--- the failing step: op " + std::to_string(k + 1) + " of " + std::to_string(p_.ops.size()) + where(op) +
         ": " + trace::print_op(p_, op) + " ---\n";
    s += step(k, op);
    s += "entries after the op:\n" + entries_diff(k + 1);
    std::optional<std::uint64_t> key;
    if (has_key(op.kind) && !nan(op.a)) key = identity(op.a);
    if ((op.kind == OpKind::kNext || op.kind == OpKind::kDrain) && !yields_[k].empty() &&
        yields_[k].back().second) {
      key = yields_[k].back().first;
    }
    if (key) s += history(*key, k);
    return s + layout_before(k, "before the failing op");
  }

 private:
  std::uint64_t identity(std::uint64_t repr) const {
    return p_.config.keys == KeyType::kDouble ? ref::KeyOps<KeyType::kDouble>::identity(repr) : repr;
  }
  bool nan(std::uint64_t repr) const {
    return p_.config.keys == KeyType::kDouble && ref::KeyOps<KeyType::kDouble>::may_be_nan(repr);
  }
  std::string lit(std::uint64_t id) const { return trace::key_literal(p_, id); }
  static std::string where(const Op& op) { return op.line ? ", line " + std::to_string(op.line) : ""; }
  std::string at(std::size_t i) const {
    return "op " + std::to_string(i + 1) + where(p_.ops[i]) + ": " + trace::print_op(p_, p_.ops[i]);
  }

  // A failure reported at the last op may come from the checks after it:
  // with one more op (a len, which checks nothing the last op's own checks
  // did not), such a failure moves to that op.
  bool failed_in_final_checks(std::uint64_t max_bytes) const {
    if (f_.op_index + 1 != p_.ops.size()) return false;
    Program q = p_;
    q.ops.push_back(Op{OpKind::kLen});
    ref::ExecOptions eo;
    eo.max_bytes = max_bytes;
    const ref::Verdict v = ref::execute(q, eo);
    return v.failure() && v.failure()->op_index == p_.ops.size();
  }

  // Which op printed each line of the checked run's output, and the keys
  // its next and drain ops yielded (identity, or nullopt for a NaN).
  void attribute_output() {
    op_lines_.assign(p_.ops.size(), {});
    yields_.assign(p_.ops.size(), {});
    std::size_t li = 0;
    for (std::size_t i = 0; i < p_.ops.size() && li < check_out_.size(); ++i) {
      const Op& op = p_.ops[i];
      auto take = [&] { op_lines_[i].push_back(check_out_[li++]); };
      switch (op.kind) {
        case OpKind::kGet:
        case OpKind::kLen:
        case OpKind::kNext: take(); break;
        case OpKind::kDump:
          while (li < check_out_.size() && check_out_[li] != "end") take();
          if (li < check_out_.size()) take();
          break;
        case OpKind::kDrain: {
          const std::string end = "next " + p_.iter_names[op.iter] + " end";
          while (li < check_out_.size() && check_out_[li] != end) take();
          if (li < check_out_.size()) take();
          break;
        }
        default: break;
      }
      if (op.kind != OpKind::kNext && op.kind != OpKind::kDrain) continue;
      for (const std::string& l : op_lines_[i]) {
        // next ID KEY VALUE (literals are single tokens)
        std::istringstream in(l);
        std::string word, id, key;
        in >> word >> id >> key;
        if (key == "end") continue;
        auto it = ids_.find(key);
        yields_[i].emplace_back(it == ids_.end() ? 0 : it->second, it != ids_.end());
      }
    }
  }

  // The model after the first n ops.
  ref::Model model_after(std::size_t n) const {
    ref::Model m;
    for (std::size_t i = 0; i < n && i < p_.ops.size(); ++i) {
      const Op& op = p_.ops[i];
      if (op.kind == OpKind::kPut) m.put(identity(op.a), op.a, op.b, nan(op.a));
      if (op.kind == OpKind::kDel) m.erase(identity(op.a), nan(op.a));
      if (op.kind == OpKind::kClear) m.clear();
    }
    return m;
  }

  std::string model_get(const ref::Model& m, std::uint64_t repr) const {
    if (nan(repr)) return "missing (a NaN is never found)";
    const ref::ModelEntry* e = m.get(identity(repr), false);
    return e ? trace::value_literal(p_, e->value) : "missing";
  }

  // What the map and the model each gave for op k.
  std::string step(std::size_t k, const Op& op) const {
    std::string s;
    const ref::Model before = model_after(k), after = model_after(k + 1);
    auto out_lines = [](const std::string& out) {
      std::string r;
      for (const std::string& l : lines_of(out)) r += (r.empty() ? "" : "; ") + l;
      return r;
    };
    if (has_key(op.kind) && op.kind != OpKind::kPin) {
      const std::vector<Op> probe{Op{OpKind::kGet, op.a}, Op{OpKind::kLen}};
      s += "map:   before the op: " + out_lines(probe_.run(k, probe)) + "\n";
      if (op.kind == OpKind::kGet) {
        s += "       the op:        " + (op_lines_[k].empty() ? std::string("(no output)") : op_lines_[k][0]) + "\n";
      }
      s += "       after the op:  " + out_lines(probe_.run(k + 1, probe)) + "\n";
      const std::string key = lit(op.a);
      s += "model: before the op: get " + key + " " + model_get(before, op.a) + "; len " +
           std::to_string(before.size()) + "\n";
      s += "       after the op:  get " + key + " " + model_get(after, op.a) + "; len " + std::to_string(after.size()) +
           "\n";
      return s;
    }
    if (op.kind == OpKind::kNext || op.kind == OpKind::kDrain) {
      const std::vector<std::string>& got = op_lines_[k];
      const bool stopped = !got.empty() && !std::string_view(got.back()).ends_with(" end");
      s += "map:   the op yielded (" + std::to_string(got.size()) + " line" + (got.size() == 1 ? "" : "s") +
           (op.kind == OpKind::kDrain && stopped ? ", the check failed at the last" : "") + "):\n";
      for (const std::string& l : got) s += "         " + l + "\n";
      if (got.empty()) s += "         (nothing)\n";
      s += "model: " + std::to_string(before.size()) + " entries";
      if (!yields_[k].empty() && yields_[k].back().second) {
        const std::uint64_t id = yields_[k].back().first;
        const ref::ModelEntry* e = before.get(id, false);
        s += "; the last key yielded, " + lit(id) +
             (e ? ", is in the map with value " + trace::value_literal(p_, e->value) : ", is not in the map");
      }
      return s + "\n";
    }
    if (op.kind == OpKind::kLen) {
      s += "map:   " + (op_lines_[k].empty() ? std::string("(no output)") : op_lines_[k][0]) + "\n";
      return s + "model: len " + std::to_string(before.size()) + "\n";
    }
    const std::vector<Op> probe{Op{OpKind::kLen}};
    s += "map:   before the op: " + out_lines(probe_.run(k, probe)) + "; after: " + out_lines(probe_.run(k + 1, probe)) +
         "\n";
    return s + "model: before the op: len " + std::to_string(before.size()) + "; after: len " +
           std::to_string(after.size()) + "\n";
  }

  // What the map gave for entries_diff's probe: a drain, then gets.
  struct ProbedEntries {
    std::map<std::string, std::vector<std::string>> yielded_by_key;  // key literal -> values yielded
    std::map<std::string, std::string> got;                           // key literal -> get's value
    std::size_t yielded = 0, nans = 0;
  };
  static ProbedEntries read_entries(const std::string& out) {
    ProbedEntries e;
    for (const std::string& l : lines_of(out)) {
      std::istringstream in(l);
      std::string word, key, value;
      in >> word;
      if (word == "get") {
        in >> key >> value;
        e.got[key] = value;
        continue;
      }
      in >> value >> key >> value;  // next ID KEY VALUE
      if (key == "end") continue;
      ++e.yielded;
      if (key == "nan" || key == "-nan") {
        ++e.nans;
        continue;
      }
      e.yielded_by_key[key].push_back(value);
    }
    return e;
  }

  // The map's entries after the first n ops against the model's: a fresh
  // full iteration of the map, and a lookup in the map of each of the
  // model's keys (what the final checks do); the same, or every difference.
  std::string entries_diff(std::size_t n) const {
    const ref::Model m = model_after(n);
    std::map<std::string, std::pair<std::uint64_t, std::string>> model_entries;  // key literal -> repr, value
    for (const auto& [id, e] : m.entries()) {
      model_entries[lit(e.key)] = {e.key, trace::value_literal(p_, e.value)};
    }
    Program q = p_;
    const std::uint32_t all = fresh_iter(q);
    std::vector<Op> probe{Op{OpKind::kIter, 0, 0, 0, all}, Op{OpKind::kDrain, 0, 0, 0, all}};
    for (const auto& [key, e] : model_entries) probe.push_back(Op{OpKind::kGet, e.first});
    const std::string out = MapProbe(q, max_bytes_).run(n, probe);
    if (out.rfind("(", 0) == 0) return "  " + out;
    auto [yielded_by_key, got, yielded, map_nans] = read_entries(out);
    std::string diffs;
    for (const auto& [key, values] : yielded_by_key) {
      auto it = model_entries.find(key);
      std::string vs;
      for (const std::string& v : values) vs += (vs.empty() ? "" : ", ") + v;
      if (it == model_entries.end()) {
        diffs += "  " + key + ": a full iteration yields it with " + vs + "; the model does not hold it\n";
      } else if (values.size() != 1 || values[0] != it->second.second) {
        diffs += "  " + key + ": a full iteration yields it with " + vs +
                 (values.size() > 1 ? " (" + std::to_string(values.size()) + " times)" : "") + "; model " +
                 it->second.second + "\n";
      }
    }
    for (const auto& [key, e] : model_entries) {
      if (!yielded_by_key.count(key)) {
        diffs += "  " + key + ": a full iteration does not yield it; model " + e.second + "\n";
      }
      if (got[key] != e.second) diffs += "  " + key + ": get gives " + got[key] + "; model " + e.second + "\n";
    }
    if (map_nans != m.nan_values().size()) {
      diffs += "  NaN entries: a full iteration yields " + std::to_string(map_nans) + ", the model holds " +
               std::to_string(m.nan_values().size()) + "\n";
    }
    if (diffs.empty()) {
      return "  the map and the model hold the same " + std::to_string(m.size()) +
             " entries (a full iteration of the map, and a get of each key)\n";
    }
    return "  a full iteration of the map yields " + std::to_string(yielded) + " entries, the model holds " +
           std::to_string(m.size()) + "; they differ in:\n" + diffs;
  }

  // Every op up to k that bears on key id: those naming it, clears, and
  // yields of it; and the starts and closes of the failing op's iterator.
  std::string history(std::uint64_t id, std::size_t k) const {
    const Op& fop = p_.ops[k];
    const bool iter_op = fop.kind == OpKind::kNext || fop.kind == OpKind::kDrain;
    std::string s = "--- key " + lit(id) + ", op by op up to the failing op (ops on it, clears, its yields";
    s += iter_op ? "; iterator " + p_.iter_names[fop.iter] + "'s starts and closes) ---\n" : ") ---\n";
    bool pending = false;  // the failing op's iterator: declared, not started
    for (std::size_t i = 0; i <= k; ++i) {
      const Op& op = p_.ops[i];
      const bool mine = iter_op && op.iter == fop.iter;
      std::vector<std::string> notes;
      bool show = (has_key(op.kind) && !nan(op.a) && identity(op.a) == id) || op.kind == OpKind::kClear;
      if (op.kind == OpKind::kGet && show && !op_lines_[i].empty()) notes.push_back("gave: " + op_lines_[i][0]);
      if (mine && (op.kind == OpKind::kIter || op.kind == OpKind::kClose)) {
        show = true;
        pending = op.kind == OpKind::kIter;
      }
      if (mine && (op.kind == OpKind::kNext || op.kind == OpKind::kDrain) && pending) {
        show = true;
        pending = false;
        notes.push_back("iterator " + p_.iter_names[op.iter] + " starts here");
      }
      if (op.kind == OpKind::kNext || op.kind == OpKind::kDrain) {
        const auto& ys = yields_[i];
        for (std::size_t j = 0; j < ys.size(); ++j) {
          if (!ys[j].second || ys[j].first != id) continue;
          show = true;
          notes.push_back("yielded it: " + op_lines_[i][j] +
                          (op.kind == OpKind::kDrain ? " (step " + std::to_string(j + 1) + ")" : ""));
        }
      }
      if (!show) continue;
      s += at(i);
      for (std::size_t j = 0; j < notes.size(); ++j) s += (j == 0 ? "  -- " : "; ") + notes[j];
      s += "\n";
    }
    return s;
  }

  std::string layout_before(std::size_t n, const char* what) const {
    return std::string("--- layout ") + what + " ---\n" + probe_.run(n, {Op{OpKind::kDump}});
  }

  const Program& p_;
  const ref::Failure& f_;
  MapProbe probe_;
  std::uint64_t max_bytes_;
  std::vector<std::string> check_out_;
  std::map<std::string, std::uint64_t> ids_;  // key literal -> identity
  std::vector<std::vector<std::string>> op_lines_;
  std::vector<std::vector<std::pair<std::uint64_t, bool>>> yields_;  // (identity, known) per yield
  bool final_ = false;
};

}  // namespace explain_detail

// The step report of a failed Verdict of p (v.failure set); check_out is
// the replay output of the checked run (ExecOptions::output), which shows
// what the failing op yielded up to the failure.
inline std::string explain_failure(const trace::Program& p, const reference::Verdict& v, const std::string& check_out,
                                   std::uint64_t max_bytes = std::uint64_t{1} << 30) {
  if (!v.failure()) return "";
  return explain_detail::Explainer(p, v, check_out, max_bytes).report();
}

}  // namespace tophash::tools
