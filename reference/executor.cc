#include "executor.h"

#include <stdexcept>
#include <utility>

#include "executor_detail.h"
#include "wide.h"

namespace tophash::reference {

using trace::KeyType;
using trace::Program;

Verdict execute(const Program& p, const ExecOptions& opt) {
  Verdict v;
  if (p.config.wide_values && p.config.keys == KeyType::kU64) {
    exec_detail::run_program<kWideValues>(p, opt, v);
    return v;
  }
  switch (p.config.keys) {
    case KeyType::kU64: exec_detail::run_program<KeyType::kU64>(p, opt, v); break;
    case KeyType::kString: exec_detail::run_program<KeyType::kString>(p, opt, v); break;
    case KeyType::kDouble: exec_detail::run_program<KeyType::kDouble>(p, opt, v); break;
    case KeyType::kCounted: exec_detail::run_program<KeyType::kCounted>(p, opt, v); break;
  }
  return v;
}

namespace {

std::unique_ptr<exec_detail::Stepper> make_stepper(const Program& p, const ExecOptions& opt, Verdict& v) {
  if (p.config.wide_values && p.config.keys == KeyType::kU64) return exec_detail::make_stepper<kWideValues>(p, opt, v);
  switch (p.config.keys) {
    case KeyType::kU64: return exec_detail::make_stepper<KeyType::kU64>(p, opt, v);
    case KeyType::kString: return exec_detail::make_stepper<KeyType::kString>(p, opt, v);
    case KeyType::kDouble: return exec_detail::make_stepper<KeyType::kDouble>(p, opt, v);
    case KeyType::kCounted: return exec_detail::make_stepper<KeyType::kCounted>(p, opt, v);
  }
  throw std::logic_error("Execution: unknown key type");
}

}  // namespace

Execution::Execution(const Program& p, const ExecOptions& opt) : p_(p), opt_(opt), run_(make_stepper(p, opt_, v_)) {}

Execution::~Execution() = default;

const Verdict& Execution::step() {
  if (stopped_) return v_;
  if (next_ >= p_.ops.size()) {
    throw std::logic_error("Execution::step: the program has " + std::to_string(p_.ops.size()) + " ops, all stepped");
  }
  if (!run_->step(next_++)) stopped_ = true;
  return v_;
}

const Verdict& Execution::finish() {
  if (stopped_) return v_;
  run_->finish();
  stopped_ = true;
  return v_;
}

std::string Execution::layout() const { return stopped_ ? std::string() : run_->layout(); }

bool Execution::inspect(Inspector& v) const { return run_->inspect(v); }

std::string describe(const Program& p, const Verdict& v) {
  if (const trace::ParseError* e = v.refusal()) return "error: line " + std::to_string(e->line) + ": " + e->what + "\n";
  const Failure* f = v.failure();
  if (f == nullptr) return "";
  std::string s = "check failed: " + f->check + "\n" + f->detail + "\n";
  if (f->op_index < p.ops.size()) {
    s += "at op " + std::to_string(f->op_index + 1) + " of " + std::to_string(p.ops.size()) + ": " +
         trace::print_op(p, p.ops[f->op_index]) + "\n";
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
  s += trace::print_trace(p, f->op_index + 1);
  s += "--- layout after the failing op ---\n";
  s += f->layout;
  if (!f->layout.empty() && f->layout.back() != '\n') s += '\n';
  return s;
}

}  // namespace tophash::reference
