// bucketmap-replay: runs a trace (trace/trace-format.md, core and
// extensions) on BucketMap and prints its output.
//
//   bucketmap-replay [--check [--brief]] [--max-bytes N] FILE | -
//   bucketmap-replay --batch [--max-bytes N]
//   bucketmap-replay --html OUT.html [--expected FILE] [--max-bytes N] FILE | -
//
// --check also runs the trace in lockstep on the model with the iteration
// oracle and the invariant checker (reference/executor.h) and reports the
// first failed check on stderr: the short report every harness prints
// (reference::describe) and then the failing step in full: what the map
// and the model each gave for that op, the entries of each after it, the
// history of the op's key, and the layout before the op (the layout after
// it is in the short report). Nothing in it is cut short. --brief gives
// the short report only.
//
// --batch checks many traces in one process, for scripts (scripts/minimize
// runs thousands of candidates): standard input holds, for each trace, a
// line `trace N` and then its N bytes; for each, one line is written to
// standard output and flushed: `pass`, `fail OP CHECK` (OP is the failing
// op's number, 1-based) or `error LINE WHAT` (a bad or refused trace).
// Sanitizer reports end the process as usual (a leak is reported only at
// its exit), so failures of that kind are looked for one trace per process.
//
// --html writes the layout viewer (tools/viewer/): one self-contained page
// that steps through the trace, opening at the failing step when a check
// fails; with --expected (a recorded output, e.g. a Go trace's .expected)
// it also compares each dump with the recorded one and opens at the first
// that differs. It prints the page's path and the verdict; the exit status
// is 0 when the page was written, whatever the verdict.
//
// Exit status: 0 on success, 2 on a bad trace (`error: line N: ...` on
// stderr, after the output of the lines before it) or a usage error, 3
// when --check finds a failure.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "executor.h"
#include "replay_explain.h"
#include "viewer_page.h"

namespace {

namespace ref = tophash::reference;
namespace trace = tophash::trace;

constexpr const char* kUsage =
    "usage: bucketmap-replay [--check [--brief]] [--max-bytes N] FILE | -\n"
    "Runs a trace (FILE, or standard input for -) on the Go-compatible bucket\n"
    "map and prints its output; --check also checks it against the model, Go's\n"
    "iteration contract and the map's invariants, and explains a failure\n"
    "(--brief: only the check, the trace up to the failing op and the layout).\n"
    "       bucketmap-replay --batch [--max-bytes N]\n"
    "Checks many traces, each given on standard input as a line `trace N` and N\n"
    "bytes; prints one line for each: pass, fail OP CHECK, or error LINE WHAT.\n"
    "       bucketmap-replay --html OUT.html [--expected FILE] [--max-bytes N] FILE | -\n"
    "Writes a page that steps through the trace's layouts in a browser; --expected\n"
    "compares each dump with a recorded output's (a Go trace's .expected file).\n";

// --batch: one verdict line per trace read from standard input.
int batch(std::uint64_t max_bytes) {
  std::string header, text;
  while (std::getline(std::cin, header)) {
    unsigned long long n = 0;
    char extra = 0;
    if (std::sscanf(header.c_str(), "trace %llu%c", &n, &extra) != 1) {
      std::fprintf(stderr, "error: --batch: want a line 'trace N', got '%s'\n", header.c_str());
      return 2;
    }
    text.assign(n, '\0');
    if (!std::cin.read(text.data(), static_cast<std::streamsize>(n))) {
      std::fprintf(stderr, "error: --batch: the input ends inside a trace of %llu bytes\n", n);
      return 2;
    }
    const auto parsed = trace::parse_trace(text);
    ref::ExecOptions eo;
    eo.max_bytes = max_bytes;
    const ref::Verdict v = ref::execute(parsed.program, eo);
    if (const ref::Failure* f = v.failure()) {
      std::printf("fail %zu %s\n", f->op_index + 1, f->check.c_str());
    } else if (const auto& err = v.refusal() ? std::optional(*v.refusal()) : parsed.error) {
      std::string what = err->what;
      std::replace(what.begin(), what.end(), '\n', ' ');
      std::printf("error %u %s\n", err->line, what.c_str());
    } else {
      std::printf("pass\n");
    }
    std::fflush(stdout);
  }
  return 0;
}

struct Args {
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
  const char* path = nullptr;
  const char* html = nullptr;      // --html OUT
  const char* expected = nullptr;  // --expected FILE
  bool check = false, brief = false, batch = false;
};

// Reads the command line into `a`; returns an exit status when it is
// already decided (help, a usage error).
std::optional<int> parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--check") == 0) {
      a.check = true;
    } else if (std::strcmp(argv[i], "--batch") == 0) {
      a.batch = true;
    } else if (std::strcmp(argv[i], "--brief") == 0) {
      a.brief = true;
    } else if (std::strcmp(argv[i], "--html") == 0 && i + 1 < argc) {
      a.html = argv[++i];
    } else if (std::strcmp(argv[i], "--expected") == 0 && i + 1 < argc) {
      a.expected = argv[++i];
    } else if (std::strcmp(argv[i], "--max-bytes") == 0 && i + 1 < argc) {
      a.max_bytes = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a.path == nullptr && (argv[i][0] != '-' || std::strcmp(argv[i], "-") == 0)) {
      a.path = argv[i];
    } else {
      std::fprintf(stderr, "bucketmap-replay: unexpected argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (a.batch && a.path != nullptr) {
    std::fprintf(stderr, "bucketmap-replay: --batch reads standard input, not '%s'\n%s", a.path, kUsage);
    return 2;
  }
  if ((a.expected != nullptr && a.html == nullptr) || (a.html != nullptr && (a.batch || a.check))) {
    std::fprintf(stderr, "bucketmap-replay: --expected goes with --html, and --html with neither --batch nor --check\n%s",
                 kUsage);
    return 2;
  }
  if (!a.batch && a.path == nullptr) {
    // Not a silent wait on a terminal: standard input only when asked for.
    std::fputs(kUsage, stderr);
    return 2;
  }
  return std::nullopt;
}

