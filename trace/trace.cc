#include "trace.h"

#include "tophash/layout.h"

#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <unordered_set>

namespace tophash::trace {

std::uint32_t Program::iter_index(std::string_view name) {
  for (std::uint32_t i = 0; i < iter_names.size(); ++i) {
    if (iter_names[i] == name) return i;
  }
  iter_names.emplace_back(name);
  return static_cast<std::uint32_t>(iter_names.size() - 1);
}

std::uint32_t Program::string_index(std::string_view s) {
  // Linear: programs hold few distinct strings, and fuzz decoding interns
  // through its own table (fuzz/decode.cc).
  for (std::uint32_t i = 0; i < strings.size(); ++i) {
    if (strings[i] == s) return i;
  }
  strings.emplace_back(s);
  return static_cast<std::uint32_t>(strings.size() - 1);
}

void Program::clear() {
  config = Config{};
  ops.clear();
  iter_names.clear();
  strings.clear();
}

bool Program::same_as(const Program& o) const {
  if (!(config == o.config) || ops.size() != o.ops.size()) return false;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& x = ops[i];
    const Op& y = o.ops[i];
    if (x.kind != y.kind) return false;
    if (print_op(*this, x) != print_op(o, y)) return false;
  }
  return true;
}

const char* key_type_name(KeyType k) {
  switch (k) {
    case KeyType::kU64: return "u64";
    case KeyType::kString: return "string";
    case KeyType::kDouble: return "double";
    case KeyType::kCounted: return "counted";
  }
  return "?";
}

// One formatting of keys for traces and dumps: tophash::format_key.
std::string format_double(double d) { return format_key(d); }

std::string quote_string(std::string_view s) { return format_key(s); }

namespace {

std::string literal(const Program& p, std::uint64_t repr, bool is_key) {
  switch (p.config.keys) {
    case KeyType::kU64:
    case KeyType::kCounted: return std::to_string(repr);
    case KeyType::kDouble:
      if (is_key) return format_double(std::bit_cast<double>(repr));
      return std::to_string(repr);
    case KeyType::kString: return repr < p.strings.size() ? quote_string(p.strings[repr]) : "\"?\"";
  }
  return "?";
}

}  // namespace

std::string key_literal(const Program& p, std::uint64_t repr) { return literal(p, repr, true); }
std::string value_literal(const Program& p, std::uint64_t repr) { return literal(p, repr, false); }

namespace {

bool parse_decimal(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool parse_hash(std::string_view s, std::uint64_t& out) {
  if (s.size() != 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
  std::string_view digits = s.substr(2);
  for (char c : digits) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out, 16);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

// A double literal: what format_double prints (and any other decimal
// form from_chars reads). NaNs are canonical quiet NaNs, keeping the sign.
bool parse_double(std::string_view s, std::uint64_t& bits) {
  if (s.empty() || s.size() > 64) return false;
  if (s == "nan" || s == "-nan") {
    double d = std::numeric_limits<double>::quiet_NaN();
    bits = std::bit_cast<std::uint64_t>(s[0] == '-' ? -d : d);
    return true;
  }
  for (char c : s) {  // decimal forms only (from_chars also reads nan(...) and hex-free "infinity")
    bool ok = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+' ||
              c == 'i' || c == 'n' || c == 'f';
    if (!ok) return false;
  }
  double d = 0;
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || ptr != s.data() + s.size() || std::isnan(d)) return false;
#else
  // libc++ before LLVM 20 (OSS-Fuzz's toolchain) has no floating-point
  // from_chars: strtod with from_chars' rules (no '+', range errors fail).
  if (s[0] == '+') return false;
  const std::string text(s);
  char* end = nullptr;
  errno = 0;
  d = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || std::isnan(d)) return false;
  if (errno == ERANGE && (std::isinf(d) || d == 0)) return false;
#endif
  bits = std::bit_cast<std::uint64_t>(d);
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A quoted string literal, the whole token.
bool parse_string(std::string_view s, std::string& out) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  out.clear();
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c == '"') return false;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 2 >= s.size()) return false;
    char e = s[++i];
    if (e == '"' || e == '\\') {
      out += e;
    } else if (e == 'x') {
      if (i + 3 >= s.size()) return false;
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      return false;
    }
  }
  return true;
}

