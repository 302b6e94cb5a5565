// concurrent/scheduler.cc: the baton-passing scheduler and its strategies
// (scheduler.h).
#include "scheduler.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <semaphore>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "tophash/internal/reclaim.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOPHASH_SCHED_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#endif

namespace tophash::sched {

namespace {

constexpr std::size_t kMaxDecisions = 200000;

thread_local int tls_thread = -1;  // the logical thread this real thread runs, or -1
Scheduler* g_running = nullptr;     // the scheduler of the run in progress, for the death callback

#if defined(TOPHASH_SCHED_ASAN)
void on_death() {
  if (g_running == nullptr) return;
  const std::string r = g_running->report("sanitizer (its report is above)", "");
  std::fputs(r.c_str(), stderr);
}
#endif

const char* point_name(sync::Point p) {
  switch (p) {
    case sync::Point::kLoad: return "load";
    case sync::Point::kLoaded: return "";
    case sync::Point::kStore: return "store";
    case sync::Point::kRmw: return "rmw";
    case sync::Point::kFence: return "fence";
    case sync::Point::kLock: return "lock";
    case sync::Point::kLockShared: return "lock_shared";
    case sync::Point::kUnlock: return "unlock";
    case sync::Point::kUnlockShared: return "unlock_shared";
    case sync::Point::kPin: return "pin";
    case sync::Point::kUnpin: return "unpin";
    case sync::Point::kRetire: return "retire";
    case sync::Point::kCollect: return "collect";
    case sync::Point::kFree: return "free";
  }
  return "?";
}

const char* order_name(std::memory_order mo) {
  switch (mo) {
    case std::memory_order_relaxed: return "relaxed";
    case std::memory_order_consume: return "consume";
    case std::memory_order_acquire: return "acquire";
    case std::memory_order_release: return "release";
    case std::memory_order_acq_rel: return "acq_rel";
    case std::memory_order_seq_cst: return "seq_cst";
  }
  return "?";
}

}  // namespace

// ---- schedules as text --------------------------------------------------------

std::string format_schedule(const std::vector<unsigned>& choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size();) {
    std::size_t j = i;
    while (j < choices.size() && choices[j] == choices[i]) ++j;
    const unsigned c = choices[i];
    if (!out.empty()) out += ' ';
    out += c >= kFlush ? "f" + std::to_string(c - kFlush) : std::to_string(c);
    if (j - i > 1) out += "x" + std::to_string(j - i);
    i = j;
  }
  return out;
}

bool parse_schedule(const std::string& text, std::vector<unsigned>* choices, std::string* error) {
  choices->clear();
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    const std::size_t start = i;
    unsigned base = 0;
    if (text[i] == 'f') {
      base = kFlush;
      ++i;
    }
    unsigned t = 0, n = 1;
    if (i >= text.size() || text[i] < '0' || text[i] > '9') {
      *error = "schedule: expected a thread number at '" + text.substr(start, 10) + "'";
      return false;
    }
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') t = t * 10 + (text[i++] - '0');
    if (i < text.size() && text[i] == 'x') {
      n = 0;
      ++i;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') n = n * 10 + (text[i++] - '0');
    }
    if (t >= kMaxThreads || n == 0 || n > kMaxDecisions) {
      *error = "schedule: bad choice '" + text.substr(start, i - start) + "'";
      return false;
    }
    choices->insert(choices->end(), n, base + t);
  }
  return true;
}

// ---- strategies -----------------------------------------------------------------

unsigned default_choice(const std::vector<unsigned>& choices, int current, bool current_enabled) {
  if (current_enabled) return static_cast<unsigned>(current);
  return choices.front();  // runs sort before flushes; there is always a run when a flush is offered
}

unsigned ReplayStrategy::choose(const std::vector<unsigned>& choices, int current, bool current_enabled) {
  if (at_ < choices_.size()) {
    const unsigned c = choices_[at_++];
    if (std::find(choices.begin(), choices.end(), c) != choices.end()) return c;
    if (diverged < 0) diverged = static_cast<long>(at_ - 1);
  }
  return default_choice(choices, current, current_enabled);
}

unsigned RandomStrategy::choose(const std::vector<unsigned>& choices, int current, bool current_enabled) {
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  if (!current_enabled || coin(rng_) < rate_) return choices[rng_() % choices.size()];
  return static_cast<unsigned>(current);
}

unsigned ByteStrategy::choose(const std::vector<unsigned>& choices, int current, bool current_enabled) {
  if (skip_ < 0 && pos_ + 1 < size_) skip_ = data_[pos_++];
  if (skip_ > 0) {
    --skip_;
  } else if (skip_ == 0) {
    skip_ = -1;
    return choices[data_[pos_++] % choices.size()];
  }
  return default_choice(choices, current, current_enabled);
}

