// concurrent/scenario.cc: scenarios as text and bytes, one checked run, and
// the two explorations (scenario.h).
#include "scenario.h"

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "linearizability.h"
#include "tophash/locked_map.h"
#include "tophash/sync_map.h"

namespace tophash::sched {

namespace {

const char* const kNames[kOpKinds] = {"Load", "Store", "LoadOrStore", "LoadAndDelete", "Delete",
                                      "Swap", "CompareAndSwap", "CompareAndDelete", "Range", "Collect"};
// How many numbers each kind takes: key, then value and/or expected.
const unsigned kArity[kOpKinds] = {1, 2, 2, 1, 1, 2, 3, 2, 0, 0};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool parse_op(const std::string& text, ScenarioOp* op, std::string* error) {
  const std::string t = trim(text);
  const auto paren = t.find('(');
  const std::string name = trim(t.substr(0, paren));
  unsigned k = 0;
  while (k < kOpKinds && name != kNames[k]) ++k;
  if (k == kOpKinds) {
    *error = "unknown operation '" + name + "'";
    return false;
  }
  std::vector<std::uint64_t> nums;
  if (paren != std::string::npos) {
    if (t.back() != ')') {
      *error = "missing ')' in '" + t + "'";
      return false;
    }
    std::stringstream in(t.substr(paren + 1, t.size() - paren - 2));
    for (std::string part; std::getline(in, part, ',');) {
      try {
        nums.push_back(std::stoull(trim(part)));
      } catch (...) {
        *error = "bad number '" + trim(part) + "' in '" + t + "'";
        return false;
      }
    }
  }
  if (nums.size() != kArity[k]) {
    *error = "'" + name + "' takes " + std::to_string(kArity[k]) + " numbers: '" + t + "'";
    return false;
  }
  op->kind = static_cast<OpKind>(k);
  if (kArity[k] >= 1) op->key = nums[0];
  if (op->kind == OpKind::kCompareAndSwap) {
    op->expected = nums[1];
    op->value = nums[2];
  } else if (op->kind == OpKind::kCompareAndDelete) {
    op->expected = nums[1];
  } else if (kArity[k] == 2) {
    op->value = nums[1];
  }
  if (op->value == lin::kAbsent || op->expected == lin::kAbsent) {
    *error = "value out of range in '" + t + "'";
    return false;
  }
  return true;
}

std::string format_ops(const std::vector<ScenarioOp>& ops) {
  std::string out;
  for (const ScenarioOp& op : ops) out += (out.empty() ? "" : "; ") + format_op(op);
  return out;
}

}  // namespace

std::string format_op(const ScenarioOp& op) {
  const std::string name = kNames[static_cast<unsigned>(op.kind)];
  const std::string k = std::to_string(op.key);
  switch (op.kind) {
    case OpKind::kRange:
    case OpKind::kCollect:
      return name;
    case OpKind::kCompareAndSwap:
      return name + "(" + k + ", " + std::to_string(op.expected) + ", " + std::to_string(op.value) + ")";
    case OpKind::kCompareAndDelete:
      return name + "(" + k + ", " + std::to_string(op.expected) + ")";
    default:
      return kArity[static_cast<unsigned>(op.kind)] == 2 ? name + "(" + k + ", " + std::to_string(op.value) + ")"
                                                         : name + "(" + k + ")";
  }
}

std::string to_text(const Scenario& sc) {
  std::string out = std::string("map: ") + (sc.locked ? "locked" : "sync") + "\n";
  if (!sc.setup.empty()) out += "setup: " + format_ops(sc.setup) + "\n";
  for (std::size_t t = 0; t < sc.threads.size(); ++t) out += "t" + std::to_string(t) + ": " + format_ops(sc.threads[t]) + "\n";
  return out;
}

bool parse_scenario(const std::string& text, Scenario* sc, std::string* schedule, std::string* error) {
  *sc = Scenario{};
  std::stringstream in(text);
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const auto colon = line.find(':');
    const std::string head = trim(line.substr(0, colon));
    const std::string rest = colon == std::string::npos ? "" : trim(line.substr(colon + 1));
    const std::string where = "line " + std::to_string(line_no) + ": ";
    if (head == "map") {
      if (rest != "sync" && rest != "locked") return *error = where + "map is sync or locked", false;
      sc->locked = rest == "locked";
      continue;
    }
    if (head == "schedule") {
      if (schedule == nullptr) return *error = where + "a schedule line in a scenario", false;
      *schedule = rest;
      continue;
    }
    std::vector<ScenarioOp>* ops = nullptr;
    if (head == "setup") {
      ops = &sc->setup;
    } else if (head.size() == 2 && head[0] == 't' && head[1] - '0' == static_cast<int>(sc->threads.size())) {
      ops = &sc->threads.emplace_back();
    } else {
      return *error = where + "expected map:, setup:, t" + std::to_string(sc->threads.size()) + ": or schedule:", false;
    }
    std::stringstream parts(rest);
    for (std::string part; std::getline(parts, part, ';');) {
      ScenarioOp op;
      std::string e;
      if (!parse_op(part, &op, &e)) return *error = where + e, false;
      ops->push_back(op);
    }
  }
  if (sc->threads.empty() || sc->threads.size() > kMaxThreads) {
    return *error = "a scenario has 1 to " + std::to_string(kMaxThreads) + " threads (t0:, t1:, ...)", false;
  }
  return true;
}