std::string clip(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

// Splits a line at single spaces. A token that starts with '"' runs to its
// closing quote (string literals may hold escaped quotes).
std::optional<std::string> tokenize(std::string_view line, std::vector<std::string_view>& tok) {
  tok.clear();
  std::size_t pos = 0;
  for (;;) {
    std::size_t end;
    if (pos < line.size() && line[pos] == '"') {
      end = pos + 1;
      while (end < line.size() && line[end] != '"') end += line[end] == '\\' ? 2 : 1;
      if (end >= line.size()) return "unterminated string literal";
      ++end;
      if (end < line.size() && line[end] != ' ') return "a string literal must be followed by a space or the end of the line";
    } else {
      end = line.find(' ', pos);
      if (end == std::string_view::npos) end = line.size();
    }
    std::string_view t = line.substr(pos, end - pos);
    if (t.empty()) return "tokens must be separated by single spaces";
    tok.push_back(t);
    if (end == line.size()) return std::nullopt;
    pos = end + 1;
    if (pos == line.size()) return "tokens must be separated by single spaces";
  }
}

// Pins are per key as the map sees keys: -0 and +0 are one key.
std::uint64_t pin_repr(KeyType k, std::uint64_t repr) {
  if (k == KeyType::kDouble && repr == (std::uint64_t{1} << 63)) return 0;
  return repr;
}

bool is_nan_repr(KeyType k, std::uint64_t repr) {
  return k == KeyType::kDouble && std::isnan(std::bit_cast<double>(repr));
}

using Error = std::optional<std::string>;

// One parser per kind of line; `parse` picks the one the first token names.
class LineParser {
 public:
  explicit LineParser(Program& p) : p_(p) {}

  // Parses one non-blank, non-comment line; returns an error text or nothing.
  Error parse(std::string_view line, std::uint32_t lineno) {
    if (auto e = tokenize(line, tok_)) return e;
    const std::string_view name = tok_[0];
    if (name == "keys" || name == "hashing" || name == "values") {
      if (!p_.ops.empty()) return "'" + std::string(name) + "' must come before every operation";
      return name == "keys" ? keys_line() : name == "values" ? values_line() : hashing_line();
    }
    for (const Syntax& s : kSyntax) {
      if (name != s.name) continue;
      Op op{s.kind};
      op.line = lineno;
      if (auto e = (this->*s.parse)(op)) return e;
      p_.ops.push_back(op);
      return std::nullopt;
    }
    return "unknown operation '" + clip(name) + "'";
  }

 private:
  struct Syntax {
    std::string_view name;
    OpKind kind;
    Error (LineParser::*parse)(Op&);
  };
  static const Syntax kSyntax[27];

  // ---- header lines ----

  Error keys_line() {
    if (seen_keys_) return std::string("'keys' given twice");
    if (auto e = arity(1)) return e;
    seen_keys_ = true;
    const std::string_view t = tok_[1];
    if (t == "u64") p_.config.keys = KeyType::kU64;
    else if (t == "string") p_.config.keys = KeyType::kString;
    else if (t == "double") p_.config.keys = KeyType::kDouble;
    else if (t == "counted") p_.config.keys = KeyType::kCounted;
    else return "unknown key type '" + clip(t) + "' (want u64, string, double or counted)";
    if (p_.config.wide_values && p_.config.keys != KeyType::kU64) return std::string("'values wide' needs keys u64");
    return std::nullopt;
  }

  Error values_line() {
    if (p_.config.wide_values) return std::string("'values' given twice");
    if (auto e = arity(1)) return e;
    if (tok_[1] != "wide") return "unknown value type '" + clip(tok_[1]) + "' (want wide)";
    if (p_.config.keys != KeyType::kU64) return std::string("'values wide' needs keys u64");
    p_.config.wide_values = true;
    return std::nullopt;
  }

  Error hashing_line() {
    if (seen_hashing_) return std::string("'hashing' given twice");
    seen_hashing_ = true;
    const std::string_view t = tok_.size() > 1 ? tok_[1] : std::string_view();
    Config c = p_.config;  // committed only when the whole line is good
    Error e;
    if (t == "pinned") {
      if ((e = arity(1))) return e;
      c.hashing = HashMode::kPinned;
    } else if (t == "real") {
      if ((e = arity(2)) || (e = number(2, c.seed, "seed"))) return e;
      c.hashing = HashMode::kReal;
    } else if (t == "tiny") {
      std::uint64_t n = 0;
      if ((e = arity(3)) || (e = number(2, n, "tiny count")) || (e = number(3, c.seed, "seed"))) return e;
      if (n == 0 || n > kMaxTiny) return "tiny count " + std::to_string(n) + " out of range (1 to 65536)";
      c.hashing = HashMode::kTiny;
      c.tiny = static_cast<std::uint32_t>(n);
    } else {
      return "unknown hashing '" + clip(t) + "' (want pinned, real SEED or tiny N SEED)";
    }
    p_.config = c;
    return std::nullopt;
  }

  // ---- operations ----

  Error hint(Op& op) {
    Error e;
    if ((e = arity(1)) || (e = number(1, op.a, "hint"))) return e;
    if (!p_.ops.empty()) return std::string("'hint' must be the first operation");
    if (op.a > kMaxHint) return "hint " + std::to_string(op.a) + " out of range (must be below 2^31)";
    return std::nullopt;
  }

  Error pin(Op& op) {
    Error e;
    if ((e = arity(2)) || (e = typed(1, op.a, "key", true))) return e;
    if (!parse_hash(tok_[2], op.b)) return "bad hash '" + clip(tok_[2]) + "' (want 0x and 16 hex digits)";
    pinned_.insert(pin_repr(p_.config.keys, op.a));
    return std::nullopt;
  }

  Error put(Op& op) {
    Error e;
    if ((e = arity(2)) || (e = pinned_key(1, op)) || (e = typed(2, op.b, "value", false))) return e;
    return std::nullopt;
  }

  Error keyed(Op& op) {  // del K, get K
    Error e;
    if ((e = arity(1)) || (e = pinned_key(1, op))) return e;
    return std::nullopt;
  }

  Error bare(Op&) { return arity(0); }  // len, clear, dump, shrink_to_fit

  Error iter(Op& op) {
    Error e;
    if ((e = arity(3)) || (e = number(2, op.b, "start")) || (e = number(3, op.c, "offset"))) return e;
    op.iter = p_.iter_index(tok_[1]);
    declared_.insert(op.iter);
    return std::nullopt;
  }

  Error iter_step(Op& op) {  // next ID, close ID, drain ID
    Error e;
    if ((e = arity(1)) || (e = declared_iter(1, op))) return e;
    return std::nullopt;
  }

  Error reserve(Op& op) {
    Error e;
    if ((e = arity(1)) || (e = number(1, op.a, "count"))) return e;
    if (op.a > kMaxHint) return "reserve " + std::to_string(op.a) + " out of range (must be below 2^31)";
    return std::nullopt;
  }

  // ---- the C++ API beyond Go's map ----

  Error erase_if(Op& op) {
    const std::string_view t = tok_.size() > 1 ? tok_[1] : std::string_view();
    Error e;
    if (t == "none" || t == "all" || t == "nan") {
      if ((e = arity(1))) return e;
      op.a = static_cast<std::uint64_t>(t == "none" ? ErasePred::kNone : t == "all" ? ErasePred::kAll : ErasePred::kNaN);
      return std::nullopt;
    }
    if (t == "mod") {
      if ((e = arity(3)) || (e = number(2, op.b, "modulus")) || (e = number(3, op.c, "residue"))) return e;
      if (op.b == 0) return std::string("modulus 0 (want 1 or more)");
      op.a = static_cast<std::uint64_t>(ErasePred::kMod);
      return std::nullopt;
    }
    if (t == "values") {
      if ((e = arity(3)) || (e = number(2, op.b, "low value")) || (e = number(3, op.c, "high value"))) return e;
      op.a = static_cast<std::uint64_t>(ErasePred::kValues);
      return std::nullopt;
    }
    return "unknown erase_if predicate '" + clip(t) + "' (want none, all, nan, mod N R or values LO HI)";
  }

  Error map_slot(Op& op) {  // copy N, move N, swap N, use N
    Error e;
    if ((e = arity(1)) || (e = number(1, op.a, "map"))) return e;
    if (op.a >= kMaxMaps) return "map " + std::to_string(op.a) + " out of range (0 to " + std::to_string(kMaxMaps - 1) + ")";
    return std::nullopt;
  }

  Error index(Op& op) {
    if (auto e = keyed(op)) return e;
    op.b = default_value_repr(p_);
    return std::nullopt;
  }

  // ---- arguments ----

  Error arity(std::size_t n) const {
    if (tok_.size() == n + 1) return std::nullopt;
    return "'" + clip(tok_[0]) + "' takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ", got " +
           std::to_string(tok_.size() - 1);
  }

  Error number(std::size_t i, std::uint64_t& out, const char* what) const {
    if (parse_decimal(tok_[i], out)) return std::nullopt;
    return std::string("bad ") + what + " '" + clip(tok_[i]) + "' (want an unsigned 64-bit decimal integer)";
  }

  // A key or value literal of the program's key type (trace.h: its repr).
  Error typed(std::size_t i, std::uint64_t& out, const char* what, bool is_key) {
    const KeyType k = p_.config.keys;
    if (k == KeyType::kU64 || k == KeyType::kCounted || (k == KeyType::kDouble && !is_key)) {
      return number(i, out, what);
    }
    if (k == KeyType::kDouble) {
      if (parse_double(tok_[i], out)) return std::nullopt;
      return std::string("bad ") + what + " '" + clip(tok_[i]) + "' (want a decimal number, nan or inf)";
    }
    if (!parse_string(tok_[i], scratch_)) {
      return std::string("bad ") + what + " '" + clip(tok_[i]) + "' (want a quoted string, escapes \\\" \\\\ \\xHH)";
    }
    out = p_.string_index(scratch_);
    return std::nullopt;
  }

  Error pinned_key(std::size_t i, Op& op) {
    if (auto e = typed(i, op.a, "key", true)) return e;
    if (p_.config.hashing == HashMode::kPinned && !is_nan_repr(p_.config.keys, op.a) &&
        !pinned_.count(pin_repr(p_.config.keys, op.a))) {
      std::string k = key_literal(p_, op.a);
      return "key " + k + " has no pinned hash (add 'hash " + k + " 0x...' before it)";
    }
    return std::nullopt;
  }

  Error declared_iter(std::size_t i, Op& op) const {
    for (std::uint32_t k = 0; k < p_.iter_names.size(); ++k) {
      if (p_.iter_names[k] == tok_[i] && declared_.count(k)) {
        op.iter = k;
        return std::nullopt;
      }
    }
    return "iterator '" + clip(tok_[i]) + "' was not declared (use 'iter " + clip(tok_[i]) + " START OFFSET')";
  }

  Program& p_;
  std::unordered_set<std::uint64_t> pinned_;
  std::unordered_set<std::uint32_t> declared_;
  std::vector<std::string_view> tok_;
  std::string scratch_;
  bool seen_keys_ = false, seen_hashing_ = false;
};

const LineParser::Syntax LineParser::kSyntax[27] = {
    {"hint", OpKind::kHint, &LineParser::hint},
    {"hash", OpKind::kPin, &LineParser::pin},
    {"put", OpKind::kPut, &LineParser::put},
    {"del", OpKind::kDel, &LineParser::keyed},
    {"get", OpKind::kGet, &LineParser::keyed},
    {"len", OpKind::kLen, &LineParser::bare},
    {"clear", OpKind::kClear, &LineParser::bare},
    {"dump", OpKind::kDump, &LineParser::bare},
    {"shrink_to_fit", OpKind::kShrinkToFit, &LineParser::bare},
    {"iter", OpKind::kIter, &LineParser::iter},
    {"next", OpKind::kNext, &LineParser::iter_step},
    {"close", OpKind::kClose, &LineParser::iter_step},
    {"drain", OpKind::kDrain, &LineParser::iter_step},
    {"reserve", OpKind::kReserve, &LineParser::reserve},
    {"erase_if", OpKind::kEraseIf, &LineParser::erase_if},
    {"del_at", OpKind::kDelAt, &LineParser::iter_step},
    {"copy", OpKind::kCopy, &LineParser::map_slot},
    {"move", OpKind::kMove, &LineParser::map_slot},
    {"swap", OpKind::kSwap, &LineParser::map_slot},
    {"use", OpKind::kUse, &LineParser::map_slot},
    {"try_emplace", OpKind::kTryEmplace, &LineParser::put},
    {"insert_or_assign", OpKind::kInsertOrAssign, &LineParser::put},
    {"index", OpKind::kIndex, &LineParser::index},
    {"at", OpKind::kAt, &LineParser::keyed},
    {"find", OpKind::kFind, &LineParser::keyed},
    {"count", OpKind::kCount, &LineParser::keyed},
    {"contains", OpKind::kContains, &LineParser::keyed},
};

}  // namespace

