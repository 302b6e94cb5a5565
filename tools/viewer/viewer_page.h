// tools/viewer/viewer_page.h: the layout viewer's page for a trace
// (bucketmap-replay --html): one self-contained HTML file (viewer.html,
// viewer.css, viewer.js and the data, inline) that steps through the
// program. One run of reference::Execution with every check on gives the
// verdict and, step by step, the layouts, results and iterators
// (viewer_run.h), up to the failing op; in compare mode each `dump` is
// also compared with the recorded output's.
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

// The program run once with every check on (reference::Execution), the
// recorder following each step; `every_op` checks the whole table after
// every op, so that a failure is found at its op and its state is there
// to show (Execution::inspect).
inline reference::Verdict record_run(const trace::Program& p, const PageOptions& o, bool every_op, Recorder& r) {
  reference::ExecOptions eo;
  eo.max_bytes = o.max_bytes;
  if (every_op) eo.full_check_period = 1, eo.full_check_spread = 0;
  std::string out;
  eo.output = &out;
  reference::Execution e(p, eo);
  while (!e.stopped() && e.next_op() < p.ops.size()) {
    const std::size_t i = e.next_op();
    r.before(e);
    e.step();
    if (!r.after(e, i, out)) break;
  }
  return e.finish();
}

// The verdict as the page's JSON, and how many steps the page shows: all,
// up to the failing op, or those before a refused op.
inline std::string verdict_json(const reference::Verdict& v, const PageOptions& o, std::size_t& steps) {
  if (const reference::Failure* f = v.failure()) {
    steps = f->op_index + 1;
    return "{\"outcome\":\"failed\",\"step\":" + std::to_string(steps) + ",\"check\":" + json_str(f->check) +
           ",\"detail\":" + json_str(f->detail) + "}";
  }
  const trace::ParseError* err = v.refusal() ? v.refusal() : (o.parse_error ? &*o.parse_error : nullptr);
  if (v.refusal()) steps = steps == 0 ? 0 : steps - 1;
  if (err != nullptr) {
    return "{\"outcome\":\"" + std::string(v.refusal() ? "refused" : "error") + "\",\"step\":" +
           std::to_string(steps) + ",\"check\":" + json_str("line " + std::to_string(err->line)) +
           ",\"detail\":" + json_str(err->what) + "}";
  }
  return "{\"outcome\":\"passed\",\"step\":" + std::to_string(steps) + "}";
}

// The page's data, as one JSON object (viewer.js reads it).
inline std::string page_json(const trace::Program& p, const PageOptions& o) {
  std::optional<GoDumps> go;
  if (o.recorded) go = read_go_dumps(*o.recorded);
  const GoDumps* g = go ? &*go : nullptr;
  std::optional<Recorder> r(std::in_place, p, g);
  reference::Verdict v = record_run(p, o, false, *r);
  if (const reference::Failure* f = v.failure(); f != nullptr && r->steps() <= f->op_index) {
    // Found by a later whole-table check and pinned to its op by a run
    // again: record once more, checking after every op.
    r.emplace(p, g);
    v = record_run(p, o, true, *r);
  }
  std::size_t n = r->steps();
  const std::string verdict = verdict_json(v, o, n);
  std::string ops = "[";
  for (std::size_t i = 0; i < n; ++i) ops += (i ? "," : "") + json_str(trace::print_op(p, p.ops[i]));
  return "{\"title\":" + json_str(o.title) + ",\"keys\":" + json_str(trace::key_type_name(p.config.keys)) +
         ",\"header\":" + json_str(trace::print_header(p)) + ",\"total\":" + std::to_string(p.ops.size()) +
         ",\"ops\":" + ops + "],\"verdict\":" + verdict + "," + r->json(n) + "}";
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