unsigned DfsStrategy::cost(const Node& n, unsigned choice) const {
  if (choice >= kFlush) return 1;
  return n.current_enabled && static_cast<int>(choice) != n.current ? 1 : 0;
}

unsigned DfsStrategy::choose(const std::vector<unsigned>& choices, int current, bool current_enabled) {
  if (depth_ < trail_.size()) {
    Node& n = trail_[depth_++];
    // The same prefix gives the same decision points: a run is deterministic.
    if (n.choices != choices) {
      std::fprintf(stderr, "schedule exploration: decision %zu differs between runs of one prefix\n", depth_ - 1);
      std::abort();
    }
    preemptions_ = n.preemptions_before + cost(n, n.chosen);
    return n.chosen;
  }
  Node n{choices, current, current_enabled, preemptions_, 0, {}};
  n.chosen = default_choice(choices, current, current_enabled);
  n.tried.push_back(n.chosen);
  preemptions_ += cost(n, n.chosen);
  trail_.push_back(std::move(n));
  ++depth_;
  return trail_.back().chosen;
}

bool DfsStrategy::next_run() {
  if (!started_) {
    started_ = true;
    depth_ = 0;
    preemptions_ = 0;
    return true;
  }
  trail_.resize(std::min(trail_.size(), depth_));
  while (!trail_.empty()) {
    Node& n = trail_.back();
    for (unsigned c : n.choices) {
      if (std::find(n.tried.begin(), n.tried.end(), c) != n.tried.end()) continue;
      if (n.preemptions_before + cost(n, c) > bound_) continue;
      n.tried.push_back(c);
      n.chosen = c;
      depth_ = 0;
      preemptions_ = 0;
      return true;
    }
    trail_.pop_back();
  }
  return false;
}

// ---- the scheduler ------------------------------------------------------------

struct Scheduler::State {
  struct Buffered {
    void* addr;
    std::uint64_t bits;
    void (*apply)(void*, std::uint64_t);
  };
  struct Thread {
    std::binary_semaphore go{0};
    bool at_start = true;
    bool finished = false;
    sync::Point pending = sync::Point::kLoad;
    const void* pending_addr = nullptr;
    std::memory_order pending_mo = std::memory_order_seq_cst;
    std::deque<Buffered> buffer;
    unsigned label = 0;
  };
  struct Lock {
    int owner = -1;
    int shared = 0;
  };
  Strategy* strategy = nullptr;
  unsigned n = 0;
  int current = -1;
  std::unique_ptr<Thread> threads[kMaxThreads];
  std::binary_semaphore done{0};
  std::unordered_map<const void*, Lock> locks;
  std::unordered_set<const void*> retired;
  std::vector<std::string> labels{""};
  std::unordered_map<std::uintptr_t, std::string> names;

  bool enabled(unsigned t) const {
    const Thread& th = *threads[t];
    if (th.finished) return false;
    if (th.at_start) return true;
    auto it = locks.find(th.pending_addr);
    if (th.pending == sync::Point::kLock) return it == locks.end() || (it->second.owner < 0 && it->second.shared == 0);
    if (th.pending == sync::Point::kLockShared) return it == locks.end() || it->second.owner < 0;
    return true;
  }
};

Scheduler::Scheduler() : s_(std::make_unique<State>()) {
#if defined(TOPHASH_SCHED_ASAN)
  __sanitizer_set_death_callback(&on_death);
#endif
  // Every logical thread claims its epoch record before a run, one after
  // the other, from a registry that already holds enough free records:
  // then thread t gets the same record in every run, here or in a replay.
  { reclaim::Guard main_record; }
  std::binary_semaphore hold{0};
  std::vector<std::thread> warm;
  for (unsigned t = 0; t < kMaxThreads; ++t) {
    std::binary_semaphore claimed{0};
    warm.emplace_back([&] {
      { reclaim::Guard g; }
      claimed.release();
      hold.acquire();
      hold.release();
    });
    claimed.acquire();
  }
  hold.release();
  for (std::thread& th : warm) th.join();
  // Installed for the scheduler's lifetime, so that what a scenario's
  // setup retires (outside any run) is tracked too; outside the logical
  // threads the hooks only track retire and free.
  sync::set_observer(this);
}

Scheduler::~Scheduler() { sync::set_observer(nullptr); }

void Scheduler::set_label(unsigned t, std::string label) {
  s_->labels.push_back(std::move(label));
  s_->threads[t]->label = static_cast<unsigned>(s_->labels.size() - 1);
}

void Scheduler::name_object(const void* addr, std::string name) {
  s_->names[reinterpret_cast<std::uintptr_t>(addr)] = std::move(name);
}