ParseResult parse_trace(std::string_view text) {
  ParseResult r;
  LineParser lp(r.program);
  std::uint32_t lineno = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(' ') == std::string_view::npos || line[0] == '#') continue;
    if (line.find('\0') != std::string_view::npos) {
      r.error = ParseError{lineno, "line contains a NUL byte"};
      return r;
    }
    if (auto err = lp.parse(line, lineno)) {
      r.error = ParseError{lineno, *err};
      return r;
    }
  }
  return r;
}

namespace {

std::string print_erase_pred(const Op& op) {
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  switch (static_cast<ErasePred>(op.a)) {
    case ErasePred::kNone: return "none";
    case ErasePred::kAll: return "all";
    case ErasePred::kNaN: return "nan";
    case ErasePred::kMod: return "mod " + n(op.b) + " " + n(op.c);
    case ErasePred::kValues: return "values " + n(op.b) + " " + n(op.c);
  }
  return "?";
}

// The C++ API's ops (print_op's other half).
std::string print_api_op(const Program& p, const Op& op) {
  const std::string id = op.iter < p.iter_names.size() ? p.iter_names[op.iter] : "?";
  const std::string k = key_literal(p, op.a);
  switch (op.kind) {
    case OpKind::kEraseIf: return "erase_if " + print_erase_pred(op);
    case OpKind::kDelAt: return "del_at " + id;
    case OpKind::kCopy: return "copy " + std::to_string(op.a);
    case OpKind::kMove: return "move " + std::to_string(op.a);
    case OpKind::kSwap: return "swap " + std::to_string(op.a);
    case OpKind::kUse: return "use " + std::to_string(op.a);
    case OpKind::kTryEmplace: return "try_emplace " + k + " " + value_literal(p, op.b);
    case OpKind::kInsertOrAssign: return "insert_or_assign " + k + " " + value_literal(p, op.b);
    case OpKind::kIndex: return "index " + k;
    case OpKind::kAt: return "at " + k;
    case OpKind::kFind: return "find " + k;
    case OpKind::kCount: return "count " + k;
    case OpKind::kContains: return "contains " + k;
    default: return "?";
  }
}

}  // namespace

