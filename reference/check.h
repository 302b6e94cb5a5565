// reference/check.h: how the harness's checks fail. A failed check throws
// CheckFailure; the executor catches it while the map is still alive, so
// the failure report can show the layout at the failing step.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace tophash::reference {

struct CheckFailure {
  std::string check;   // which check: a short stable name, e.g. "invariant: emptyRest"
  std::string detail;  // what was seen
};

[[noreturn]] inline void fail(std::string check, std::string detail) {
  throw CheckFailure{std::move(check), std::move(detail)};
}

// fail_with(check, parts...): fails with the parts concatenated, the
// message built out of line, only when the check has failed. Checks run
// after every op, and under ASan every std::string temporary a function
// might build gives its stack frame a redzone that is poisoned and
// cleared on every call, taken or not: a check whose message was built
// inline cost kilobytes of shadow writes per call. The parts are passed by
// value in registers: string literals, string_views, integers (printed in
// decimal; bools as 0 or 1), and small callables that append to the
// message (a lambda capturing at most two words, for what needs the
// program or a formatter: a key literal, a where()).
namespace check_detail {
inline void append(std::string& s, const char* p) { s += p; }
inline void append(std::string& s, std::string_view p) { s += p; }
template <class T>
  requires std::is_integral_v<T>
void append(std::string& s, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    s += v ? "1" : "0";
  } else {
    s += std::to_string(v);
  }
}
template <class F>
  requires std::is_invocable_v<const F&, std::string&>
void append(std::string& s, const F& f) {
  f(s);
}
}  // namespace check_detail

template <class... Parts>
[[noreturn, gnu::noinline, gnu::cold]] void fail_with(const char* check, Parts... parts) {
  std::string detail;
  (check_detail::append(detail, parts), ...);
  fail(check, std::move(detail));
}

}  // namespace tophash::reference