void Scheduler::run(const std::vector<std::function<void()>>& bodies, Strategy& strategy) {
  State& s = *s_;
  if (bodies.empty() || bodies.size() > kMaxThreads) fail("scenario", "a run has 1 to 4 threads");
  s.strategy = &strategy;
  s.n = static_cast<unsigned>(bodies.size());
  s.current = -1;
  s.locks.clear();
  // The retired set is not cleared: objects retired before the threads
  // start (a scenario's setup) are freed during or after the run, and
  // between runs it is empty (a map's destructor frees all it retired).
  s.labels.resize(1);
  schedule_.clear();
  steps_.clear();
  for (unsigned t = 0; t < s.n; ++t) s.threads[t] = std::make_unique<State::Thread>();
  name_object(&reclaim::Registry::instance().epoch(), "E");

  std::vector<std::thread> threads;
  for (unsigned t = 0; t < s.n; ++t) {
    std::binary_semaphore claimed{0};
    threads.emplace_back([&, t] {
      { reclaim::Guard g; }  // claims the record (scheduler not installed yet)
      claimed.release();
      s.threads[t]->go.acquire();
      tls_thread = static_cast<int>(t);
      bodies[t]();
      drain();
      s.threads[t]->finished = true;
      decide(static_cast<int>(t));
      tls_thread = -1;
    });
    claimed.acquire();
  }
  g_running = this;
  decide(-1);
  s.done.acquire();
  g_running = nullptr;
  for (std::thread& th : threads) th.join();
}

void Scheduler::decide(int self) {
  State& s = *s_;
  for (;;) {
    std::vector<unsigned> choices;
    bool all_finished = true;
    for (unsigned t = 0; t < s.n; ++t) {
      all_finished = all_finished && s.threads[t]->finished;
      if (s.enabled(t)) choices.push_back(t);
    }
    if (choices.empty()) {
      if (!all_finished) fail("deadlock", "no thread can move and some have not finished");
      s.done.release();
      return;
    }
    for (unsigned t = 0; t < s.n; ++t) {
      if (!s.threads[t]->buffer.empty()) choices.push_back(kFlush + t);
    }
    if (schedule_.size() >= kMaxDecisions) fail("step limit", "the run did not finish within the step limit");
    const bool cur_enabled = self >= 0 && s.enabled(static_cast<unsigned>(self));
    const unsigned c = s.strategy->choose(choices, s.current, cur_enabled);
    if (std::find(choices.begin(), choices.end(), c) == choices.end()) fail("strategy", "chose an unavailable step");
    schedule_.push_back(c);
    ++clock_;
    if (c >= kFlush) {
      State::Thread& th = *s.threads[c - kFlush];
      const State::Buffered b = th.buffer.front();
      th.buffer.pop_front();
      b.apply(b.addr, b.bits);
      steps_.push_back({-1, c - kFlush, sync::Point::kStore, reinterpret_cast<std::uintptr_t>(b.addr),
                        std::memory_order_relaxed, th.label});
      continue;
    }
    State::Thread& th = *s.threads[c];
    if (th.at_start) {
      th.at_start = false;
    } else {
      State::Lock& l = s.locks[th.pending_addr];
      switch (th.pending) {
        case sync::Point::kLock: l.owner = static_cast<int>(c); break;
        case sync::Point::kLockShared: ++l.shared; break;
        case sync::Point::kUnlock: l.owner = -1; break;
        case sync::Point::kUnlockShared: --l.shared; break;
        default: s.locks.erase(th.pending_addr); break;
      }
      steps_.push_back({static_cast<int>(c), 0, th.pending, reinterpret_cast<std::uintptr_t>(th.pending_addr),
                        th.pending_mo, th.label});
    }
    s.current = static_cast<int>(c);
    if (static_cast<int>(c) == self) return;
    th.go.release();
    if (self >= 0 && !s.threads[self]->finished) s.threads[self]->go.acquire();
    return;
  }
}

void Scheduler::retire_check(sync::Point p, const void* addr) {
  if (p == sync::Point::kRetire && !s_->retired.insert(addr).second) {
    fail("double retire", "an object was retired a second time before it was freed (the last retire step)");
  }
  if (p == sync::Point::kFree && s_->retired.erase(addr) == 0) {
    fail("free of an object not retired", "a free step names an object that is not waiting to be freed");
  }
}

void Scheduler::at(sync::Point p, const void* addr, std::memory_order mo) {
  if (tls_thread < 0) {
    retire_check(p, addr);
    return;
  }
  State::Thread& th = *s_->threads[tls_thread];
  th.pending = p;
  th.pending_addr = addr;
  th.pending_mo = mo;
  decide(tls_thread);
  retire_check(p, addr);
#if defined(TOPHASH_SCHED_ASAN)
  const bool access = p == sync::Point::kLoad || p == sync::Point::kStore || p == sync::Point::kRmw;
  if (access && __asan_address_is_poisoned(addr)) {
    fail("access to freed memory", "the last step touches an atomic in memory that has been freed");
  }
#endif
}

