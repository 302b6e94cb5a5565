// concurrent/linearizability.cc: the per-key linearizability search and the
// Range contract check (see linearizability.h).
#include "linearizability.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <unordered_set>

namespace tophash::lin {

bool step(std::uint64_t state, const Op& op, std::uint64_t* next) {
  const bool present = state != kAbsent;
  *next = state;
  switch (op.kind) {
    case OpKind::kLoad:
      return op.out == state;
    case OpKind::kStore:
      *next = op.arg;
      return true;
    case OpKind::kLoadOrStore:
      if (present) return op.ok && op.out == state;
      *next = op.arg;
      return !op.ok && op.out == op.arg;
    case OpKind::kLoadAndDelete:
      *next = kAbsent;
      return op.out == state;
    case OpKind::kDelete:
      *next = kAbsent;
      return true;
    case OpKind::kSwap:
      *next = op.arg;
      return op.out == state;
    case OpKind::kCompareAndSwap:
      if (present && state == op.expected) {
        *next = op.arg;
        return op.ok;
      }
      return !op.ok;
    case OpKind::kCompareAndDelete:
      if (present && state == op.expected) {
        *next = kAbsent;
        return op.ok;
      }
      return !op.ok;
  }
  return false;
}

namespace {

std::string value_str(std::uint64_t v) { return v == kAbsent ? "absent" : std::to_string(v); }

}  // namespace

std::string format_op(const Op& op) {
  const std::string k = std::to_string(op.key);
  switch (op.kind) {
    case OpKind::kLoad:
      return "Load(" + k + ") -> " + value_str(op.out);
    case OpKind::kStore:
      return "Store(" + k + ", " + std::to_string(op.arg) + ")";
    case OpKind::kLoadOrStore:
      return "LoadOrStore(" + k + ", " + std::to_string(op.arg) + ") -> " + value_str(op.out) +
             (op.ok ? ", loaded" : ", stored");
    case OpKind::kLoadAndDelete:
      return "LoadAndDelete(" + k + ") -> " + value_str(op.out);
    case OpKind::kDelete:
      return "Delete(" + k + ")";
    case OpKind::kSwap:
      return "Swap(" + k + ", " + std::to_string(op.arg) + ") -> " + value_str(op.out);
    case OpKind::kCompareAndSwap:
      return "CompareAndSwap(" + k + ", " + std::to_string(op.expected) + ", " + std::to_string(op.arg) +
             ") -> " + (op.ok ? "swapped" : "not swapped");
    case OpKind::kCompareAndDelete:
      return "CompareAndDelete(" + k + ", " + std::to_string(op.expected) + ") -> " +
             (op.ok ? "deleted" : "not deleted");
  }
  return "?";
}

namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// Lowe's search over one key's operations. Operations whose return lies
// after `cut` are pending: they may take effect (with their recorded
// result) or not at all; the others must all be placed.
class Search {
 public:
  Search(const std::vector<Op>& ops, std::int64_t cut) : ops_(ops) {
    struct Event {
      std::int64_t t;
      bool is_return;
      std::size_t op;
    };
    std::vector<Event> events;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].call_ns > cut) continue;
      events.push_back({ops[i].call_ns, false, i});
      if (ops[i].return_ns <= cut) {
        events.push_back({ops[i].return_ns, true, i});
        ++returns_;
      }
    }
    // At equal times a call goes first: the two operations then count as
    // overlapping, the reading that accuses an implementation least.
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      if (a.t != b.t) return a.t < b.t;
      if (a.is_return != b.is_return) return !a.is_return;
      return a.op < b.op;
    });
    nodes_.resize(events.size() + 1);
    std::vector<Node*> call_of(ops.size(), nullptr);
    Node* prev = &nodes_[0];
    for (std::size_t i = 0; i < events.size(); ++i) {
      Node* n = &nodes_[i + 1];
      n->op = events[i].op;
      n->is_return = events[i].is_return;
      n->prev = prev;
      prev->next = n;
      prev = n;
      if (!n->is_return) {
        call_of[n->op] = n;
      } else {
        call_of[n->op]->match = n;
      }
    }
    words_ = (ops.size() + 63) / 64;
  }

  // True if the completed operations have a linearization from `initial`.
  // With `finals`, explores every linearization and collects the states
  // they end in (the history must have no pending operations then).
  bool run(std::uint64_t initial, std::set<std::uint64_t>* finals) {
    Node* head = &nodes_[0];
    std::vector<std::uint64_t> lin(words_, 0);
    std::uint64_t state = initial;
    std::size_t returns_left = returns_;
    struct Frame {
      Node* call;
      std::uint64_t state;
    };
    std::vector<Frame> stack;
    std::unordered_set<Key, KeyHash> seen;
    Node* entry = head->next;
    bool found = false;
    for (;;) {
      if (returns_left == 0) {
        found = true;
        if (finals == nullptr) return true;
        finals->insert(state);
        entry = nullptr;  // treat as a dead end to explore the other orders
      }
      if (entry != nullptr && !entry->is_return) {
        std::uint64_t next;
        if (step(state, ops_[entry->op], &next)) {
          lin[entry->op / 64] |= std::uint64_t{1} << (entry->op % 64);
          if (seen.insert(Key{lin, next}).second) {
            stack.push_back({entry, state});
            state = next;
            if (entry->match != nullptr) --returns_left;
            lift(entry);
            entry = head->next;
            continue;
          }
          lin[entry->op / 64] &= ~(std::uint64_t{1} << (entry->op % 64));
        }
        entry = entry->next;
        continue;
      }
      // A return whose call is not placed yet (or the end): undo the last choice.
      if (stack.empty()) return found;
      Frame f = stack.back();
      stack.pop_back();
      state = f.state;
      lin[f.call->op / 64] &= ~(std::uint64_t{1} << (f.call->op % 64));
      unlift(f.call);
      if (f.call->match != nullptr) ++returns_left;
      entry = f.call->next;
    }
  }

 private:
  struct Node {
    std::size_t op = 0;
    bool is_return = false;
    Node* prev = nullptr;
    Node* next = nullptr;
    Node* match = nullptr;  // a call's return, null when pending
  };
  struct Key {
    std::vector<std::uint64_t> lin;
    std::uint64_t state;
    bool operator==(const Key& o) const { return state == o.state && lin == o.lin; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      std::uint64_t h = k.state * 0x9e3779b97f4a7c15ull;
      for (std::uint64_t w : k.lin) h = (h ^ w) * 0xff51afd7ed558ccdull + (h >> 29);
      return static_cast<std::size_t>(h);
    }
  };

  static void lift(Node* call) {
    call->prev->next = call->next;
    if (call->next != nullptr) call->next->prev = call->prev;
    if (Node* r = call->match) {
      r->prev->next = r->next;
      if (r->next != nullptr) r->next->prev = r->prev;
    }
  }
  static void unlift(Node* call) {
    if (Node* r = call->match) {
      r->prev->next = r;
      if (r->next != nullptr) r->next->prev = r;
    }
    call->prev->next = call;
    if (call->next != nullptr) call->next->prev = call;
  }

  const std::vector<Op>& ops_;
  std::vector<Node> nodes_;
  std::size_t returns_ = 0;
  std::size_t words_ = 0;
};

