// reference/trace.h: the trace language (spec/trace-format.md) as data.
//
// A Program is what a trace says: the ops in order, each with the line it
// came from. parse_trace() reads text into a Program and stops at the first
// error, keeping the ops before it (a replayer runs those, then reports the
// error); print_trace() writes a Program back as a trace. Fuzz inputs and
// generated programs become Programs too, so every failure prints as a
// trace that bucketmap-replay runs.
//
// Extensions of the core language (documented in tools/README.md):
//   reserve N        BucketMap::reserve(N)
//   shrink_to_fit    BucketMap::shrink_to_fit()
//   close ID         end iterator ID early (it releases what it holds)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tophash::trace {

enum class OpKind : std::uint8_t {
  kHint,         // hint N            (first op only)
  kPin,          // hash K 0xH
  kPut,          // put K V
  kDel,          // del K
  kGet,          // get K
  kLen,          // len
  kClear,        // clear
  kIter,         // iter ID START OFFSET
  kNext,         // next ID
  kDump,         // dump
  kReserve,      // reserve N          (extension)
  kShrinkToFit,  // shrink_to_fit      (extension)
  kClose,        // close ID           (extension)
};

struct Op {
  OpKind kind;
  std::uint64_t a = 0;     // key, or N
  std::uint64_t b = 0;     // value, hash, or START
  std::uint64_t c = 0;     // OFFSET
  std::uint32_t iter = 0;  // iterator index into Program::iter_names
  std::uint32_t line = 0;  // 1-based source line (0 when not parsed from text)
};

struct Program {
  std::vector<Op> ops;
  std::vector<std::string> iter_names;
  std::uint32_t iter_index(std::string_view name);  // interns a name
};

struct ParseError {
  std::uint32_t line = 0;
  std::string what;
};

struct ParseResult {
  Program program;                  // every op before the first error
  std::optional<ParseError> error;  // the first error, if any
};

// Largest hint accepted (spec: N < 2^31).
inline constexpr std::uint64_t kMaxHint = (std::uint64_t{1} << 31) - 1;

ParseResult parse_trace(std::string_view text);
std::string print_op(const Program& p, const Op& op);
std::string print_trace(const Program& p);

}  // namespace tophash::trace
