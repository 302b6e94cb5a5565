// fuzz/go/go_lockstep.h: one program on the real Go 1.19 map and on
// BucketMap, in this process, their canonical layout dumps compared after
// every op. The go_layout fuzz targets (go_layout.h) and the property
// properties/go/go_lockstep_test.cc both run programs through it.
//
// Other harnesses hold BucketMap to a model (std::unordered_map and the
// iteration contract), which cannot see where a key sits: a key put in the
// wrong empty slot, a wrong tophash byte, a wrong B for a hint, a same-size
// growth at the wrong overflow count all keep every lookup right. Here the
// judge is Go itself (tools/go-recorder built as a C archive,
// cmake/go-recorder.cmake):
//
//   1. the program becomes an op script the recorder accepts (GoScript
//      below), with a `dump` after every op;
//   2. Go runs it on a map[K]uint64, its random source seeded from the
//      program's seed: out come the trace (Go's hashes pinned, re-pinned
//      after each reseed, the iterators' starts filled in) and the output
//      Go printed;
//   3. BucketMap runs that trace through the executor (lockstep, checks on,
//      ExecOptions::output), one op at a time, its output compared with
//      Go's as it grows.
//
// At the first difference (or a failed check) the run stops with a report:
// the op, Go's line and ours, the trace up to that op and both layouts
// there.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include "executor.h"
#include "libgorec.h"
#include "trace.h"

namespace tophash::fuzz::go_layout {

using trace::Op;
using trace::OpKind;
using trace::Program;

// The program as an op script for the recorder. Go has no reserve,
// shrink_to_fit or close: they are dropped. `iter` loses its start and
// offset (Go draws them). `drain` becomes one `next` per key named so far,
// plus one. An iterator stepped before a `clear` is declared again before
// its next step (the recorder refuses to step one that was open across
// the clear of a non-empty map: golang/go#59411). Keys are written as the
// trace language writes them; a value as its number (quoted in a string
// program: Go's map holds uint64). NaN keys stay: the recording pins
// each hash Go draws for one (a put, a del, an evacuation).
class GoScript {
 public:
  explicit GoScript(const Program& p) : p_(p), stepped_(p.iter_names.size()), cleared_(p.iter_names.size()) {}

  std::string write() {
    if (p_.config.keys != trace::KeyType::kU64) out_ += std::string("keys ") + trace::key_type_name(p_.config.keys) + "\n";
    if (p_.config.wide_values) out_ += "values wide\n";
    for (const Op& op : p_.ops) {
      if (line(op)) out_ += "dump\n";
    }
    return std::move(out_);
  }

 private:
  bool line(const Op& op) {
    switch (op.kind) {
      case OpKind::kHint: out_ += "hint " + std::to_string(op.a) + "\n"; return true;
      case OpKind::kPut: return key_line("put ", op.a, " " + value(op.b));
      case OpKind::kDel: return key_line("del ", op.a, "");
      case OpKind::kGet: key_line("get ", op.a, ""); return true;
      case OpKind::kLen: out_ += "len\n"; return true;
      case OpKind::kClear:
        out_ += "clear\n";
        for (std::size_t i = 0; i < stepped_.size(); ++i) cleared_[i] = cleared_[i] || stepped_[i];
        return true;
      case OpKind::kIter:
        out_ += "iter " + p_.iter_names[op.iter] + "\n";
        stepped_[op.iter] = cleared_[op.iter] = false;
        return true;
      case OpKind::kNext: next(op.iter, 1); return true;
      case OpKind::kDrain: next(op.iter, keys_.size() + 1); return true;
      case OpKind::kDump:  // a dump follows every op anyway
      case OpKind::kPin:
      case OpKind::kReserve:
      case OpKind::kShrinkToFit:
      case OpKind::kClose: return false;
      default: return false;  // the C++ API's ops (DecodeOptions::api): the go_layout options never decode them
    }
  }

  // Writes a put, del or get line (a NaN's too: the recording pins the
  // hash Go gives each NaN it hashes, `hash nan 0xH`).
  bool key_line(const char* what, std::uint64_t key, const std::string& rest) {
    keys_.insert(key);
    out_ += what + trace::key_literal(p_, key) + rest + "\n";
    return true;
  }

  std::string value(std::uint64_t v) const {
    const std::string n = std::to_string(v);
    return p_.config.keys == trace::KeyType::kString ? trace::quote_string(n) : n;
  }

  void next(std::uint32_t it, std::size_t times) {
    const std::string& name = p_.iter_names[it];
    if (cleared_[it]) out_ += "iter " + name + "\n";
    cleared_[it] = false;
    stepped_[it] = true;
    for (std::size_t i = 0; i < times; ++i) out_ += "next " + name + "\n";
  }