std::string fmt_us(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1000.0);
  return buf;
}

// 1. The shortest failing prefix of one key's non-linearizable history, cut
// at a return: the return time it ends at.
std::int64_t failing_cut(const std::vector<Op>& ops) {
  std::vector<std::int64_t> returns;
  for (const Op& op : ops) returns.push_back(op.return_ns);
  std::sort(returns.begin(), returns.end());
  returns.erase(std::unique(returns.begin(), returns.end()), returns.end());
  std::size_t lo = 0, hi = returns.size() - 1;  // returns[hi] fails (the whole history)
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (Search(ops, returns[mid]).run(kAbsent, nullptr)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return returns[hi];
}

// The failing prefix split at its latest quiescent moment before the
// culprit, with the states the key can be in at that moment.
struct Piece {
  std::vector<Op> before, after;
  std::set<std::uint64_t> states;
  std::size_t split = 0;  // how many operations fall before the quiescent moment
  bool all_fail = false;  // every state fails `after` (else `after` is the whole prefix)
};

// 2. The latest quiescent moment before the first operation that returns
// at the cut: everything before it has returned, nothing after it had
// been called.
Piece quiescent_split(const std::vector<Op>& ops, std::int64_t cut) {
  Piece p;
  std::vector<std::size_t> in;  // ops of the prefix, by call time
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].call_ns <= cut) in.push_back(i);
  }
  std::sort(in.begin(), in.end(), [&](std::size_t a, std::size_t b) { return ops[a].call_ns < ops[b].call_ns; });
  std::int64_t culprit_call = kNever;
  for (std::size_t i : in) {
    if (ops[i].return_ns == cut) culprit_call = std::min(culprit_call, ops[i].call_ns);
  }
  std::int64_t max_return = std::numeric_limits<std::int64_t>::min();
  for (std::size_t j = 0; j < in.size() && ops[in[j]].call_ns <= culprit_call; ++j) {
    if (j > 0 && max_return < ops[in[j]].call_ns) p.split = j;
    max_return = std::max(max_return, ops[in[j]].return_ns);
  }
  for (std::size_t j = 0; j < in.size(); ++j) (j < p.split ? p.before : p.after).push_back(ops[in[j]]);
  Search(p.before, kNever).run(kAbsent, &p.states);
  // Every state at the quiescent moment must fail the rest; if the search
  // disagreed (it cannot), show the whole prefix instead.
  p.all_fail = !p.states.empty();
  for (std::uint64_t s : p.states) p.all_fail = p.all_fail && !Search(p.after, cut).run(s, nullptr);
  if (!p.all_fail) {
    p.after.insert(p.after.begin(), p.before.begin(), p.before.end());
    p.states = {kAbsent};
  }
  return p;
}