// ---- generated scenarios ----------------------------------------------------

namespace {

// Values are unique: setup's n-th is n, thread t's n-th is (t + 1) * 100 + n,
// so a value in a report says who wrote it. An expected value is one of
// the values written so far (or 1), so that compares can succeed.
struct OpMaker {
  std::vector<std::uint64_t> written{1};
  ScenarioOp make(unsigned kind, unsigned key, unsigned pick, std::uint64_t value) {
    ScenarioOp op;
    op.kind = static_cast<OpKind>(kind % kOpKinds);
    op.key = key;
    op.expected = written[pick % written.size()];
    const bool writes = op.kind == OpKind::kStore || op.kind == OpKind::kLoadOrStore ||
                        op.kind == OpKind::kSwap || op.kind == OpKind::kCompareAndSwap;
    if (writes) {
      op.value = value;
      written.push_back(value);
    }
    return op;
  }
};

}  // namespace

Scenario scenario_from_bytes(const std::uint8_t* data, std::size_t size, std::size_t* used) {
  std::size_t pos = 0;
  const auto next = [&]() -> unsigned { return pos < size ? data[pos++] : 0; };
  Scenario sc;
  const unsigned head = next();
  sc.locked = (head & 1) != 0;
  const unsigned threads = 2 + (head >> 1) % 2;
  const unsigned setup = (head >> 2) % 4;
  OpMaker maker;
  for (unsigned i = 0; i < setup; ++i) {
    const unsigned a = next(), b = next();
    sc.setup.push_back(maker.make(a % 2 == 0 ? 1 : 0, b % 3, 0, i + 1));  // Store or Load
  }
  for (unsigned t = 0; t < threads; ++t) {
    auto& ops = sc.threads.emplace_back();
    const unsigned n = 1 + next() % 5;
    for (unsigned i = 0; i < n; ++i) {
      const unsigned a = next(), b = next();
      ops.push_back(maker.make(a, b % 3, b / 3, (t + 1) * 100 + i + 1));
    }
  }
  *used = pos;
  return sc;
}

Scenario random_scenario(std::mt19937_64& rng, unsigned threads, unsigned max_ops) {
  Scenario sc;
  OpMaker maker;
  sc.locked = rng() % 4 == 0;
  const unsigned setup = rng() % 3;
  for (unsigned i = 0; i < setup; ++i) sc.setup.push_back(maker.make(i % 2 == 0 ? 1 : 0, 1 + rng() % 2, 0, i + 1));
  for (unsigned t = 0; t < threads; ++t) {
    auto& ops = sc.threads.emplace_back();
    const unsigned n = 2 + rng() % (max_ops - 1);
    for (unsigned i = 0; i < n; ++i) {
      ops.push_back(maker.make(rng() % kOpKinds, 1 + rng() % 2, rng(), (t + 1) * 100 + i + 1));
    }
  }
  return sc;
}

