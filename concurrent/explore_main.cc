// concurrent/explore_main.cc: concurrent-schedule, the command that explores
// scenarios under the deterministic scheduler (scheduler.h, scenario.h).
//
//   concurrent-schedule [--bound N] [--max-runs N] [--random-scenarios N]
//                       [--random N] [--seed S] [--scenario FILE] [--no-builtin]
//                       [--time S]
//   concurrent-schedule --replay FILE
//   concurrent-schedule --rate SECONDS
//
// Default: every built-in scenario with every schedule of at most --bound
// preemptions (default 1; at most --max-runs runs each), then
// --random-scenarios generated scenarios (default 0) with --random seeded
// random schedules each (default 100). --scenario FILE explores that
// scenario alone, --no-builtin runs only the generated ones. Every 64th run is replayed from its printed schedule and
// must take the same steps. A failed check prints the scenario, the
// schedule and the steps and aborts (exit status from SIGABRT).
//
// With --time S the exploration takes about S seconds: each built-in
// scenario an equal share of half of it (cut short when its share is
// spent), then generated scenarios until the time is up (instead of
// --random-scenarios of them).
//
// --replay FILE runs a scenario file's "schedule:" line once.
// --rate S measures schedules per second on a 2-thread scenario of 3
// operations per thread, for S seconds: complete exploration up to bound
// 2, then random schedules.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "scenario.h"

namespace sched = tophash::sched;

namespace {

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "concurrent-schedule: %s (see the comment at the top of concurrent/explore_main.cc)\n",
               message.c_str());
  std::exit(2);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) usage_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Replays the schedule `s` just ran and checks it takes the same steps.
void check_replay(sched::Scheduler& s, const sched::Scenario& sc) {
  const std::vector<unsigned> taken = s.schedule();
  const std::size_t steps = s.steps();
  sched::ReplayStrategy replay(taken);
  sched::run_scenario(s, sc, replay);
  if (replay.diverged >= 0 || s.schedule() != taken || s.steps() != steps) {
    s.fail("replay", "the schedule did not replay the same steps (diverged at decision " +
                         std::to_string(replay.diverged) + ")");
  }
}

void explore(sched::Scheduler& s, const std::string& name, const sched::Scenario& sc, unsigned bound,
             std::size_t max_runs, const std::function<bool()>& stop) {
  const auto t0 = std::chrono::steady_clock::now();
  const sched::Exploration e = sched::explore_dfs(s, sc, bound, max_runs, stop);
  if (e.runs > 0) check_replay(s, sc);
  std::printf("%-26s %7zu schedules (%s, bound %u) in %.2f s\n", name.c_str(), e.runs,
              e.complete ? "all" : "stopped by --max-runs or --time", bound, seconds_since(t0));
  std::fflush(stdout);
}

int rate(double seconds) {
  sched::Scenario sc;
  std::string error;
  if (!sched::parse_scenario("setup: Store(1, 1); Load(1)\n"
                             "t0: Load(1); Store(2, 101); LoadAndDelete(1)\n"
                             "t1: Store(1, 201); Range; Collect\n",
                             &sc, nullptr, &error)) {
    usage_error(error);
  }
  sched::Scheduler s;
  const auto t0 = std::chrono::steady_clock::now();
  sched::DfsStrategy dfs(2);
  std::size_t dfs_runs = 0, random_runs = 0, steps = 0;
  bool complete = false;
  while (seconds_since(t0) < seconds) {
    if (!dfs.next_run()) {
      complete = true;
      break;
    }
    sched::run_scenario(s, sc, dfs);
    ++dfs_runs;
    steps += s.steps();
  }
  for (std::uint64_t i = 0; seconds_since(t0) < seconds; ++i) {
    sched::RandomStrategy rs(i, 0.1);
    sched::run_scenario(s, sc, rs);
    ++random_runs;
    steps += s.steps();
  }
  const double took = seconds_since(t0);
  const std::size_t runs = dfs_runs + random_runs;
  std::printf("scenario: 2 threads, 3 operations each\n%s", sched::to_text(sc).c_str());
  std::printf("dfs bound 2: %zu schedules (%s)\n", dfs_runs, complete ? "all of them" : "stopped by the time limit");
  std::printf("random: %zu schedules\n", random_runs);
  std::printf("rate: %zu schedules in %.2f s = %.0f schedules/s, %.0f steps per schedule\n", runs, took,
              runs / took, runs ? static_cast<double>(steps) / runs : 0.0);
  return 0;
}

