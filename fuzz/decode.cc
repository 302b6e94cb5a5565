#include "decode.h"

#include <bit>
#include <limits>
#include <string>
#include <unordered_map>

#include "tophash/hash.h"

namespace tophash::fuzz {

using trace::KeyType;
using trace::Op;
using trace::OpKind;
using trace::Program;

namespace {

enum class Cmd : std::uint8_t {
  kSkip,        // unknown opcode
  kPut,         // put X (value Y|Z<<8)
  kPutWide,     // put X|Y<<8 (value Z)
  kDel,         // del X
  kDelWide,     // del X|Y<<8
  kGet,         // get X
  kGetRange,    // get X .. X+(Y&15)
  kLen,         // len
  kClear,       // clear
  kPutRange,    // put X .. X+(Y&63), values Z<<8 + i
  kDelRange,    // del X, X+s, ... (Y&63)+1 keys, stride s = 1+(Z&3)
  kIter,        // iter I start Y|Z<<8 offset X&7
  kNext,        // next I, (X&3)+1 times
  kDrain,       // drain I
  kClose,       // close I
  kReserve,     // reserve X << (Y&3)
  kShrinkToFit, // shrink_to_fit
};

// 32 opcodes; the weights are the number of codes each command gets.
constexpr Cmd kTable[32] = {
    Cmd::kPut,     Cmd::kPut,     Cmd::kPut,     Cmd::kPut,      Cmd::kPut,      Cmd::kPut,   Cmd::kPut,
    Cmd::kDel,     Cmd::kDel,     Cmd::kGet,     Cmd::kLen,      Cmd::kClear,    Cmd::kPutRange,
    Cmd::kDelRange, Cmd::kIter,   Cmd::kNext,    Cmd::kNext,     Cmd::kDrain,    Cmd::kClose, Cmd::kReserve,
    Cmd::kShrinkToFit, Cmd::kGetRange, Cmd::kPutWide, Cmd::kDelWide, Cmd::kSkip, Cmd::kSkip, Cmd::kSkip,
    Cmd::kSkip,    Cmd::kSkip,    Cmd::kSkip,    Cmd::kSkip,     Cmd::kSkip};

// Several iterators stepped between writes, growth during iteration.
constexpr Cmd kIterTable[32] = {
    Cmd::kPut,   Cmd::kPut,   Cmd::kPut,      Cmd::kPut,     Cmd::kDel,      Cmd::kDel,     Cmd::kGet,
    Cmd::kClear, Cmd::kPutRange, Cmd::kDelRange, Cmd::kIter, Cmd::kIter,     Cmd::kIter,    Cmd::kNext,
    Cmd::kNext,  Cmd::kNext,  Cmd::kNext,     Cmd::kNext,    Cmd::kNext,     Cmd::kDrain,   Cmd::kDrain,
    Cmd::kClose, Cmd::kReserve, Cmd::kShrinkToFit, Cmd::kPutWide, Cmd::kDelWide, Cmd::kSkip, Cmd::kSkip,
    Cmd::kSkip,  Cmd::kSkip,  Cmd::kSkip,     Cmd::kSkip};

constexpr std::size_t kIters = 4;

std::string key_string(std::uint32_t id) {
  // Some short (inline in std::string), some long (on the heap, where ASan
  // sees a use after free), a few with characters the trace must escape.
  std::string s = "k" + std::to_string(id);
  if (id % 3 == 1) s += "-long-enough-for-the-heap";
  if (id % 17 == 5) s += " \"q\"";
  return s;
}
std::string value_string(std::uint32_t id) {
  std::string s = "v" + std::to_string(id);
  if (id % 4 == 0) s += "-a-value-long-enough-for-the-heap";
  return s;
}

double key_double(std::uint32_t id) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  switch (id) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return kNaN;
    case 3: return -kNaN;
    case 4: return std::numeric_limits<double>::infinity();
    case 5: return -std::numeric_limits<double>::infinity();
    case 6: return std::numeric_limits<double>::denorm_min();
    case 7: return std::numeric_limits<double>::max();
    default: {
      const double mag = static_cast<double>((id - 8) >> 1) * 0.25;
      return (id & 1) ? -mag : mag;  // id 9 is -0 again
    }
  }
}

class Decoder {
 public:
  Decoder(const DecodeOptions& opt, Program& p) : opt_(opt), p_(p) {}

  void run(const std::uint8_t* data, std::size_t size) {
    std::uint8_t h[4] = {0, 0, 0, 0};
    for (std::size_t i = 0; i < 4 && i < size; ++i) h[i] = data[i];
    p_.config.keys = opt_.keys;
    const bool tiny = opt_.tiny_hash && (!opt_.real_hash || (h[1] & 1) != 0);
    p_.config.hashing = tiny ? trace::HashMode::kTiny : trace::HashMode::kReal;
    p_.config.tiny = tiny ? 1 + ((h[1] >> 1) & 15) : 1;
    p_.config.seed = hashing::hash_u64(static_cast<std::uint64_t>(h[2]) | static_cast<std::uint64_t>(h[3]) << 8, 0x5eed);
    if (h[0] >= 0x80) emit(OpKind::kHint, static_cast<std::uint64_t>(h[0] & 0x7f) * 2);
    const Cmd* table = opt_.iteration_heavy ? kIterTable : kTable;
    for (std::size_t pos = 4; pos + 4 <= size && p_.ops.size() < opt_.max_ops; pos += 4) {
      command(table[data[pos] & 31], (data[pos] >> 5) & 3, data[pos + 1], data[pos + 2], data[pos + 3]);
    }
  }