const std::vector<std::pair<std::string, Scenario>>& builtin_scenarios() {
  static const std::vector<std::pair<std::string, Scenario>> all = [] {
    const char* const texts[][2] = {
        // A reader holds a value while a writer replaces it and collects.
        {"read-vs-replace", "setup: Store(1, 1); Load(1)\nt0: Load(1)\nt1: Store(1, 102); Collect; Collect"},
        // Two lock-free stores race on one entry.
        {"store-vs-store", "setup: Store(1, 1); Load(1)\nt0: Store(1, 101)\nt1: Store(1, 102); Collect; Collect"},
        // A new key (dirty map built, snapshot amended) against Range's promotion.
        {"new-key-vs-range", "setup: Store(1, 1); Load(1)\nt0: Store(2, 101)\nt1: Range; Collect"},
        // Range promotes dirty (amended, no snapshot yet) while a writer adds a key to it.
        {"range-vs-new-key", "setup: Store(1, 1)\nt0: Store(2, 201); Load(2)\nt1: Range; Collect"},
        // An entry only dirty holds is deleted while another thread reads it.
        {"delete-from-dirty", "setup: Store(1, 1); Store(2, 2)\nt0: LoadAndDelete(2); Collect\nt1: Load(2); Load(1)"},
        // Compare-and-swap against delete and re-store.
        {"cas-vs-delete", "setup: Store(1, 1); Load(1)\nt0: CompareAndSwap(1, 1, 101); Load(1)\nt1: Delete(1); LoadOrStore(1, 201)"},
        // Expunge and unexpunge: a deleted key comes back while dirty is rebuilt.
        {"expunge-vs-store", "setup: Store(1, 1); Load(1); Delete(1)\nt0: Store(2, 101); Load(1)\nt1: Store(1, 201); Range"},
        // Three threads: a reader, a writer, a collector.
        {"reader-writer-collector", "setup: Store(1, 1); Load(1)\nt0: Load(1)\nt1: Swap(1, 201)\nt2: Collect; Collect"},
        // The same windows on the locked map.
        {"locked-read-vs-write", "map: locked\nsetup: Store(1, 1)\nt0: Load(1); LoadOrStore(2, 101)\nt1: Swap(1, 201); Delete(2)"},
    };
    std::vector<std::pair<std::string, Scenario>> v;
    for (const auto& [name, text] : texts) {
      Scenario sc;
      std::string error;
      if (!parse_scenario(text, &sc, nullptr, &error)) {
        std::fprintf(stderr, "builtin scenario %s: %s\n", name, error.c_str());
        std::abort();
      }
      v.emplace_back(name, std::move(sc));
    }
    return v;
  }();
  return all;
}

// ---- one checked run ----------------------------------------------------------

namespace {

template <class Map>
struct Runner {
  Scheduler& sched;
  Map& map;
  std::vector<lin::Op> ops;  // appended by one thread at a time (the baton orders them)
  std::vector<lin::RangeCall> ranges;

