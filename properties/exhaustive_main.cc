// exhaustive: the bounded-exhaustive checker's command line (exhaustive.h).
//
//   exhaustive [--depth N] [--scenario NAME]... [--list] [--show-prefixes]
//
// Runs every program of every scenario (or of those named) with suffixes
// of up to N letters (default 4), prints per scenario the programs run,
// the time and how many of them reached a growth under an iterator, and
// stops at the first failure with its report (exit status 1). --list names
// the scenarios with the programs each runs at that depth;
// --show-prefixes prints each instance's prefix as a trace.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "exhaustive.h"

namespace {

using tophash::properties::ExhaustiveStats;
using tophash::properties::Scenario;

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "exhaustive: %s\nusage: exhaustive [--depth N] [--scenario NAME]... [--list] [--show-prefixes]\n", why);
  std::exit(2);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Args {
  unsigned depth = 4;
  bool list = false, show = false;
  std::vector<std::string> wanted;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--depth" && i + 1 < argc) {
      char* end = nullptr;
      const unsigned long d = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || d > 12) usage("--depth wants a number from 0 to 12");
      a.depth = static_cast<unsigned>(d);
    } else if (arg == "--scenario" && i + 1 < argc) {
      a.wanted.push_back(argv[++i]);
    } else if (arg == "--list") {
      a.list = true;
    } else if (arg == "--show-prefixes") {
      a.show = true;
    } else if (arg == "-h" || arg == "--help") {
      std::printf("usage: exhaustive [--depth N] [--scenario NAME]... [--list] [--show-prefixes]\n");
      std::exit(0);
    } else {
      usage(("unknown argument " + arg).c_str());
    }
  }
  return a;
}

// The scenarios named (all when none is).
std::vector<Scenario> choose(const std::vector<std::string>& wanted) {
  std::vector<Scenario> all = tophash::properties::scenarios(), chosen;
  for (const std::string& w : wanted) {
    bool found = false;
    for (const Scenario& s : all) {
      if (s.name == w) {
        chosen.push_back(s);
        found = true;
      }
    }
    if (!found) usage(("no scenario " + w + " (--list names them)").c_str());
  }
  return wanted.empty() ? all : chosen;
}

std::size_t programs(const Scenario& s, unsigned depth) {
  std::size_t n = 0;
  for (const auto& inst : s.instances) n += tophash::properties::programs_at_depth(inst, depth);
  return n;
}

void list(const std::vector<Scenario>& chosen, unsigned depth, bool show) {
  for (const Scenario& s : chosen) {
    std::printf("%-18s %3zu instances, at most %zu programs at depth %u: %s\n", s.name.c_str(), s.instances.size(),
                programs(s, depth), depth, s.what.c_str());
    if (!show) continue;
    for (const auto& inst : s.instances) {
      std::printf("--- %s (then up to %u of %zu letters, then drain i0)\n%s", inst.name.c_str(), depth,
                  inst.alphabet.size(), tophash::trace::print_trace(inst.prefix).c_str());
    }
  }
}

// Every program of one scenario; false (with the report printed) at the first failure.
bool run(const Scenario& s, unsigned depth, ExhaustiveStats& total) {
  const auto t0 = std::chrono::steady_clock::now();
  ExhaustiveStats st;
  for (const auto& inst : s.instances) {
    auto failure = tophash::properties::explore(inst, depth, st, [&](std::size_t n) {
      std::fprintf(stderr, "exhaustive: %s: %zu programs, %.0f s\n", s.name.c_str(), n, seconds_since(t0));
    });
    if (failure) {
      std::printf("==== exhaustive: %s, depth %u: check failed ====\n%s", inst.name.c_str(), depth, failure->c_str());
      return false;
    }
  }
  std::printf("%-18s %8zu programs %7.1f s; of them, a growth began under an open iterator: %zu, "
              "an iterator stepped mid-growth: %zu\n",
              s.name.c_str(), st.programs, seconds_since(t0), st.iterator_saw_growth, st.iterated_while_growing);
  total.programs += st.programs;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse_args(argc, argv);
  const std::vector<Scenario> chosen = choose(a.wanted);
  if (a.list || a.show) {
    list(chosen, a.depth, a.show);
    return 0;
  }
  std::size_t planned = 0;
  for (const Scenario& s : chosen) planned += programs(s, a.depth);
  std::fprintf(stderr, "exhaustive: depth %u, %zu scenarios, at most %zu programs\n", a.depth, chosen.size(), planned);
  const auto t_all = std::chrono::steady_clock::now();
  ExhaustiveStats total;
  for (const Scenario& s : chosen) {
    if (!run(s, a.depth, total)) return 1;
  }
  std::printf("exhaustive: depth %u: %zu programs passed in %.1f s\n", a.depth, total.programs, seconds_since(t_all));
  return 0;
}