// One row of the table: thread, call and return times (microseconds since
// `origin`), operation; `open` is '(' for a context row, ' ' otherwise.
std::string op_row(const Op& op, std::int64_t origin, char open) {
  char line[96];
  std::snprintf(line, sizeof line, "   %ct%-6u  %-11s  %-11s  ", open, op.thread,
                fmt_us(op.call_ns - origin).c_str(), fmt_us(op.return_ns - origin).c_str());
  return line + format_op(op);
}

// The sentence above the table, up to its colon.
std::string explain_headline(const std::vector<Op>& ops, const Piece& p) {
  std::string out = "key " + std::to_string(ops[0].key) + ": not linearizable. " +
                    (p.after.size() == 1 ? std::string("This operation")
                                         : "These " + std::to_string(p.after.size()) + " operations") +
                    " (of the key's " + std::to_string(ops.size()) + ") " +
                    (p.after.size() == 1 ? "has" : "have") + " no linearization";
  std::string st;
  for (std::uint64_t s : p.states) st += (st.empty() ? "" : ", ") + value_str(s);
  out += p.all_fail && p.split > 0 ? std::string(" from any state the key can be in before ") +
                                         (p.after.size() == 1 ? "it" : "them") + " (" + st + ")"
                                   : " from the empty map";
  return out;
}

// The smallest offending piece of one key's non-linearizable history.
std::string explain(const std::vector<Op>& ops, std::int64_t origin) {
  const std::int64_t cut = failing_cut(ops);
  const Piece p = quiescent_split(ops, cut);
  std::string out = explain_headline(ops, p);
  out += ":\n    thread   call us      return us    operation\n";
  // For context, the last operations before the quiescent moment (their
  // order is settled: they led to the states above).
  std::vector<Op> context = p.all_fail ? p.before : std::vector<Op>{};
  std::sort(context.begin(), context.end(), [](const Op& a, const Op& b) { return a.return_ns < b.return_ns; });
  if (context.size() > 3) context.erase(context.begin(), context.end() - 3);
  for (const Op& op : context) out += op_row(op, origin, '(') + ")   before\n";
  for (const Op& op : p.after) {
    out += op_row(op, origin, ' ');
    if (op.return_ns == cut) out += "   <- cannot be explained by the time this returns";
    if (op.return_ns > cut) out += "   (still open then)";
    out += "\n";
  }
  return out;
}