  void apply(std::uint32_t thread, const ScenarioOp& sop) {
    if (sop.kind == OpKind::kCollect) {
      if constexpr (requires { map.collect(); }) map.collect();
      return;
    }
    if (sop.kind == OpKind::kRange) {
      lin::RangeCall r;
      r.thread = thread;
      r.call_ns = sched.now();
      map.Range([&](const std::uint64_t& k, const std::uint64_t& v) {
        r.seen.emplace_back(k, v);
        return true;
      });
      r.return_ns = sched.now();
      ranges.push_back(std::move(r));
      return;
    }
    lin::Op op;
    op.thread = thread;
    op.key = sop.key;
    op.kind = static_cast<lin::OpKind>(sop.kind);  // the first eight kinds are lin's, in its order
    op.arg = sop.value;
    op.expected = sop.expected;
    op.call_ns = sched.now();
    switch (sop.kind) {
      case OpKind::kLoad: op.out = map.Load(sop.key).value_or(lin::kAbsent); break;
      case OpKind::kStore: map.Store(sop.key, sop.value); break;
      case OpKind::kLoadOrStore: {
        auto [actual, loaded] = map.LoadOrStore(sop.key, sop.value);
        op.out = actual;
        op.ok = loaded;
        break;
      }
      case OpKind::kLoadAndDelete: op.out = map.LoadAndDelete(sop.key).value_or(lin::kAbsent); break;
      case OpKind::kDelete: map.Delete(sop.key); break;
      case OpKind::kSwap: op.out = map.Swap(sop.key, sop.value).value_or(lin::kAbsent); break;
      case OpKind::kCompareAndSwap: op.ok = map.CompareAndSwap(sop.key, sop.expected, sop.value); break;
      case OpKind::kCompareAndDelete: op.ok = map.CompareAndDelete(sop.key, sop.expected); break;
      default: break;
    }
    op.return_ns = sched.now();
    ops.push_back(op);
  }
};

template <class Map>
void run_on(Scheduler& sched, const Scenario& sc, Strategy& strategy, Map& map) {
  Runner<Map> runner{sched, map, {}, {}};
  constexpr std::uint32_t kSetupThread = 90, kFinalThread = 91;
  for (const ScenarioOp& op : sc.setup) runner.apply(kSetupThread, op);
  std::vector<std::function<void()>> bodies;
  for (std::size_t t = 0; t < sc.threads.size(); ++t) {
    bodies.push_back([&, t] {
      for (const ScenarioOp& op : sc.threads[t]) {
        sched.set_label(static_cast<unsigned>(t), format_op(op));
        runner.apply(static_cast<std::uint32_t>(t), op);
      }
    });
  }
  sched.run(bodies, strategy);
  std::set<std::uint64_t> keys;
  for (const lin::Op& op : runner.ops) keys.insert(op.key);
  for (std::uint64_t k : keys) runner.apply(kFinalThread, ScenarioOp{OpKind::kLoad, k, 0, 0});

  const lin::Verdict v = lin::check(runner.ops);
  if (!v.linearizable) sched.fail("linearizability", "the history has no linearization (threads 90: setup, 91: final loads)\n" + v.report);
  for (const lin::RangeCall& r : runner.ranges) {
    const std::string problem = lin::check_range(r, runner.ops);
    if (!problem.empty()) sched.fail("Range contract", problem);
  }
  if constexpr (requires { map.collect(); }) {
    std::size_t waiting = 1;
    for (int i = 0; i < 4 && waiting != 0; ++i) waiting = map.collect();
    if (waiting != 0) {
      sched.fail("reclamation", std::to_string(waiting) + " retired objects still wait once every thread is done");
    }
  }
}

}  // namespace

void run_scenario(Scheduler& sched, const Scenario& sc, Strategy& strategy) {
  // The epoch starts where it starts in every run (between runs nothing
  // is retired and nobody is pinned), so that a schedule replays exactly.
  reclaim::Registry::instance().epoch().store(2);
  sched.set_context([&sc] {
    std::string out = "scenario:\n";
    std::stringstream in(to_text(sc));
    for (std::string line; std::getline(in, line);) out += "  " + line + "\n";
    return out + "(a replay file is the scenario's lines and the schedule line: concurrent-schedule --replay FILE)\n";
  });
  if (sc.locked) {
    LockedMap<std::uint64_t, std::uint64_t> map(7);
    run_on(sched, sc, strategy, map);
  } else {
    SyncMap<std::uint64_t, std::uint64_t> map;
    run_on(sched, sc, strategy, map);
  }
  sched.set_context(nullptr);
}

Exploration explore_dfs(Scheduler& sched, const Scenario& sc, unsigned bound, std::size_t max_runs,
                        const std::function<bool()>& stop) {
  Exploration e;
  DfsStrategy dfs(bound);
  while (e.runs < max_runs && !(stop && stop())) {
    if (!dfs.next_run()) {
      e.complete = true;
      break;
    }
    run_scenario(sched, sc, dfs);
    ++e.runs;
  }
  return e;
}

Exploration explore_random(Scheduler& sched, const Scenario& sc, std::uint64_t seed, std::size_t runs) {
  Exploration e;
  static const double kRates[] = {0.02, 0.1, 0.3};
  for (std::size_t i = 0; i < runs; ++i) {
    RandomStrategy rs(seed * 0x9e3779b97f4a7c15ull + i, kRates[i % 3]);
    run_scenario(sched, sc, rs);
    ++e.runs;
  }
  return e;
}

}  // namespace tophash::sched
