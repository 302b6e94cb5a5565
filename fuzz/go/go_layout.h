// Fuzz targets "go_layout", "go_layout_string", "go_layout_double": the
// real Go 1.19 map (map[uint64]uint64, map[string]uint64,
// map[float64]uint64) in the fuzz loop. Each target's source
// (fuzz_<name>.cc here) only names itself; all they do is here.
//
// The other targets hold BucketMap to a model (std::unordered_map and the
// iteration contract), which cannot see where a key sits: a key put in the
// wrong empty slot, a wrong tophash byte, a wrong B for a hint, a same-size
// growth at the wrong overflow count all keep every lookup right. Here the
// judge is Go itself, in this process (tools/go-recorder built as a C
// archive, fuzz/go/CMakeLists.txt):
//
//   1. the input decodes with the target's key type (fuzz/decode.h; the
//      options are fuzz/targets.h's, at most 512 ops);
//   2. the program becomes an op script the recorder accepts (GoScript
//      below), with a `dump` after every op;
//   3. Go runs it on a map[K]uint64, its random source seeded from the
//      program's seed: out come the trace (Go's hashes pinned, re-pinned
//      after each reseed, the iterators' starts filled in) and the output
//      Go printed;
//   4. BucketMap runs that trace through the executor (lockstep, checks on,
//      ExecOptions::output), one op at a time, its output compared with
//      Go's as it grows.
//
// At the first difference (or a failed check) it prints the trace up to
// that op and both layouts there, writes ARTIFACT.trace and
// ARTIFACT.expected next to the crash file libFuzzer is about to write
// (ARTIFACT = -exact_artifact_path, or -artifact_prefix + crash-<sha1>),
// so that
//
//   bucketmap-replay ARTIFACT.trace | diff - ARTIFACT.expected
//
// shows it again (and `bucketmap-replay --html ARTIFACT.html --expected
// ARTIFACT.expected ARTIFACT.trace` the layout viewer on it), and aborts.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "decode.h"
#include "executor.h"
#include "libgorec.h"
#include "program_target.h"
#include "sha1.h"
#include "targets.h"
#include "trace.h"

namespace tophash::fuzz::go_layout {

using trace::Op;
using trace::OpKind;
using trace::Program;

// Where libFuzzer writes its crash file (set from the command line).
inline std::string g_artifact_prefix;
inline std::string g_exact_artifact;

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
    }
    return false;
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

// What Go recorded for a script.
struct Recording {
  std::string trace, expected;
};

inline Recording record_on_go(const std::string& script, std::uint64_t seed) {
  char* trace = nullptr;
  char* expected = nullptr;
  const int rc = TophashGoRecord(const_cast<char*>(script.data()), static_cast<int>(script.size()),
                                 seed, &trace, &expected);
  Recording r{trace != nullptr ? trace : "", expected != nullptr ? expected : ""};
  std::free(trace);
  std::free(expected);
  if (rc != 0) {
    std::fprintf(stderr, "\n==== tophash: the Go recorder refused a script of go_layout (status %d) ====\n%s\n"
                 "script:\n%s", rc, r.trace.c_str(), script.c_str());
    std::abort();
  }
  return r;
}

// The input that failed, for the names of the files written beside it.
struct Input {
  const std::uint8_t* data;
  std::size_t size;
};

