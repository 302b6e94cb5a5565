#include "replay.h"

#include "executor.h"

namespace tophash::trace {

// The executor without the model and the checks: the map alone.
std::optional<ParseError> replay(const Program& p, std::string& out, const ReplayOptions& opt) {
  reference::ExecOptions eo;
  eo.lockstep = false;
  eo.invariants = false;
  eo.output = &out;
  eo.max_bytes = opt.max_bytes;
  const reference::Verdict v = reference::execute(p, eo);
  if (const ParseError* e = v.refusal()) return *e;
  return std::nullopt;
}

}  // namespace tophash::trace
