// concurrent/scheduler.h: a deterministic scheduler for the concurrent maps.
//
// Logical threads are real threads handed a baton: exactly one runs at a
// time, and at every synchronisation point of impl/ (sync_point.h: atomic
// loads, stores and read-modify-writes, fences, lock and unlock, epoch pin
// and unpin, retire, collect, free) the running thread stops and a
// Strategy picks who goes next. Everything a run does is then a function
// of the scenario and the list of choices, its schedule: the same list
// replays the same run, step for step.
//
// What it models beyond interleaving. A store weaker than seq_cst goes
// into its thread's store buffer (x86-TSO): the thread itself reads it
// back at once, the other threads see it only once it is flushed. The
// buffer drains at the thread's read-modify-writes, seq_cst stores,
// seq_cst fences, locks and unlocks and when the thread ends; a flush of
// the oldest buffered store of a thread is also a choice the strategy may
// make at any point. A store whose order was weakened from seq_cst can
// therefore be seen late by another thread, as on real hardware. Loads
// are not reordered (TSO keeps load order), so a weakened load order is
// invisible here: that class is ThreadSanitizer's (tests/concurrent).
//
// What it checks while running. Retiring an object that is retired and
// not yet freed ("double retire"), freeing one that is not retired
// ("free of an object not retired"), no thread able to move with some
// unfinished ("deadlock"), a run longer than a bound ("step limit"), and,
// under AddressSanitizer, an atomic access to freed memory before it
// happens; any other access after free is ASan's own report, after which
// the schedule so far is printed too. The histories are checked by the
// caller (scenario.h).
//
// A schedule is a list of choices: `n` runs logical thread n, `fn`
// flushes the oldest buffered store of thread n. It prints run-length
// encoded: "0x12 1x30 f0 1x4 0x3".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tophash/internal/sync_point.h"

namespace tophash::sched {

inline constexpr unsigned kMaxThreads = 4;
inline constexpr unsigned kFlush = 16;  // choice kFlush + t: flush thread t's oldest buffered store

std::string format_schedule(const std::vector<unsigned>& choices);
// Parses format_schedule's text; false (and *error) on bad text.
bool parse_schedule(const std::string& text, std::vector<unsigned>* choices, std::string* error);

// Picks the next choice at each decision point.
class Strategy {
 public:
  virtual ~Strategy() = default;
  // `choices` is never empty and sorted (runs first, then flushes);
  // `current` is the thread that was running (-1 at the start), and
  // `current_enabled` whether it can run on.
  virtual unsigned choose(const std::vector<unsigned>& choices, int current, bool current_enabled) = 0;
};

// The choice a run makes when nobody says otherwise: the running thread
// goes on; when it cannot, the lowest thread that can; no flush.
unsigned default_choice(const std::vector<unsigned>& choices, int current, bool current_enabled);

// Follows a list of choices, then the default. A choice that is not
// available is a failed replay (`diverged` says where).
class ReplayStrategy : public Strategy {
 public:
  explicit ReplayStrategy(std::vector<unsigned> choices) : choices_(std::move(choices)) {}
  unsigned choose(const std::vector<unsigned>& choices, int current, bool current_enabled) override;
  long diverged = -1;

 private:
  std::vector<unsigned> choices_;
  std::size_t at_ = 0;
};

// Seeded random: at each decision, with probability `switch_rate`, any
// available choice at random; else the default.
class RandomStrategy : public Strategy {
 public:
  RandomStrategy(std::uint64_t seed, double switch_rate) : rng_(seed), rate_(switch_rate) {}
  unsigned choose(const std::vector<unsigned>& choices, int current, bool current_enabled) override;

 private:
  std::mt19937_64 rng_;
  double rate_;
};

// Driven by bytes (the fuzz target): pairs (k, c) mean "k default
// decisions, then choice c mod the number available"; the default after
// the bytes run out.
class ByteStrategy : public Strategy {
 public:
  ByteStrategy(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  unsigned choose(const std::vector<unsigned>& choices, int current, bool current_enabled) override;

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  long skip_ = -1;
};

// Every schedule with at most `bound` preemptions (a switch away from a
// thread that could run on, or a flush), depth first. Use: while
// (dfs.next_run()) { run with &dfs as the strategy; }.
class DfsStrategy : public Strategy {
 public:
  explicit DfsStrategy(unsigned bound) : bound_(bound) {}
  unsigned choose(const std::vector<unsigned>& choices, int current, bool current_enabled) override;
  // Prepares the next run; false when every schedule has been run.
  bool next_run();

 private:
  struct Node {
    std::vector<unsigned> choices;
    int current;
    bool current_enabled;
    unsigned preemptions_before;
    unsigned chosen;
    std::vector<unsigned> tried;
  };
  unsigned cost(const Node& n, unsigned choice) const;
  unsigned bound_;
  std::vector<Node> trail_;
  std::size_t depth_ = 0;
  unsigned preemptions_ = 0;
  bool started_ = false;
};

class Scheduler final : public sync::Observer {
 public:
  Scheduler();
  ~Scheduler() override;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs bodies[t] as logical thread t (at most kMaxThreads), one step at
  // a time, choices made by `strategy`. A failed check prints report()
  // with the failure and aborts the process.
  void run(const std::vector<std::function<void()>>& bodies, Strategy& strategy);

  // Logical time: one tick per step and per call to now().
  std::int64_t now() { return ++clock_; }
  // What logical thread t is doing now (for the printed steps).
  void set_label(unsigned t, std::string label);
  // Names an object for the printed steps ("E" for the epoch, ...).
  void name_object(const void* addr, std::string name);
  // Text printed before the steps of a failure (the scenario).
  void set_context(std::function<std::string()> context) { context_ = std::move(context); }
  // In a fuzz target: a failure opens with the harness's banner line
  // "==== tophash: WHAT in fuzz target NAME ====" that the campaign reads.
  void set_fuzz_target(std::string name) { fuzz_target_ = std::move(name); }

  const std::vector<unsigned>& schedule() const { return schedule_; }
  std::size_t steps() const { return steps_.size(); }
  // The failure report: check, detail, context, schedule and the steps
  // grouped into runs of one thread.
  std::string report(const std::string& check, const std::string& detail) const;
  [[noreturn]] void fail(const std::string& check, const std::string& detail) const;

  // sync::Observer
  void at(sync::Point p, const void* addr, std::memory_order mo) override;
  bool buffer_store(void* addr, std::uint64_t bits, void (*apply)(void*, std::uint64_t)) override;
  bool forward_load(const void* addr, std::uint64_t* bits) override;
  void drain() override;

 private:
  struct State;
  void decide(int self);
  void retire_check(sync::Point p, const void* addr);
  std::unique_ptr<State> s_;
  std::vector<unsigned> schedule_;
  struct Step {
    int thread;  // -1: a flush
    unsigned flushed;
    sync::Point point;
    std::uintptr_t addr;
    std::memory_order mo;
    unsigned label;
  };
  std::vector<Step> steps_;
  std::int64_t clock_ = 0;
  std::function<std::string()> context_;
  std::string fuzz_target_;
};

}  // namespace tophash::sched