// Writes what Go recorded next to the crash file and says how to replay it.
inline void write_artifacts(const Recording& go, const Input& in) {
  const std::string base =
      !g_exact_artifact.empty() ? g_exact_artifact : g_artifact_prefix + "crash-" + sha1_hex(in.data, in.size);
  std::ofstream(base + ".trace") << go.trace;
  std::ofstream(base + ".expected") << go.expected;
  std::fprintf(stderr, "Go's trace and output: %s.trace %s.expected\nreplay: bucketmap-replay %s.trace | diff - %s.expected\n",
               base.c_str(), base.c_str(), base.c_str(), base.c_str());
  // The layout viewer opens at the first dump that differs from Go's (tools/README.md).
  std::fprintf(stderr, "viewer: bucketmap-replay --html %s.html --expected %s.expected %s.trace\n", base.c_str(),
               base.c_str(), base.c_str());
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

[[noreturn]] inline void report_difference(const Program& q, const Difference& d, const std::string& ours,
                                    const Recording& go, const Input& in) {
  std::fprintf(stderr,
               "\n==== tophash: BucketMap differs from Go 1.19 in fuzz target go_layout ====\n"
               "at line %u of Go's trace: %s\nGo printed:        %s\nBucketMap printed: %s\n\n"
               "trace up to that op:\n%s\nGo's layout at that step:\n%s\nBucketMap's layout at that step:\n%s\n",
               q.ops[d.op].line, trace::print_op(q, q.ops[d.op]).c_str(), line_at(go.expected, d.pos).c_str(),
               line_at(ours, d.pos).c_str(), trace::print_trace(q, d.op + 1).c_str(),
               dump_at(go.expected, d.pos).c_str(), d.our_layout.c_str());
  write_artifacts(go, in);
  std::fflush(stderr);
  std::abort();
}

[[noreturn]] inline void report_verdict(const Program& q, const reference::Verdict& v, const Recording& go,
                                 const Input& in) {
  std::fprintf(stderr, "\n==== tophash: check failed on Go's trace in fuzz target go_layout ====\n%s",
               reference::describe(q, v).c_str());
  write_artifacts(go, in);
  std::fflush(stderr);
  std::abort();
}

// Runs Go's trace on BucketMap one op at a time, its output held to Go's.
// Returns what the run saw (the Go 1.19 deviations the oracle accepted).
inline reference::ExecStats run_bucketmap(const Recording& go, const Input& in) {
  const trace::ParseResult parsed = trace::parse_trace(go.trace);
  if (parsed.error) {
    std::fprintf(stderr, "go_layout: Go's trace does not parse: line %u: %s\n", parsed.error->line,
                 parsed.error->what.c_str());
    write_artifacts(go, in);
    std::abort();
  }
  const Program& q = parsed.program;
  std::string out;
  reference::ExecOptions opt;
  opt.output = &out;
  reference::Execution e(q, opt);
  std::size_t checked = 0;
  while (e.next_op() < q.ops.size()) {
    const std::size_t i = e.next_op();
    if (!e.step().passed()) report_verdict(q, e.verdict(), go, in);
    const std::size_t d = first_difference(out, go.expected, checked);
    if (d != std::string::npos) report_difference(q, Difference{i, d, e.layout()}, out, go, in);
    checked = out.size();
  }
  const std::string last_layout = e.layout();
  if (!e.finish().passed()) report_verdict(q, e.verdict(), go, in);
  if (out.size() != go.expected.size() && !q.ops.empty()) {
    report_difference(q, Difference{q.ops.size() - 1, out.size(), last_layout}, out, go, in);
  }
  return e.verdict().stats;
}

// LLVMFuzzerInitialize of every go_layout target: where crash files go.
inline void initialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; ++i) {
    const std::string_view a = (*argv)[i];
    if (a.rfind("-artifact_prefix=", 0) == 0) g_artifact_prefix = a.substr(17);
    if (a.rfind("-exact_artifact_path=", 0) == 0) g_exact_artifact = a.substr(21);
  }
}

// LLVMFuzzerTestOneInput of target `target` (its options in targets.h).
inline void test_one(const char* target, const std::uint8_t* data, std::size_t size) {
  static trace::Program p;  // reused: its vectors keep their capacity
  static const DecodeOptions opt = *options_for(target);
  decode(data, size, opt, p);
  const Recording go = record_on_go(GoScript(p).write(), p.config.seed);
  RunTally::get().add(target, run_bucketmap(go, Input{data, size}));  // TOPHASH_STATS_FILE
}

}  // namespace tophash::fuzz::go_layout

// The libFuzzer entry points of go_layout target NAME (its options in
// targets.h): each target's source is this one line.
#define TOPHASH_GO_LAYOUT_TARGET(NAME)                                                 \
  extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {                      \
    tophash::fuzz::go_layout::initialize(argc, argv);                                  \
    return 0;                                                                          \
  }                                                                                    \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    tophash::fuzz::go_layout::test_one(NAME, data, size);                              \
    return 0;                                                                          \
  }
