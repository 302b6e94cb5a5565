#include "executor.h"

#include <utility>

namespace tophash::reference {

using trace::KeyType;
using trace::Program;

// Instantiated in run_<type>.cc (executor_run.h).
template <KeyType T>
void run_program(const Program& p, const ExecOptions& opt, Verdict& v);

Verdict execute(const Program& p, const ExecOptions& opt) {
  Verdict v;
  switch (p.config.keys) {
    case KeyType::kU64: run_program<KeyType::kU64>(p, opt, v); break;
    case KeyType::kString: run_program<KeyType::kString>(p, opt, v); break;
    case KeyType::kDouble: run_program<KeyType::kDouble>(p, opt, v); break;
    case KeyType::kCounted: run_program<KeyType::kCounted>(p, opt, v); break;
  }
  return v;
}

std::string describe(const Program& p, const Verdict& v) {
  std::string s;
  if (v.error) s += "error: line " + std::to_string(v.error->line) + ": " + v.error->what + "\n";
  if (!v.failure) return s;
  const Failure& f = *v.failure;
  s += "check failed: " + f.check + "\n" + f.detail + "\n";
  if (f.op_index < p.ops.size()) {
    s += "at op " + std::to_string(f.op_index + 1) + " of " + std::to_string(p.ops.size()) + ": " +
         trace::print_op(p, p.ops[f.op_index]) + "\n";
  }
  if (v.stats.go59411 != 0) {
    s += "(" + std::to_string(v.stats.go59411) + " yields of keys removed by clear before that: golang/go#59411)\n";
  }
  const std::pair<std::size_t, const char*> deviations[] = {
      {v.stats.go_stale_array, "second yields through stale key copies after a reseed (iter_oracle.h R7, R12)"},
      {v.stats.go_filter, "entries Go 1.19's old-bucket filter let through twice or skipped (iter_oracle.h R9, R11)"},
      {v.stats.go_clear_mark, "second yields through the end mark a clear reset (iter_oracle.h R10)"},
  };
  for (const auto& [n, what] : deviations) {
    if (n != 0) s += "(before that: " + std::to_string(n) + " " + what + ")\n";
  }
  s += "--- trace up to the failing op (bucketmap-replay --check FILE) ---\n";
  s += trace::print_trace(p, f.op_index + 1);
  s += "--- layout after the failing op ---\n";
  s += f.layout;
  if (!f.layout.empty() && f.layout.back() != '\n') s += '\n';
  return s;
}

}  // namespace tophash::reference
