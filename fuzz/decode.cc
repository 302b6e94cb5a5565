#include "decode.h"

#include <bit>
#include <limits>
#include <string>
#include <cstdio>
#include <utility>
#include <vector>

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
  // The C++ API (only with h1 bit 7 set; otherwise skipped as before):
  kEraseIf,     // erase_if: X % 5 picks none, all, nan, mod (1+(Y&7)) (Z&7), values Y<<6 .. (Y<<6)+(Z<<6)
  kDelWalk,     // Go's delete-while-ranging: iter I start Z offset X&7, then (Y&63)+1 rounds of
                //   next I and, every (1+((X>>3)&3))-th round, del_at I
  kDelAt,       // del_at I
  kMaps,        // Y&3 picks copy, move, swap, use; map X&3 (copy, move, swap of the current map: skipped)
  kTryEmplace,  // try_emplace X (value Y|Z<<8)
  kAssign,      // Z&1: index X, else insert_or_assign X (value Y)
  kLookup,      // Y&3 picks at, find, count, contains of X
};

constexpr bool is_api(Cmd c) { return c >= Cmd::kEraseIf; }

// 32 opcodes; the weights are the number of codes each command gets.
constexpr Cmd kTable[32] = {
    Cmd::kPut,     Cmd::kPut,     Cmd::kPut,     Cmd::kPut,      Cmd::kPut,      Cmd::kPut,   Cmd::kPut,
    Cmd::kDel,     Cmd::kDel,     Cmd::kGet,     Cmd::kLen,      Cmd::kClear,    Cmd::kPutRange,
    Cmd::kDelRange, Cmd::kIter,   Cmd::kNext,    Cmd::kNext,     Cmd::kDrain,    Cmd::kClose, Cmd::kReserve,
    Cmd::kShrinkToFit, Cmd::kGetRange, Cmd::kPutWide, Cmd::kDelWide, Cmd::kEraseIf, Cmd::kDelWalk, Cmd::kMaps,
    Cmd::kTryEmplace, Cmd::kAssign, Cmd::kLookup, Cmd::kDelAt,  Cmd::kMaps};

// Several iterators stepped between writes, growth during iteration.
constexpr Cmd kIterTable[32] = {
    Cmd::kPut,   Cmd::kPut,   Cmd::kPut,      Cmd::kPut,     Cmd::kDel,      Cmd::kDel,     Cmd::kGet,
    Cmd::kClear, Cmd::kPutRange, Cmd::kDelRange, Cmd::kIter, Cmd::kIter,     Cmd::kIter,    Cmd::kNext,
    Cmd::kNext,  Cmd::kNext,  Cmd::kNext,     Cmd::kNext,    Cmd::kNext,     Cmd::kDrain,   Cmd::kDrain,
    Cmd::kClose, Cmd::kReserve, Cmd::kShrinkToFit, Cmd::kPutWide, Cmd::kDelWide, Cmd::kDelWalk, Cmd::kDelWalk,
    Cmd::kDelAt, Cmd::kEraseIf, Cmd::kMaps,    Cmd::kLookup};

constexpr std::size_t kIters = 4;

// Built in one allocation at most (a long one; a short one is inline).
std::string key_string(std::uint32_t id) {
  // Some short (inline in std::string), some long (on the heap, where ASan
  // sees a use after free), a few with characters the trace must escape.
  char digits[16];
  const int n = std::snprintf(digits, sizeof digits, "k%u", id);
  const bool lng = id % 3 == 1, quoted = id % 17 == 5;
  std::string s;
  s.reserve(static_cast<std::size_t>(n) + (lng ? 25 : 0) + (quoted ? 4 : 0));
  s.append(digits, static_cast<std::size_t>(n));
  if (lng) s += "-long-enough-for-the-heap";
  if (quoted) s += " \"q\"";
  return s;
}
std::string value_string(std::uint32_t id) {
  char digits[16];
  const int n = std::snprintf(digits, sizeof digits, "v%u", id);
  const bool lng = id % 4 == 0;
  std::string s;
  s.reserve(static_cast<std::size_t>(n) + (lng ? 33 : 0));
  s.append(digits, static_cast<std::size_t>(n));
  if (lng) s += "-a-value-long-enough-for-the-heap";
  return s;
}

// Which string of the program a key or value id was interned as: a table
// by id, reused from program to program (an entry is this program's when
// its stamp is), so that a decode allocates nothing but the strings.
class IdTable {
 public:
  static constexpr std::size_t kIds = (std::size_t{1} << 16) + 512;  // wide ids, and ranges past 255
  void next_program() {
    if (slots_.empty()) slots_.resize(kIds);
    if (++stamp_ == 0) {  // wrapped: no entry may look current
      std::fill(slots_.begin(), slots_.end(), 0);
      stamp_ = 1;
    }
  }
  // The index id was interned as, or false (then `set` it).
  bool get(std::uint32_t id, std::uint32_t& index) const {
    if (id >= slots_.size()) return false;
    const std::uint64_t e = slots_[id];
    if (e >> 32 != stamp_) return false;
    index = static_cast<std::uint32_t>(e);
    return true;
  }
  void set(std::uint32_t id, std::uint32_t index) {
    if (id >= slots_.size()) slots_.resize(std::size_t{id} + 1);
    slots_[id] = std::uint64_t{stamp_} << 32 | index;
  }

