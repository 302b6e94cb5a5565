// trace/trace.h: the op language. A Program is what a trace says: a
// configuration (key type, hash mode) and the ops in order, each with the
// line it came from. Programs come from trace text (parse_trace), from fuzz
// bytes (fuzz/decode.h) and from generators (properties/); whatever made one,
// print_trace() writes it back as a trace that bucketmap-replay runs, so
// every failure is shown as a reproducer a person can read.
//
// The language is documented in trace/trace-format.md: a core (u64 keys
// and values, pinned hashes; all a Go recording uses) and extensions:
//   keys TYPE             header: u64 (default) | string | double | counted
//   hashing MODE ...      header: pinned (default) | real SEED | tiny N SEED
//   hash nan 0xH          (double keys) queues the hash of the next NaN hashing
//   reserve N             BucketMap::reserve(N)
//   shrink_to_fit         BucketMap::shrink_to_fit()
//   close ID              end iterator ID early (it releases what it holds)
//   drain ID              `next ID` until it reports end
//
// How keys and values are held in an Op (their "repr"), by key type:
//   u64      key: the value          value: the value
//   counted  key: the id             value: the id (a counted value)
//   double   key: the IEEE-754 bits  value: u64
//   string   key: index into Program::strings; value: index likewise
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
  kDrain,        // drain ID           (extension)
};

enum class KeyType : std::uint8_t { kU64, kString, kDouble, kCounted };
enum class HashMode : std::uint8_t {
  kPinned,  // hash(K) is what the trace pinned last ("hash K 0x...")
  kReal,    // the map's default seeded hasher; the map's random source is seeded with `seed`
  kTiny,    // only `tiny` distinct hash values (long chains, same-size growth); seeded too
};

struct Config {
  KeyType keys = KeyType::kU64;
  HashMode hashing = HashMode::kPinned;
  std::uint64_t seed = 0;  // seeds the map's random source (hash seed, reseeds, NaN hashes)
  std::uint32_t tiny = 1;  // distinct hash values in kTiny mode, >= 1

  bool operator==(const Config&) const = default;
};

struct Op {
  OpKind kind;
  std::uint64_t a = 0;     // key repr, or N
  std::uint64_t b = 0;     // value repr, hash, or START
  std::uint64_t c = 0;     // OFFSET
  std::uint32_t iter = 0;  // iterator index into Program::iter_names
  std::uint32_t line = 0;  // 1-based source line (0 when not parsed from text)

  bool operator==(const Op& o) const {
    return kind == o.kind && a == o.a && b == o.b && c == o.c && iter == o.iter;
  }
};

struct Program {
  Config config;
  std::vector<Op> ops;
  std::vector<std::string> iter_names;
  std::vector<std::string> strings;  // string keys and values (kString)

  std::uint32_t iter_index(std::string_view name);  // interns a name
  std::uint32_t string_index(std::string_view s);   // interns a string
  // The same program: config, ops (lines aside), and what their reprs name.
  bool same_as(const Program& o) const;
  void clear();  // empties it, keeping capacity (fuzz targets reuse one)
};

struct ParseError {
  std::uint32_t line = 0;
  std::string what;
};

struct ParseResult {
  Program program;                  // every op before the first error
  std::optional<ParseError> error;  // the first error, if any
};

// Largest hint (and reserve) accepted (spec: N < 2^31).
inline constexpr std::uint64_t kMaxHint = (std::uint64_t{1} << 31) - 1;
// Largest `tiny N` accepted.
inline constexpr std::uint64_t kMaxTiny = 1u << 16;

ParseResult parse_trace(std::string_view text);
std::string print_op(const Program& p, const Op& op);
// The header lines (empty for the core language's u64 keys with pinned hashes).
std::string print_header(const Program& p);
std::string print_trace(const Program& p);
// The first n ops only (with the header).
std::string print_trace(const Program& p, std::size_t n);

// Literals of the trace language, per key type.
std::string key_literal(const Program& p, std::uint64_t repr);
std::string value_literal(const Program& p, std::uint64_t repr);
std::string quote_string(std::string_view s);  // "..." with \" \\ \xHH escapes
std::string format_double(double d);           // shortest round-trip form: 1.5 -0 nan inf
const char* key_type_name(KeyType k);

}  // namespace tophash::trace