// The whole of FILE, or of standard input for "-".
std::optional<std::string> read_input(const char* path) {
  std::ostringstream ss;
  if (std::strcmp(path, "-") == 0) {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "error: cannot open %s: %s\n", path, std::strerror(errno));
    return std::nullopt;
  }
  ss << f.rdbuf();
  return ss.str();
}

// Runs one trace: its output on stdout, a failure or an error on stderr.
int replay(const std::string& text, const Args& a) {
  auto parsed = trace::parse_trace(text);
  std::string out;
  ref::ExecOptions eo;
  eo.lockstep = eo.invariants = a.check;
  eo.output = &out;
  eo.max_bytes = a.max_bytes;
  const ref::Verdict v = ref::execute(parsed.program, eo);
  auto err = v.refusal() ? std::optional(*v.refusal()) : std::nullopt;
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (v.failure()) {
    std::fputs(ref::describe(parsed.program, v).c_str(), stderr);
    std::fflush(stderr);
    if (!a.brief) std::fputs(tophash::tools::explain_failure(parsed.program, v, out, a.max_bytes).c_str(), stderr);
    return 3;
  }
  if (!err && parsed.error) err = parsed.error;
  if (err) {
    std::fprintf(stderr, "error: line %u: %s\n", err->line, err->what.c_str());
    return 2;
  }
  return 0;
}

// --html: the layout viewer's page for the trace.
int write_page(const std::string& text, const Args& a) {
  auto parsed = trace::parse_trace(text);
  tophash::tools::viewer::PageOptions o;
  const std::string path = a.path;
  o.title = path == "-" ? "standard input" : path.substr(path.find_last_of('/') + 1);
  o.max_bytes = a.max_bytes;
  o.parse_error = parsed.error;
  if (a.expected != nullptr) {
    o.recorded = read_input(a.expected);
    if (!o.recorded) return 2;
  }
  std::string html;
  try {
    html = tophash::tools::viewer::page_html(parsed.program, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s%s: %s\n", a.expected ? "--expected " : "", a.expected ? a.expected : a.path, e.what());
    return 2;
  }
  std::ofstream f(a.html, std::ios::binary);
  if (!f || !f.write(html.data(), static_cast<std::streamsize>(html.size())) || !f.flush()) {
    std::fprintf(stderr, "error: cannot write %s: %s\n", a.html, std::strerror(errno));
    return 2;
  }
  std::printf("wrote %s (%zu bytes)\n", a.html, html.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (const auto status = parse_args(argc, argv, a)) return *status;
  if (a.batch) return batch(a.max_bytes);
  const auto text = read_input(a.path);
  if (!text) return 2;
  return a.html != nullptr ? write_page(*text, a) : replay(*text, a);
}