// Whether `op` puts a value in the map, and which (in *value).
bool writes(const Op& op, std::uint64_t* value) {
  switch (op.kind) {
    case OpKind::kStore:
    case OpKind::kSwap:
      *value = op.arg;
      return true;
    case OpKind::kLoadOrStore:
    case OpKind::kCompareAndSwap:
      *value = op.arg;
      return op.kind == OpKind::kLoadOrStore ? !op.ok : op.ok;
    default:
      return false;
  }
}

// Whether `op` takes its key out of the map.
bool removes(const Op& op) {
  return op.kind == OpKind::kDelete || (op.kind == OpKind::kLoadAndDelete && op.out != kAbsent) ||
         (op.kind == OpKind::kCompareAndDelete && op.ok);
}

// Whether the key whose operations are `ops` may have held `v` at a moment
// of the Range call: some write of v begun before the call returned, and not
// certainly replaced (by a later write or a removal) before the call began.
// Values are never reused.
bool possibly_held(const std::vector<const Op*>& ops, std::uint64_t v, const RangeCall& range) {
  bool explained = false;
  for (const Op* w : ops) {
    std::uint64_t wv;
    if (!writes(*w, &wv) || wv != v || w->call_ns > range.return_ns) continue;
    bool replaced = false;
    for (const Op* x : ops) {
      std::uint64_t xv;
      const bool changes = removes(*x) || (writes(*x, &xv) && xv != v);
      if (changes && x->call_ns > w->return_ns && x->return_ns < range.call_ns) replaced = true;
    }
    if (!replaced) explained = true;
  }
  return explained;
}

// The problem line for key `k` if it was certainly present throughout the
// Range call (put there by an operation that returned before the call, and
// no removal could fall after it and before the call returned), else "".
std::string present_throughout(std::uint64_t k, const std::vector<const Op*>& ops, const RangeCall& range) {
  for (const Op* w : ops) {
    const bool puts = w->kind == OpKind::kStore || w->kind == OpKind::kSwap ||
                      w->kind == OpKind::kLoadOrStore || (w->kind == OpKind::kCompareAndSwap && w->ok);
    if (!puts || w->return_ns >= range.call_ns) continue;
    bool maybe_removed = false;
    for (const Op* d : ops) {
      if (removes(*d) && d->return_ns > w->call_ns && d->call_ns < range.return_ns) maybe_removed = true;
    }
    if (!maybe_removed) {
      return "  key " + std::to_string(k) + " present throughout (since " + format_op(*w) + " by t" +
             std::to_string(w->thread) + ") but not visited\n";
    }
  }
  return "";
}

}  // namespace

bool linearizable_from(const std::vector<Op>& ops, std::uint64_t initial) {
  return Search(ops, kNever).run(initial, nullptr);
}

Verdict check(const std::vector<Op>& history) {
  Verdict v;
  v.ops = history.size();
  std::map<std::uint64_t, std::vector<Op>> by_key;
  std::int64_t origin = kNever;
  for (const Op& op : history) {
    by_key[op.key].push_back(op);
    origin = std::min(origin, op.call_ns);
  }
  v.keys = by_key.size();
  for (const auto& [key, ops] : by_key) {
    if (Search(ops, kNever).run(kAbsent, nullptr)) continue;
    v.linearizable = false;
    v.report += explain(ops, origin);
  }
  return v;
}

std::string check_range(const RangeCall& range, const std::vector<Op>& history) {
  std::map<std::uint64_t, std::vector<const Op*>> by_key;
  for (const Op& op : history) by_key[op.key].push_back(&op);
  std::string problems;
  std::set<std::uint64_t> visited;
  for (const auto& [k, v] : range.seen) {
    if (!visited.insert(k).second) problems += "  key " + std::to_string(k) + " visited twice\n";
    if (!possibly_held(by_key[k], v, range)) {
      problems += "  key " + std::to_string(k) + " seen with value " + std::to_string(v) +
                  ", which it never held during the call\n";
    }
  }
  if (!range.stopped_early) {
    for (const auto& [k, ops] : by_key) {
      if (visited.count(k) == 0) problems += present_throughout(k, ops, range);
    }
  }
  if (problems.empty()) return "";
  return "Range by t" + std::to_string(range.thread) + " broke Go's contract:\n" + problems;
}

}  // namespace tophash::lin
