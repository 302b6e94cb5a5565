// fuzz-decode: prints the Program a fuzz input decodes to, as a trace.
//
//   fuzz-decode TARGET FILE...          print each file's trace
//   fuzz-decode --check TARGET PATH...  for every file (a directory stands
//                                       for the files in it): the printed
//                                       trace parses back to the same
//                                       program and passes the lockstep
//                                       checks (exit 1 if not)
//   fuzz-decode --stats TARGET PATH...  for every file: what its run reached
//                                       (ops, largest B, growth, same-size
//                                       growth, iteration during growth)
//
// TARGET is a fuzz target name (fuzz/targets.h); for "trace" the input is
// already a trace and is printed as parsed.
#include <algorithm>
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

// A --stats line's verdict: ok, the failed check's name, or "refused".
const char* outcome_name(const tophash::reference::Verdict& v) {
  if (const auto* f = v.failure()) return f->check.c_str();
  return v.passed() ? "ok" : "refused";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tophash;
  int i = 1;
  bool check = false, stats = false;
  if (i < argc && std::strcmp(argv[i], "--check") == 0) {
    check = true;
    ++i;
  } else if (i < argc && std::strcmp(argv[i], "--stats") == 0) {
    stats = true;
    ++i;
  }
  if (argc - i < 2) {
    std::fprintf(stderr, "usage: fuzz-decode [--check | --stats] TARGET FILE...\n");
    return 2;
  }
  const std::string target = argv[i++];
  const auto opt = fuzz::options_for(target);
  if (!opt && target != "trace") {
    std::fprintf(stderr, "fuzz-decode: unknown target '%s'\n", target.c_str());
    return 2;
  }
  std::vector<std::string> files;
  for (; i < argc; ++i) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(argv[i], ec)) {
      for (const auto& e : fs::directory_iterator(argv[i])) {
        const std::string name = e.path().filename().string();
        if (e.is_regular_file() && name.find('.') == std::string::npos) files.push_back(e.path().string());
      }
    } else {
      files.push_back(argv[i]);
    }
  }
  std::sort(files.begin(), files.end());
  int bad = 0;
  for (const std::string& file : files) {
    std::ifstream f(file, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "fuzz-decode: cannot open %s\n", file.c_str());
      return 2;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string bytes = ss.str();
    trace::Program p = opt ? fuzz::decode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), *opt)
                           : trace::parse_trace(bytes).program;
    const std::string text = trace::print_trace(p);
    if (stats) {
      const reference::Verdict v = reference::execute(p);
      const auto& st = v.stats;
      std::printf("%s: %s ops=%zu maxB=%u grew=%d samesize=%d iter_saw_growth=%d iter_while_growing=%d go59411=%zu go_stale_array=%zu go_filter=%zu go_clear_mark=%zu\n",
                  file.c_str(), outcome_name(v), st.ops, st.max_B, st.grew, st.same_size_grew,
                  st.iterator_saw_growth, st.iterated_while_growing, st.go59411, st.go_stale_array, st.go_filter,
                  st.go_clear_mark);
      continue;
    }
    if (!check) {
      std::fputs(text.c_str(), stdout);
      continue;
    }
    const trace::ParseResult back = trace::parse_trace(text);
    if (back.error || !back.program.same_as(p)) {
      std::fprintf(stderr, "%s: the printed trace does not parse back to the same program\n", file.c_str());
      ++bad;
      continue;
    }
    const reference::Verdict v = reference::execute(back.program);
    if (!v.passed()) {
      std::fprintf(stderr, "%s:\n%s", file.c_str(), reference::describe(back.program, v).c_str());
      ++bad;
    }
  }
  if (check) std::printf("fuzz-decode: %d of %zu inputs failed\n", bad, files.size());
  return bad == 0 ? 0 : 1;
}