 private:
  void emit(OpKind k, std::uint64_t a = 0, std::uint64_t b = 0, std::uint64_t c = 0, std::uint32_t iter = 0) {
    if (p_.ops.size() >= opt_.max_ops) return;
    Op& op = p_.ops.emplace_back();  // in place: a local Op would cost an ASan stack frame per op
    op.kind = k;
    op.a = a;
    op.b = b;
    op.c = c;
    op.iter = iter;
  }

  std::uint32_t iter(unsigned i) {
    if (iter_index_[i] < 0) iter_index_[i] = static_cast<int>(p_.iter_index("i" + std::to_string(i)));
    return static_cast<std::uint32_t>(iter_index_[i]);
  }

  std::uint64_t key(std::uint32_t id) {
    switch (opt_.keys) {
      case KeyType::kU64:
      case KeyType::kCounted: return id;
      case KeyType::kDouble: return std::bit_cast<std::uint64_t>(key_double(id));
      case KeyType::kString: {
        auto [it, added] = keys_.try_emplace(id, 0);
        if (added) it->second = intern(key_string(id));
        return it->second;
      }
    }
    return id;
  }
  std::uint64_t value(std::uint32_t id) {
    if (opt_.keys != KeyType::kString) return id;
    auto [it, added] = values_.try_emplace(id, 0);
    if (added) it->second = intern(value_string(id));
    return it->second;
  }
  std::uint32_t intern(std::string s) {
    p_.strings.push_back(std::move(s));
    return static_cast<std::uint32_t>(p_.strings.size() - 1);
  }

  void command(Cmd c, unsigned it, std::uint8_t x, std::uint8_t y, std::uint8_t z) {
    const std::uint32_t vid = y | static_cast<std::uint32_t>(z) << 8;
    switch (c) {
      case Cmd::kSkip: break;
      case Cmd::kPut: emit(OpKind::kPut, key(x), value(vid)); break;
      case Cmd::kPutWide: emit(OpKind::kPut, key(x | static_cast<std::uint32_t>(y) << 8), value(z)); break;
      case Cmd::kDel: emit(OpKind::kDel, key(x)); break;
      case Cmd::kDelWide: emit(OpKind::kDel, key(x | static_cast<std::uint32_t>(y) << 8)); break;
      case Cmd::kGet: emit(OpKind::kGet, key(x)); break;
      case Cmd::kGetRange:
        for (std::uint32_t i = 0; i <= (y & 15u); ++i) emit(OpKind::kGet, key(x + i));
        break;
      case Cmd::kLen: emit(OpKind::kLen); break;
      case Cmd::kClear: emit(OpKind::kClear); break;
      case Cmd::kPutRange:
        for (std::uint32_t i = 0; i <= (y & 63u); ++i) {
          emit(OpKind::kPut, key(x + i), value((static_cast<std::uint32_t>(z) << 8) + i));
        }
        break;
      case Cmd::kDelRange:
        for (std::uint32_t i = 0; i <= (y & 63u); ++i) emit(OpKind::kDel, key(x + i * (1 + (z & 3u))));
        break;
      case Cmd::kIter:
        declared_[it] = true;
        emit(OpKind::kIter, 0, vid, x & 7u, iter(it));
        break;
      case Cmd::kNext:
        if (!declared_[it]) break;  // no such iterator yet: skipped like an unknown opcode
        for (unsigned i = 0; i <= (x & 3u); ++i) emit(OpKind::kNext, 0, 0, 0, iter(it));
        break;
      case Cmd::kDrain:
        if (declared_[it]) emit(OpKind::kDrain, 0, 0, 0, iter(it));
        break;
      case Cmd::kClose:
        if (declared_[it]) emit(OpKind::kClose, 0, 0, 0, iter(it));
        break;
      case Cmd::kReserve: emit(OpKind::kReserve, static_cast<std::uint64_t>(x) << (y & 3u)); break;
      case Cmd::kShrinkToFit: emit(OpKind::kShrinkToFit); break;
    }
  }

  const DecodeOptions& opt_;
  Program& p_;
  int iter_index_[kIters] = {-1, -1, -1, -1};
  bool declared_[kIters] = {false, false, false, false};
  std::unordered_map<std::uint32_t, std::uint32_t> keys_, values_;
};

}  // namespace

void decode(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt, Program& out) {
  out.clear();
  Decoder(opt, out).run(data, size);
}

Program decode(const std::uint8_t* data, std::size_t size, const DecodeOptions& opt) {
  Program p;
  decode(data, size, opt, p);
  return p;
}

std::uint64_t key_for_id(Program& p, std::uint32_t id) {
  switch (p.config.keys) {
    case KeyType::kU64:
    case KeyType::kCounted: return id;
    case KeyType::kDouble: return std::bit_cast<std::uint64_t>(key_double(id));
    case KeyType::kString: return p.string_index(key_string(id));
  }
  return id;
}

std::uint64_t value_for_id(Program& p, std::uint32_t id) {
  return p.config.keys == KeyType::kString ? p.string_index(value_string(id)) : id;
}

}  // namespace tophash::fuzz