std::uint64_t string_number(std::string_view s) {
  std::uint64_t n = 0;
  for (char c : s) n += static_cast<unsigned char>(c);
  return n;
}

std::uint64_t key_number(const Program& p, std::uint64_t repr) {
  if (p.config.keys != KeyType::kString) return repr;
  return repr < p.strings.size() ? string_number(p.strings[repr]) : 0;
}

std::uint64_t value_number(const Program& p, std::uint64_t repr) { return key_number(p, repr); }

bool erase_pred_holds(const Op& op, std::uint64_t key, std::uint64_t value, bool nan) {
  switch (static_cast<ErasePred>(op.a)) {
    case ErasePred::kNone: return false;
    case ErasePred::kAll: return true;
    case ErasePred::kNaN: return nan;
    case ErasePred::kMod: return !nan && op.b != 0 && key % op.b == op.c;
    case ErasePred::kValues: return op.b <= value && value <= op.c;
  }
  return false;
}

std::uint64_t default_value_repr(Program& p) {
  return p.config.keys == KeyType::kString ? p.string_index("") : 0;
}

std::string print_op(const Program& p, const Op& op) {
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  auto id = [&]() -> std::string { return op.iter < p.iter_names.size() ? p.iter_names[op.iter] : "?"; };
  switch (op.kind) {
    case OpKind::kHint: return "hint " + n(op.a);
    case OpKind::kPin: {
      char buf[19];
      static constexpr char kHex[] = "0123456789abcdef";
      buf[0] = '0';
      buf[1] = 'x';
      for (int i = 0; i < 16; ++i) buf[2 + i] = kHex[(op.b >> (60 - 4 * i)) & 15];
      buf[18] = 0;
      return "hash " + key_literal(p, op.a) + " " + buf;
    }
    case OpKind::kPut: return "put " + key_literal(p, op.a) + " " + value_literal(p, op.b);
    case OpKind::kDel: return "del " + key_literal(p, op.a);
    case OpKind::kGet: return "get " + key_literal(p, op.a);
    case OpKind::kLen: return "len";
    case OpKind::kClear: return "clear";
    case OpKind::kIter: return "iter " + id() + " " + n(op.b) + " " + n(op.c);
    case OpKind::kNext: return "next " + id();
    case OpKind::kDump: return "dump";
    case OpKind::kReserve: return "reserve " + n(op.a);
    case OpKind::kShrinkToFit: return "shrink_to_fit";
    case OpKind::kClose: return "close " + id();
    case OpKind::kDrain: return "drain " + id();
    default: return print_api_op(p, op);
  }
  return "?";
}

std::string print_header(const Program& p) {
  std::string out;
  if (p.config.keys != KeyType::kU64) out += std::string("keys ") + key_type_name(p.config.keys) + "\n";
  if (p.config.wide_values) out += "values wide\n";
  switch (p.config.hashing) {
    case HashMode::kPinned: break;
    case HashMode::kReal: out += "hashing real " + std::to_string(p.config.seed) + "\n"; break;
    case HashMode::kTiny:
      out += "hashing tiny " + std::to_string(p.config.tiny) + " " + std::to_string(p.config.seed) + "\n";
      break;
  }
  return out;
}

std::string print_trace(const Program& p, std::size_t n) {
  std::string out = print_header(p);
  for (std::size_t i = 0; i < n && i < p.ops.size(); ++i) {
    out += print_op(p, p.ops[i]);
    out += '\n';
  }
  return out;
}

std::string print_trace(const Program& p) { return print_trace(p, p.ops.size()); }

}  // namespace tophash::trace