 private:
  std::vector<std::uint64_t> slots_;  // stamp << 32 | index
  std::uint32_t stamp_ = 0;
};

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
    if (opt_.keys == KeyType::kString) {
      keys_.next_program();
      values_.next_program();
    }
    std::uint8_t h[4] = {0, 0, 0, 0};
    for (std::size_t i = 0; i < 4 && i < size; ++i) h[i] = data[i];
    p_.config.keys = opt_.keys;
    const bool tiny = opt_.tiny_hash && (!opt_.real_hash || (h[1] & 1) != 0);
    p_.config.hashing = tiny ? trace::HashMode::kTiny : trace::HashMode::kReal;
    p_.config.tiny = tiny ? 1 + ((h[1] >> 1) & 15) : 1;
    p_.config.seed = hashing::hash_u64(static_cast<std::uint64_t>(h[2]) | static_cast<std::uint64_t>(h[3]) << 8, 0x5eed);
    if (h[0] >= 0x80) emit(OpKind::kHint, static_cast<std::uint64_t>(h[0] & 0x7f) * 2);
    const Cmd* table = opt_.iteration_heavy ? kIterTable : kTable;
    const bool api = opt_.api && (h[1] & 0x80) != 0;
    for (std::size_t pos = 4; pos + 4 <= size && p_.ops.size() < opt_.max_ops; pos += 4) {
      const Cmd c = table[data[pos] & 31];
      if (is_api(c)) {
        if (api) api_command(c, (data[pos] >> 5) & 3, data[pos + 1], data[pos + 2], data[pos + 3]);
        continue;
      }
      command(c, (data[pos] >> 5) & 3, data[pos + 1], data[pos + 2], data[pos + 3]);
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
        std::uint32_t index = 0;
        if (!keys_.get(id, index)) keys_.set(id, index = intern(key_string(id)));
        return index;
      }
    }
    return id;
  }
  std::uint64_t value(std::uint32_t id) {
    if (opt_.keys != KeyType::kString) return id;
    std::uint32_t index = 0;
    if (!values_.get(id, index)) values_.set(id, index = intern(value_string(id)));
    return index;
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
      default: break;  // the C++ API: api_command
    }
  }

  void api_command(Cmd c, unsigned it, std::uint8_t x, std::uint8_t y, std::uint8_t z) {
    switch (c) {
      case Cmd::kEraseIf: erase_if(x, y, z); break;
      case Cmd::kDelWalk: del_walk(it, x, y, z); break;
      case Cmd::kDelAt:
        if (declared_[it]) emit(OpKind::kDelAt, 0, 0, 0, iter(it));
        break;
      case Cmd::kMaps: maps(x & 3u, y & 3u); break;
      case Cmd::kTryEmplace: emit(OpKind::kTryEmplace, key(x), value(y | static_cast<std::uint32_t>(z) << 8)); break;
      case Cmd::kAssign:
        if (z & 1u) {
          emit(OpKind::kIndex, key(x), trace::default_value_repr(p_));
        } else {
          emit(OpKind::kInsertOrAssign, key(x), value(y));
        }
        break;
      case Cmd::kLookup: {
        constexpr OpKind kLookups[4] = {OpKind::kAt, OpKind::kFind, OpKind::kCount, OpKind::kContains};
        emit(kLookups[y & 3u], key(x));
        break;
      }
      default: break;
    }
  }

  void erase_if(std::uint8_t x, std::uint8_t y, std::uint8_t z) {
    using trace::ErasePred;
    switch (x % 5) {
      case 0: emit(OpKind::kEraseIf, static_cast<std::uint64_t>(ErasePred::kNone)); break;
      case 1: emit(OpKind::kEraseIf, static_cast<std::uint64_t>(ErasePred::kAll)); break;
      case 2: emit(OpKind::kEraseIf, static_cast<std::uint64_t>(ErasePred::kNaN)); break;
      case 3: emit(OpKind::kEraseIf, static_cast<std::uint64_t>(ErasePred::kMod), 1 + (y & 7u), z & 7u); break;
      default: {
        const std::uint64_t lo = static_cast<std::uint64_t>(y) << 6;
        emit(OpKind::kEraseIf, static_cast<std::uint64_t>(ErasePred::kValues), lo, lo + (static_cast<std::uint64_t>(z) << 6));
      }
    }
  }

  // for k := range m { if cond { delete(m, k) } }, cond every n-th key.
  void del_walk(unsigned it, std::uint8_t x, std::uint8_t y, std::uint8_t z) {
    declared_[it] = true;
    emit(OpKind::kIter, 0, z, x & 7u, iter(it));
    const unsigned every = 1 + ((x >> 3) & 3u);
    for (unsigned r = 0; r <= (y & 63u); ++r) {
      emit(OpKind::kNext, 0, 0, 0, iter(it));
      if (r % every == 0) emit(OpKind::kDelAt, 0, 0, 0, iter(it));
    }
  }

  void maps(unsigned n, unsigned which) {
    constexpr OpKind kMapOps[4] = {OpKind::kCopy, OpKind::kMove, OpKind::kSwap, OpKind::kUse};
    if (which != 3 && n == cur_map_) return;  // copy, move, swap name another map
    emit(kMapOps[which], n);
    if (which == 3) cur_map_ = n;
  }

  const DecodeOptions& opt_;
  Program& p_;
  int iter_index_[kIters] = {-1, -1, -1, -1};
  bool declared_[kIters] = {false, false, false, false};
  unsigned cur_map_ = 0;  // the map `use` made current
  IdTable& keys_ = tables().first;
  IdTable& values_ = tables().second;

  static std::pair<IdTable, IdTable>& tables() {
    static thread_local std::pair<IdTable, IdTable> t;
    return t;
  }
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