// The command line (the comment at the top of this file).
struct Options {
  unsigned bound = 1;
  std::size_t max_runs = 200000, random_scenarios = 0, random_runs = 100;
  std::uint64_t seed = 1;
  std::string scenario_file, replay_file;
  bool builtin = true;
  double rate_seconds = 0, time_limit = 0;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    const auto number = [&]() -> std::uint64_t {
      const std::string v = value();
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0') usage_error(a + " takes a number, not '" + v + "'");
      return n;
    };
    if (a == "--bound") o.bound = static_cast<unsigned>(number());
    else if (a == "--max-runs") o.max_runs = number();
    else if (a == "--random-scenarios") o.random_scenarios = number();
    else if (a == "--random") o.random_runs = number();
    else if (a == "--seed") o.seed = number();
    else if (a == "--scenario") o.scenario_file = value();
    else if (a == "--replay") o.replay_file = value();
    else if (a == "--no-builtin") o.builtin = false;
    else if (a == "--time") o.time_limit = static_cast<double>(number());
    else if (a == "--rate") o.rate_seconds = static_cast<double>(number());
    else usage_error("unknown argument '" + a + "'");
  }
  return o;
}

// --replay FILE: runs the file's schedule once.
int replay_file(const std::string& path) {
  sched::Scenario sc;
  std::string schedule, error;
  std::vector<unsigned> choices;
  if (!sched::parse_scenario(read_file(path), &sc, &schedule, &error)) usage_error(path + ": " + error);
  if (!sched::parse_schedule(schedule, &choices, &error)) usage_error(path + ": " + error);
  sched::Scheduler s;
  sched::ReplayStrategy replay(choices);
  sched::run_scenario(s, sc, replay);
  if (replay.diverged >= 0) {
    std::fprintf(stderr, "the schedule does not fit the scenario: choice %ld was not available\n", replay.diverged);
    return 1;
  }
  std::printf("replayed %zu steps: every check passed\n", s.steps());
  return 0;
}

// --scenario FILE, or else (unless --no-builtin) every built-in scenario.
void explore_fixed(sched::Scheduler& s, const Options& o, const std::function<bool()>& stop) {
  if (!o.scenario_file.empty()) {
    sched::Scenario sc;
    std::string error;
    if (!sched::parse_scenario(read_file(o.scenario_file), &sc, nullptr, &error)) {
      usage_error(o.scenario_file + ": " + error);
    }
    explore(s, o.scenario_file, sc, o.bound, o.max_runs, stop);
  } else if (o.builtin) {
    // With --time, each built-in scenario gets an equal share of half the time.
    const auto& all = sched::builtin_scenarios();
    const double share = o.time_limit / 2 / static_cast<double>(all.size());
    for (const auto& [name, sc] : all) {
      const auto start = std::chrono::steady_clock::now();
      const std::function<bool()> stop_one = [&] { return o.time_limit > 0 && seconds_since(start) >= share; };
      explore(s, name, sc, o.bound, o.max_runs, stop_one);
    }
  }
}

// Generated scenarios: --random-scenarios of them, or until --time is up.
void explore_generated(sched::Scheduler& s, const Options& o, const std::function<bool()>& stop) {
  std::mt19937_64 rng(o.seed);
  std::size_t runs = 0;
  std::size_t i = 0;
  for (; o.time_limit > 0 ? !stop() : i < o.random_scenarios; ++i) {
    const sched::Scenario sc = sched::random_scenario(rng, 2 + rng() % 2, 5);
    runs += sched::explore_random(s, sc, o.seed + i, o.random_runs).runs;
    if (i % 64 == 0) check_replay(s, sc);
  }
  if (i > 0) {
    std::printf("random: %zu scenarios, %zu schedules (seed %llu)\n", i, runs,
                static_cast<unsigned long long>(o.seed));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  if (o.rate_seconds > 0) return rate(o.rate_seconds);
  if (!o.replay_file.empty()) return replay_file(o.replay_file);

  sched::Scheduler s;
  const auto t0 = std::chrono::steady_clock::now();
  const std::function<bool()> stop = [&] { return o.time_limit > 0 && seconds_since(t0) >= o.time_limit; };
  explore_fixed(s, o, stop);
  explore_generated(s, o, stop);
  std::printf("all checks passed in %.2f s\n", seconds_since(t0));
  return 0;
}
