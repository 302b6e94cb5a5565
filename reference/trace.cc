#include "trace.h"

#include <charconv>
#include <unordered_set>

namespace tophash::trace {

std::uint32_t Program::iter_index(std::string_view name) {
  for (std::uint32_t i = 0; i < iter_names.size(); ++i) {
    if (iter_names[i] == name) return i;
  }
  iter_names.emplace_back(name);
  return static_cast<std::uint32_t>(iter_names.size() - 1);
}

namespace {

struct Failure {
  std::string what;
};

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

std::string clip(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

class LineParser {
 public:
  LineParser(Program& p, std::unordered_set<std::uint64_t>& pinned, std::unordered_set<std::uint32_t>& declared)
      : p_(p), pinned_(pinned), declared_(declared) {}

  // Parses one non-blank, non-comment line; returns an error text or nothing.
  std::optional<std::string> parse(std::string_view line, std::uint32_t lineno, bool first_op) {
    std::vector<std::string_view> tok;
    std::size_t start = 0;
    for (;;) {
      std::size_t sp = line.find(' ', start);
      std::string_view t = line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start);
      if (t.empty()) return "tokens must be separated by single spaces";
      tok.push_back(t);
      if (sp == std::string_view::npos) break;
      start = sp + 1;
    }
    const std::string_view name = tok[0];
    Op op{OpKind::kLen};
    op.line = lineno;
    auto arity = [&](std::size_t n) -> std::optional<std::string> {
      if (tok.size() != n + 1) {
        return "'" + std::string(name) + "' takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") +
               ", got " + std::to_string(tok.size() - 1);
      }
      return std::nullopt;
    };
    auto number = [&](std::size_t i, std::uint64_t& out, const char* what) -> std::optional<std::string> {
      if (!parse_decimal(tok[i], out)) {
        return std::string("bad ") + what + " '" + clip(tok[i]) + "' (want an unsigned 64-bit decimal integer)";
      }
      return std::nullopt;
    };
    auto pinned_key = [&](std::size_t i) -> std::optional<std::string> {
      if (auto e = number(i, op.a, "key")) return e;
      if (!pinned_.count(op.a)) return "key " + std::to_string(op.a) + " has no pinned hash (add 'hash " +
                                       std::to_string(op.a) + " 0x...' before it)";
      return std::nullopt;
    };
    auto declared_iter = [&](std::size_t i) -> std::optional<std::string> {
      for (std::uint32_t k = 0; k < p_.iter_names.size(); ++k) {
        if (p_.iter_names[k] == tok[i] && declared_.count(k)) {
          op.iter = k;
          return std::nullopt;
        }
      }
      return "iterator '" + clip(tok[i]) + "' was not declared (use 'iter " + clip(tok[i]) + " START OFFSET')";
    };
    std::optional<std::string> err;
    if (name == "hint") {
      op.kind = OpKind::kHint;
      if ((err = arity(1)) || (err = number(1, op.a, "hint"))) return err;
      if (!first_op) return std::string("'hint' must be the first operation");
      if (op.a > kMaxHint) return "hint " + std::to_string(op.a) + " out of range (must be below 2^31)";
    } else if (name == "hash") {
      op.kind = OpKind::kPin;
      if ((err = arity(2)) || (err = number(1, op.a, "key"))) return err;
      if (!parse_hash(tok[2], op.b)) return "bad hash '" + clip(tok[2]) + "' (want 0x and 16 hex digits)";
      pinned_.insert(op.a);
    } else if (name == "put") {
      op.kind = OpKind::kPut;
      if ((err = arity(2)) || (err = pinned_key(1)) || (err = number(2, op.b, "value"))) return err;
    } else if (name == "del" || name == "get") {
      op.kind = name == "del" ? OpKind::kDel : OpKind::kGet;
      if ((err = arity(1)) || (err = pinned_key(1))) return err;
    } else if (name == "len" || name == "clear" || name == "dump" || name == "shrink_to_fit") {
      op.kind = name == "len" ? OpKind::kLen : name == "clear" ? OpKind::kClear
                : name == "dump" ? OpKind::kDump : OpKind::kShrinkToFit;
      if ((err = arity(0))) return err;
    } else if (name == "iter") {
      op.kind = OpKind::kIter;
      if ((err = arity(3)) || (err = number(2, op.b, "start")) || (err = number(3, op.c, "offset"))) return err;
      op.iter = p_.iter_index(tok[1]);
      declared_.insert(op.iter);
    } else if (name == "next" || name == "close") {
      op.kind = name == "next" ? OpKind::kNext : OpKind::kClose;
      if ((err = arity(1)) || (err = declared_iter(1))) return err;
    } else if (name == "reserve") {
      op.kind = OpKind::kReserve;
      if ((err = arity(1)) || (err = number(1, op.a, "count"))) return err;
      if (op.a > kMaxHint) return "reserve " + std::to_string(op.a) + " out of range (must be below 2^31)";
    } else {
      return "unknown operation '" + clip(name) + "'";
    }
    p_.ops.push_back(op);
    return std::nullopt;
  }

 private:
  Program& p_;
  std::unordered_set<std::uint64_t>& pinned_;
  std::unordered_set<std::uint32_t>& declared_;
};

}  // namespace

ParseResult parse_trace(std::string_view text) {
  ParseResult r;
  std::unordered_set<std::uint64_t> pinned;
  std::unordered_set<std::uint32_t> declared;
  LineParser lp(r.program, pinned, declared);
  std::uint32_t lineno = 0;
  std::size_t pos = 0;
  bool first_op = true;
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
    if (auto err = lp.parse(line, lineno, first_op)) {
      r.error = ParseError{lineno, *err};
      return r;
    }
    first_op = false;
  }
  return r;
}

std::string print_op(const Program& p, const Op& op) {
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  auto id = [&]() -> const std::string& { return p.iter_names.at(op.iter); };
  switch (op.kind) {
    case OpKind::kHint: return "hint " + n(op.a);
    case OpKind::kPin: {
      char buf[19];
      static constexpr char kHex[] = "0123456789abcdef";
      buf[0] = '0';
      buf[1] = 'x';
      for (int i = 0; i < 16; ++i) buf[2 + i] = kHex[(op.b >> (60 - 4 * i)) & 15];
      buf[18] = 0;
      return "hash " + n(op.a) + " " + buf;
    }
    case OpKind::kPut: return "put " + n(op.a) + " " + n(op.b);
    case OpKind::kDel: return "del " + n(op.a);
    case OpKind::kGet: return "get " + n(op.a);
    case OpKind::kLen: return "len";
    case OpKind::kClear: return "clear";
    case OpKind::kIter: return "iter " + id() + " " + n(op.b) + " " + n(op.c);
    case OpKind::kNext: return "next " + id();
    case OpKind::kDump: return "dump";
    case OpKind::kReserve: return "reserve " + n(op.a);
    case OpKind::kShrinkToFit: return "shrink_to_fit";
    case OpKind::kClose: return "close " + id();
  }
  return "?";
}

std::string print_trace(const Program& p) {
  std::string out;
  for (const Op& op : p.ops) {
    out += print_op(p, op);
    out += '\n';
  }
  return out;
}

}  // namespace tophash::trace