bool Scheduler::buffer_store(void* addr, std::uint64_t bits, void (*apply)(void*, std::uint64_t)) {
  if (tls_thread < 0) return false;
  s_->threads[tls_thread]->buffer.push_back({addr, bits, apply});
  return true;
}

bool Scheduler::forward_load(const void* addr, std::uint64_t* bits) {
  if (tls_thread < 0) return false;
  const auto& buf = s_->threads[tls_thread]->buffer;
  for (auto it = buf.rbegin(); it != buf.rend(); ++it) {
    if (it->addr == addr) {
      *bits = it->bits;
      return true;
    }
  }
  return false;
}

void Scheduler::drain() {
  if (tls_thread < 0) return;
  auto& buf = s_->threads[tls_thread]->buffer;
  for (const State::Buffered& b : buf) b.apply(b.addr, b.bits);
  buf.clear();
}

// ---- the report --------------------------------------------------------------

namespace {

// One line of a group of steps from its tokens (kind and order, object):
// "kind object (order)", with a run of three or more of one kind and order
// on different objects (a collection scanning its stacks) shortened to
// "kind xN (order)".
std::string join_steps(const std::vector<std::pair<std::string, std::string>>& toks) {
  std::string line;
  for (std::size_t a = 0; a < toks.size();) {
    std::size_t b = a + 1;
    while (b < toks.size() && toks[b].first == toks[a].first && toks[b].second != toks[b - 1].second) ++b;
    std::string tok;
    if (b - a >= 3) {
      tok = toks[a].first + " x" + std::to_string(b - a);
    } else {
      b = a + 1;
      const auto paren = toks[a].first.find(" (");
      tok = toks[a].second.empty() ? toks[a].first
            : paren == std::string::npos ? toks[a].first + " " + toks[a].second
                                         : toks[a].first.substr(0, paren) + " " + toks[a].second + toks[a].first.substr(paren);
    }
    line += (line.empty() ? "" : ", ") + tok;
    a = b;
  }
  return line;
}

}  // namespace

std::string Scheduler::report(const std::string& check, const std::string& detail) const {
  std::map<std::uintptr_t, std::string> names(s_->names.begin(), s_->names.end());
  unsigned next_object = 1;
  const auto name = [&](std::uintptr_t a) -> std::string {
    if (a == 0) return "";
    auto [it, added] = names.emplace(a, "");
    if (added) it->second = "o" + std::to_string(next_object++);
    return it->second;
  };
  std::string out = "schedule check failed: " + check + "\n";
  if (!detail.empty()) out += "  " + detail + "\n";
  if (context_) out += context_();
  out += "schedule: " + format_schedule(schedule_) + "\n";
  out += "steps (" + std::to_string(steps_.size()) + "), grouped by thread and operation:\n";
  for (std::size_t i = 0; i < steps_.size();) {
    const Step& first = steps_[i];
    std::size_t j = i;
    // Tokens (join_steps), one per step.
    std::vector<std::pair<std::string, std::string>> toks;  // (kind and order, object)
    while (j < steps_.size() && steps_[j].thread == first.thread && steps_[j].label == first.label &&
           (first.thread >= 0 || j == i)) {
      const Step& st = steps_[j++];
      if (first.thread >= 0 && st.point == sync::Point::kLoaded) continue;
      if (first.thread < 0) {
        toks.emplace_back("flush store to", name(st.addr));
        continue;
      }
      std::string kind = point_name(st.point);
      const bool access = st.point == sync::Point::kLoad || st.point == sync::Point::kStore ||
                          st.point == sync::Point::kRmw;
      if (access && st.mo != std::memory_order_seq_cst) kind += std::string(" (") + order_name(st.mo) + ")";
      const bool named = st.point != sync::Point::kPin && st.point != sync::Point::kUnpin &&
                         st.point != sync::Point::kCollect;
      toks.emplace_back(kind, named ? name(st.addr) : "");
    }
    std::string line = join_steps(toks);
    if (line.empty()) line = "goes on from the load above";
    char head[64];
    std::snprintf(head, sizeof head, "  %4zu-%-4zu %s ", i + 1, j,
                  first.thread < 0 ? ("f" + std::to_string(first.flushed)).c_str()
                                   : ("t" + std::to_string(first.thread)).c_str());
    out += head + s_->labels[first.label] + ": " + line + "\n";
    i = j;
  }
  return out;
}

void Scheduler::fail(const std::string& check, const std::string& detail) const {
  const std::string r = report(check, detail);
  if (!fuzz_target_.empty()) {
    std::fprintf(stderr, "\n==== tophash: schedule check failed: %s in fuzz target %s ====\n", check.c_str(),
                 fuzz_target_.c_str());
  }
  std::fputs(r.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tophash::sched
