// tools/viewer/go_dumps.h: the layouts in a recorded output (a trace's
// .expected file, trace/trace-format.md "Layout dump"), for the layout
// viewer's compare mode, as the viewer's JSON.
#pragma once

#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"

namespace tophash::tools::viewer {

// The dumps of a recorded output, in order, each "dump ...\n" to "end\n".
struct GoDumps {
  std::vector<std::string> text;
};

inline GoDumps read_go_dumps(std::string_view output) {
  GoDumps g;
  std::string* cur = nullptr;
  std::size_t pos = 0;
  while (pos < output.size()) {
    const std::size_t nl = output.find('\n', pos);
    const std::string_view line = output.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? output.size() : nl + 1;
    if (cur == nullptr && line.rfind("dump ", 0) == 0) cur = &g.text.emplace_back();
    if (cur == nullptr) continue;
    *cur += line;
    *cur += '\n';
    if (line == "end") cur = nullptr;
  }
  if (cur != nullptr) throw std::runtime_error("the recorded output ends inside a dump");
  return g;
}

// One chain of a dump line ("5a 01 .. | 17 . .. -> 9c .. | 42 . .."), as
// viewer_run.h's chain JSON (values are not in a dump: null).
inline std::string go_chain_json(std::istringstream& in) {
  static constexpr std::string_view kEmpty = "0000000000000000";
  std::vector<std::string> buckets;
  std::string tok;
  std::vector<std::string> ths;
  while (in >> tok) {
    std::string th;
    for (int s = 0; s < 8; ++s, in >> tok) th += tok;  // ends on the token after them
    if (tok != "|") throw std::runtime_error("a dump line without its '|'");
    std::string keys;
    for (int s = 0; s < 8 && in >> tok; ++s) keys += (s ? "," : "") + (tok == "." ? std::string("null") : json_str(tok));
    ths.push_back(th);
    buckets.push_back("[\"" + th + "\",[" + keys + "],[null,null,null,null,null,null,null,null]]");
    if (!(in >> tok)) break;
    if (tok != "->") throw std::runtime_error("a dump line with '" + tok + "' where '->' belongs");
  }
  if (buckets.size() == 1 && ths[0] == kEmpty) return "0";
  return json_array(buckets);
}

// A dump as {"h":[count,B,null,noverflow,nevacuate,growing,samesize,null],
// "n":[chains],"o":[chains]} (the header as viewer_run.h's; Go's flags
// and seed are not in a dump).
inline std::string go_layout_json(const std::string& dump) {
  std::istringstream lines(dump);
  std::string line;
  std::getline(lines, line);
  unsigned long long B = 0, count = 0, nov = 0, nev = 0, growing = 0, same = 0;
  if (std::sscanf(line.c_str(), "dump B=%llu count=%llu noverflow=%llu nevacuate=%llu growing=%llu samesize=%llu", &B,
                  &count, &nov, &nev, &growing, &same) != 6) {
    throw std::runtime_error("not a dump header: " + line);
  }
  std::vector<std::string> n, o;
  while (std::getline(lines, line) && line != "end") {
    std::istringstream in(line);
    std::string which, index;
    in >> which >> index;
    (which == "old" ? o : n).push_back(go_chain_json(in));
  }
  auto num = [](unsigned long long v) { return std::to_string(v); };
  return "{\"h\":[" + num(count) + "," + num(B) + ",null," + num(nov) + "," + num(nev) + "," + num(growing) + "," +
         num(same) + ",null],\"n\":" + json_array(n) + ",\"o\":" + json_array(o) + "}";
}

}  // namespace tophash::tools::viewer
