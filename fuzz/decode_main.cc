// fuzz-decode: prints the Program a fuzz input decodes to, as a trace.
//
//   fuzz-decode TARGET FILE...          print each file's trace
//   fuzz-decode --check TARGET PATH...  for every file (a directory stands
//                                       for the files in it): the printed
//                                       trace parses back to the same
//                                       program and passes the lockstep
//                                       checks (exit 1 if not); an input
//                                       listed in corpus/decoded-programs.txt
//                                       (found above its directory) still
//                                       decodes to the program listed there
//   fuzz-decode --stats TARGET PATH...  for every file: what its run reached
//                                       (ops, largest B, growth, same-size
//                                       growth, iteration during growth)
//
// TARGET is a fuzz target name (fuzz/targets.h); for "trace" the input is
// already a trace and is printed as parsed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>
#include <fstream>
#include <sstream>
#include <string>

#include "executor.h"
#include "targets.h"
#include "trace.h"

namespace {

using namespace tophash;

enum class Mode { kPrint, kCheck, kStats };

// A --stats line's verdict: ok, the failed check's name, or "refused".
const char* outcome_name(const reference::Verdict& v) {
  if (const auto* f = v.failure()) return f->check.c_str();
  return v.passed() ? "ok" : "refused";
}

// The files named on the command line; a directory stands for the files
// in it (those without a dot: libFuzzer's inputs, not notes).
std::vector<std::string> input_files(char** first, char** last) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (; first != last; ++first) {
    std::error_code ec;
    if (!fs::is_directory(*first, ec)) {
      files.push_back(*first);
      continue;
    }
    for (const auto& e : fs::directory_iterator(*first)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.find('.') == std::string::npos) files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool read_bytes(const std::string& file, std::string& bytes) {
  std::ifstream f(file, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  bytes = ss.str();
  return true;
}

void print_stats(const std::string& file, const trace::Program& p) {
  const reference::Verdict v = reference::execute(p);
  const auto& st = v.stats;
  std::printf("%s: %s ops=%zu maxB=%u grew=%d samesize=%d iter_saw_growth=%d iter_while_growing=%d go59411=%zu "
              "go_stale_array=%zu go_filter=%zu go_clear_mark=%zu\n",
              file.c_str(), outcome_name(v), st.ops, st.max_B, st.grew, st.same_size_grew, st.iterator_saw_growth,
              st.iterated_while_growing, st.go59411, st.go_stale_array, st.go_filter, st.go_clear_mark);
}

// --check: the printed trace parses back to the same program, which passes.
bool check_round_trip(const std::string& file, const trace::Program& p) {
  const trace::ParseResult back = trace::parse_trace(trace::print_trace(p));
  if (back.error || !back.program.same_as(p)) {
    std::fprintf(stderr, "%s: the printed trace does not parse back to the same program\n", file.c_str());
    return false;
  }
  const reference::Verdict v = reference::execute(back.program);
  if (v.passed()) return true;
  std::fprintf(stderr, "%s:\n%s", file.c_str(), reference::describe(back.program, v).c_str());
  return false;
}

// FNV-1a 64, as corpus/decoded-programs.txt records a printed trace.
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// --check: an input decodes to the program corpus/decoded-programs.txt
// recorded for it (decoding keeps the meaning of old inputs).
bool check_pinned(const std::string& file, const std::string& target, const trace::Program& p) {
  namespace fs = std::filesystem;
  fs::path dir = fs::absolute(fs::path(file)).parent_path();
  for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
    std::ifstream list(dir / "decoded-programs.txt");
    if (!list) continue;
    const std::string rel = fs::relative(fs::absolute(fs::path(file)), dir).generic_string();
    std::string t, path, digest;
    while (list >> t) {
      if (t[0] == '#') {
        std::getline(list, t);
        continue;
      }
      list >> path >> digest;
      if (t != target || path != rel) continue;
      char want[17];
      std::snprintf(want, sizeof want, "%016llx", static_cast<unsigned long long>(fnv1a(trace::print_trace(p))));
      if (digest == want) return true;
      std::fprintf(stderr, "%s: decodes to another program than %s records (an old input changed meaning)\n",
                   file.c_str(), (dir / "decoded-programs.txt").string().c_str());
      return false;
    }
    return true;  // not listed: a newer input
  }
  return true;
}

int usage() {
  std::fprintf(stderr, "usage: fuzz-decode [--check | --stats] TARGET FILE...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int i = 1;
  Mode mode = Mode::kPrint;
  if (i < argc && std::strcmp(argv[i], "--check") == 0) {
    mode = Mode::kCheck;
    ++i;
  } else if (i < argc && std::strcmp(argv[i], "--stats") == 0) {
    mode = Mode::kStats;
    ++i;
  }
  if (argc - i < 2) return usage();
  const std::string target = argv[i++];
  const auto opt = fuzz::options_for(target);
  if (!opt && target != "trace") {
    std::fprintf(stderr, "fuzz-decode: unknown target '%s'\n", target.c_str());
    return 2;
  }
  const std::vector<std::string> files = input_files(argv + i, argv + argc);
  int bad = 0;
  for (const std::string& file : files) {
    std::string bytes;
    if (!read_bytes(file, bytes)) {
      std::fprintf(stderr, "fuzz-decode: cannot open %s\n", file.c_str());
      return 2;
    }
    const trace::Program p = opt ? fuzz::decode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), *opt)
                                 : trace::parse_trace(bytes).program;
    if (mode == Mode::kStats) {
      print_stats(file, p);
    } else if (mode == Mode::kPrint) {
      std::fputs(trace::print_trace(p).c_str(), stdout);
    } else if (!check_round_trip(file, p) || (opt && !check_pinned(file, target, p))) {
      ++bad;
    }
  }
  if (mode == Mode::kCheck) std::printf("fuzz-decode: %d of %zu inputs failed\n", bad, files.size());
  return bad == 0 ? 0 : 1;
}