  const Program& p_;
  std::string out_;
  std::vector<bool> stepped_, cleared_;
  std::unordered_set<std::uint64_t> keys_;
};

// What Go recorded for a script: status 0 and the trace and the output a
// replayer must print; else the recorder's status and, in trace, its error.
struct Recording {
  int status = 0;
  std::string trace, expected;
};

inline Recording record_on_go(const std::string& script, std::uint64_t seed) {
  char* trace = nullptr;
  char* expected = nullptr;
  const int rc = TophashGoRecord(const_cast<char*>(script.data()), static_cast<int>(script.size()),
                                 seed, &trace, &expected);
  Recording r{rc, trace != nullptr ? trace : "", expected != nullptr ? expected : ""};
  std::free(trace);
  std::free(expected);
  return r;
}

// The dump in s that holds position pos, or else the first one after it.
inline std::string dump_at(const std::string& s, std::size_t pos) {
  std::size_t start = s.rfind("dump ", pos);
  if (start != std::string::npos) {
    const std::size_t end = s.find("\nend\n", start);
    if (end == std::string::npos || end + 5 <= pos) start = std::string::npos;
  }
  if (start == std::string::npos) start = s.find("dump ", pos);
  if (start == std::string::npos) return "(no dump)\n";
  const std::size_t end = s.find("\nend\n", start);
  return s.substr(start, end == std::string::npos ? std::string::npos : end + 5 - start);
}

inline std::string line_at(const std::string& s, std::size_t pos) {
  if (pos >= s.size()) return "(nothing more)";
  const std::size_t start = pos == 0 ? 0 : s.rfind('\n', pos - 1) + 1;  // npos + 1 is 0
  return s.substr(start, s.find('\n', pos) - start);
}

// First position from `from` on where ours and Go's output differ (ours
// may be shorter: Go's output runs ahead of the op stepped); npos if none.
inline std::size_t first_difference(const std::string& ours, const std::string& go, std::size_t from) {
  for (std::size_t d = from; d < ours.size(); ++d) {
    if (d >= go.size() || ours[d] != go[d]) return d;
  }
  return std::string::npos;
}

struct Difference {
  std::size_t op;   // index into the trace's ops
  std::size_t pos;  // first differing byte of the output
  std::string our_layout;
};

// The outcome of one program: what Go recorded, and a report when BucketMap
// did not follow it (or a check failed, or Go refused the script).
struct Lockstep {
  Recording go;
  std::string failure;  // empty: BucketMap printed what Go printed at every op
  // Set (and failure empty) when no verdict can be given: a float64 map's
  // NaN hashes come from the Go runtime's random state, and a second
  // recording of the same script came out different, so Go itself did not
  // reproduce what we were compared with.
  std::string refusal;
  reference::ExecStats stats;
  bool passed() const { return failure.empty(); }
};

inline std::string describe_difference(const Program& q, const Difference& d, const std::string& ours,
                                       const Recording& go, const char* where) {
  std::string s = "\n==== tophash: BucketMap differs from Go 1.19 in " + std::string(where) + " ====\n";
  s += "check failed: go: output differs from Go's\n";
  s += "at line " + std::to_string(q.ops[d.op].line) + " of Go's trace: " + trace::print_op(q, q.ops[d.op]) + "\n";
  s += "Go printed:        " + line_at(go.expected, d.pos) + "\n";
  s += "BucketMap printed: " + line_at(ours, d.pos) + "\n\n";
  s += "trace up to that op:\n" + trace::print_trace(q, d.op + 1);
  s += "\nGo's layout at that step:\n" + dump_at(go.expected, d.pos);
  s += "\nBucketMap's layout at that step:\n" + d.our_layout + "\n";
  return s;
}

// Runs Go's trace on BucketMap one op at a time, its output held to Go's.
inline void run_bucketmap(Lockstep& run, const char* where) {
  const trace::ParseResult parsed = trace::parse_trace(run.go.trace);
  if (parsed.error) {
    run.failure = std::string(where) + ": Go's trace does not parse: line " + std::to_string(parsed.error->line) +
                  ": " + parsed.error->what + "\n";
    return;
  }
  const Program& q = parsed.program;
  const auto failed_check = [&](const reference::Verdict& v) {
    run.failure = "\n==== tophash: check failed on Go's trace in " + std::string(where) + " ====\n" +
                  reference::describe(q, v);
  };
  std::string out;
  reference::ExecOptions opt;
  opt.output = &out;
  reference::Execution e(q, opt);
  std::size_t checked = 0;
  while (e.next_op() < q.ops.size()) {
    const std::size_t i = e.next_op();
    if (!e.step().passed()) return failed_check(e.verdict());
    const std::size_t d = first_difference(out, run.go.expected, checked);
    if (d != std::string::npos) {
      run.failure = describe_difference(q, Difference{i, d, e.layout()}, out, run.go, where);
      return;
    }
    checked = out.size();
  }
  const std::string last_layout = e.layout();
  if (!e.finish().passed()) return failed_check(e.verdict());
  run.stats = e.verdict().stats;
  if (out.size() != run.go.expected.size() && !q.ops.empty()) {
    run.failure = describe_difference(q, Difference{q.ops.size() - 1, out.size(), last_layout}, out, run.go, where);
  }
}

// Program p on Go, then Go's trace on BucketMap. `where` names the
// harness in the report (a fuzz target, a property).
inline Lockstep run_lockstep(const Program& p, const char* where) {
  Lockstep run;
  const std::string script = GoScript(p).write();
  run.go = record_on_go(script, p.config.seed);
  if (run.go.status != 0) {
    run.failure = "\n==== tophash: the Go recorder refused a script of " + std::string(where) + " (status " +
                  std::to_string(run.go.status) + ") ====\n" + run.go.trace + "\nscript:\n" + script;
    return run;
  }
  run_bucketmap(run, where);
  if (!run.passed() && p.config.keys == trace::KeyType::kDouble) {
    const Recording again = record_on_go(script, p.config.seed);
    if (again.status != 0 || again.trace != run.go.trace || again.expected != run.go.expected) {
      run.refusal = "Go recorded this float64 script differently twice (NaN hashes drawn from the runtime's random state)";
      run.failure.clear();
    }
  }
  return run;
}

}  // namespace tophash::fuzz::go_layout
