// tools/viewer/viewer_page.h: the layout viewer's page for a trace
// (bucketmap-replay --html): one self-contained HTML file (viewer.html,
// viewer.css, viewer.js and the data, inline) that steps through the
// program. The verdict comes from reference::Execution with every check
// on; the layouts, results and iterators from a replay on the map alone
// (viewer_run.h) over the same ops, up to the failing op; in compare mode
// each `dump` is also compared with the recorded output's.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "executor.h"
#include "go_dumps.h"
#include "json.h"
#include "trace.h"
#include "viewer_assets.h"
#include "viewer_run.h"

namespace tophash::tools::viewer {

struct PageOptions {
  std::string title;                      // the trace's name
  std::optional<std::string> recorded;    // a recorded output (.expected): compare mode
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
  std::optional<trace::ParseError> parse_error;  // the trace's, if it has one
};

// The verdict of every check on p, and how many ops the page steps
// through: all, up to the failing op, or those before a refused op.
inline std::string verdict_json(const trace::Program& p, const PageOptions& o, std::size_t& steps) {
  reference::ExecOptions eo;
  eo.max_bytes = o.max_bytes;
  reference::Execution e(p, eo);
  while (!e.stopped() && e.next_op() < p.ops.size()) e.step();
  const reference::Verdict& v = e.finish();
  steps = e.next_op();
  if (const reference::Failure* f = v.failure()) {
    steps = f->op_index + 1;
    return "{\"outcome\":\"failed\",\"step\":" + std::to_string(steps) + ",\"check\":" + json_str(f->check) +
           ",\"detail\":" + json_str(f->detail) + "}";
  }
  const trace::ParseError* err = v.refusal() ? v.refusal() : (o.parse_error ? &*o.parse_error : nullptr);
  if (v.refusal()) steps = e.next_op() - 1;
  if (err != nullptr) {
    return "{\"outcome\":\"" + std::string(v.refusal() ? "refused" : "error") + "\",\"step\":" +
           std::to_string(steps) + ",\"check\":" + json_str("line " + std::to_string(err->line)) +
           ",\"detail\":" + json_str(err->what) + "}";
  }
  return "{\"outcome\":\"passed\",\"step\":" + std::to_string(steps) + "}";
}

template <trace::KeyType T>
std::string run_json(const trace::Program& p, std::size_t n, const GoDumps* go) {
  std::string steps, compares;
  ViewerRun<T> r(p);
  r.run(n, go, steps, compares);
  std::string s = "\"steps\":[" + steps + "],\"iters\":" + r.instances_json();
  if (go != nullptr) s += ",\"go\":{\"dumps\":" + std::to_string(go->text.size()) + ",\"cmp\":[" + compares + "]}";
  return s;
}

// The page's data, as one JSON object (viewer.js reads it).
inline std::string page_json(const trace::Program& p, const PageOptions& o) {
  std::size_t n = 0;
  const std::string verdict = verdict_json(p, o, n);
  std::optional<GoDumps> go;
  if (o.recorded) go = read_go_dumps(*o.recorded);
  const GoDumps* g = go ? &*go : nullptr;
  std::string ops = "[";
  for (std::size_t i = 0; i < n; ++i) ops += (i ? "," : "") + json_str(trace::print_op(p, p.ops[i]));
  std::string s = "{\"title\":" + json_str(o.title) + ",\"keys\":" + json_str(trace::key_type_name(p.config.keys)) +
                  ",\"header\":" + json_str(trace::print_header(p)) + ",\"total\":" + std::to_string(p.ops.size()) +
                  ",\"ops\":" + ops + "],\"verdict\":" + verdict + ",";
  switch (p.config.keys) {
    case trace::KeyType::kU64: s += run_json<trace::KeyType::kU64>(p, n, g); break;
    case trace::KeyType::kString: s += run_json<trace::KeyType::kString>(p, n, g); break;
    case trace::KeyType::kDouble: s += run_json<trace::KeyType::kDouble>(p, n, g); break;
    case trace::KeyType::kCounted: s += run_json<trace::KeyType::kCounted>(p, n, g); break;
  }
  return s + "}";
}

// The whole page.
inline std::string page_html(const trace::Program& p, const PageOptions& o) {
  std::string html(kViewerHtml);
  auto put = [&html](std::string_view mark, const std::string& what) {
    const std::size_t at = html.find(mark);
    if (at == std::string::npos) throw std::logic_error("viewer.html has no " + std::string(mark));
    html.replace(at, mark.size(), what);
  };
  put("/*VIEWER_STYLE*/", std::string(kViewerCss));
  put("/*VIEWER_SCRIPT*/", std::string(kViewerJs));
  std::string title;
  for (char c : o.title.empty() ? std::string("trace") : o.title) {
    title += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  }
  put("/*VIEWER_TITLE*/", title);
  put("/*VIEWER_DATA*/", page_json(p, o));
  return html;
}

}  // namespace tophash::tools::viewer
