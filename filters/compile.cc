#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/fd.h"
#include "filters/bpf.h"
#include "filters/filters.h"
#include "filters/internal.h"

namespace pwnbox::filters {
namespace {

using config::ActionKind;
using config::Condition;
using Op = config::Condition::Op;

constexpr uint64_t kMax = ~uint64_t{0};

// The key of a register value for an argument of width `w`: its low bits, sign bit flipped for a
// signed type (unsigned order of keys = the C order of values).
uint64_t Flip(core::ArgWidth w) { return w.is_signed ? uint64_t{1} << (w.bits - 1) : 0; }
uint64_t Key(uint64_t raw, core::ArgWidth w) { return (raw & w.Mask()) ^ Flip(w); }

bool Fits(uint64_t v, core::ArgWidth w) {
  if (w.bits >= 64 || v <= w.Mask()) return true;
  // Written negative: sign-extended from the argument's width.
  const int64_t sv = static_cast<int64_t>(v);
  return sv < 0 && sv >= -(int64_t{1} << (w.bits - 1));
}

// `c` in the key space of an argument of width `w` (see filters.h). Fails when the value does
// not fit the argument's type.
core::Result<Condition> ToKeySpace(const Condition& c, core::ArgWidth w) {
  if (w.bits >= 64 && !w.is_signed) return c;
  Condition k = c;
  const uint64_t m = w.Mask(), f = Flip(w);
  if (!Fits(c.value, w)) return core::Error("does not fit");
  if (c.op == Op::kMaskedEq) {
    k.mask = c.mask & m;
    k.value = (c.value & m) ^ (f & k.mask);
  } else {
    k.value = (c.value & m) ^ f;
  }
  return k;
}

// The set of values one argument's key may take in a term: [lo, hi] minus `excl`, with the bits
// of `mask` fixed to `bits`; keys range over [0, max] (max = the width's mask).
struct ArgSet {
  uint64_t lo = 0, hi = kMax;
  std::vector<uint64_t> excl;
  uint64_t mask = 0, bits = 0;
  bool empty = false;
  core::ArgWidth width;  // of the argument, for Express
  uint64_t max = kMax;

  void SetWidth(core::ArgWidth w) {
    width = w;
    max = hi = w.Mask();
  }

  bool IsAny() const { return !empty && lo == 0 && hi == max && excl.empty() && mask == 0; }

  void Add(const Condition& c) {
    switch (c.op) {
      case Op::kEq: lo = std::max(lo, c.value); hi = std::min(hi, c.value); break;
      case Op::kNe: excl.push_back(c.value); break;
      case Op::kLt:
        if (c.value == 0) empty = true;
        else hi = std::min(hi, c.value - 1);
        break;
      case Op::kLe: hi = std::min(hi, c.value); break;
      case Op::kGt:
        if (c.value >= max) empty = true;
        else lo = std::max(lo, c.value + 1);
        break;
      case Op::kGe: lo = std::max(lo, c.value); break;
      case Op::kMaskedEq:
        if ((mask & c.mask) && ((bits ^ c.value) & mask & c.mask)) empty = true;
        if (c.value & ~c.mask) empty = true;  // (a & mask) can never equal it
        mask |= c.mask;
        bits |= c.value & c.mask;
        break;
    }
    Normalize();
  }

  void Normalize() {
    if (empty) return;
    if (lo > hi) {
      empty = true;
      return;
    }
    std::sort(excl.begin(), excl.end());
    excl.erase(std::unique(excl.begin(), excl.end()), excl.end());
    excl.erase(std::remove_if(excl.begin(), excl.end(), [&](uint64_t v) { return v < lo || v > hi; }),
               excl.end());
    while (!excl.empty() && excl.front() == lo) {
      if (lo == hi) {
        empty = true;
        return;
      }
      excl.erase(excl.begin());
      ++lo;
    }
    while (!excl.empty() && excl.back() == hi) {
      if (lo == hi) {
        empty = true;
        return;
      }
      excl.pop_back();
      --hi;
    }
    if (mask && lo == hi) {
      if ((lo & mask) != bits) empty = true;
      mask = bits = 0;
    }
  }

  // Alternatives (OR) of at most one libseccomp comparison each (nullopt inside: no comparison
  // needed); nullopt when it would take more than kMaxAlternatives. Intervals of keys are mapped
  // back to register values (a signed interval crossing 0 becomes two); an argument narrower
  // than 64 bits is written with MASKED_EQ inside its low bits only.
  //
  // `canonical` (Compile only): a narrow argument's range may be written on the whole register
  // (EQ/LT/GT as for 64 bits) for the canonical encodings of its values (zero-extended for an
  // unsigned type, sign-extended for a signed one), because a prologue sends every other
  // encoding to the supervisor (see Program::canonical_checks); *used is set when it was.
  static constexpr size_t kMaxAlternatives = 64;
  // `ranges`: half-lines may be written as LT/GT (false: only EQ and MASKED_EQ blocks, for the
  // syscalls whose range comparisons libseccomp mistranslated; see Compile).
  std::optional<std::vector<std::optional<EmittedRule::Cmp>>> Express(int arg, bool canonical = false,
                                                                     bool* used = nullptr,
                                                                     bool ranges = true) const {
    if (canonical && width.bits < 64 && mask == 0 && !IsAny() && lo != hi) {
      // Widening into the never-seen encodings merges intervals (`!=` becomes LT or GT) but can
      // also cost more blocks (a signed `>= 1000`): the shorter of the two.
      auto a = ExpressCanonical(arg, true, ranges), b = ExpressCanonical(arg, false, ranges);
      if (a || b) {
        if (used) *used = true;
        if (!a || (b && b->size() < a->size())) return b;
        return a;
      }
      return std::nullopt;
    }
    using R = std::vector<std::optional<EmittedRule::Cmp>>;
    auto cmp = [&](scmp_compare op, uint64_t a, uint64_t b = 0) {
      return std::optional<EmittedRule::Cmp>(EmittedRule::Cmp{arg, op, a, b});
    };
    const bool full = width.bits >= 64;
    const uint64_t flip = Flip(width);
    auto eq = [&](uint64_t v) { return full ? cmp(SCMP_CMP_EQ, v) : cmp(SCMP_CMP_MASKED_EQ, max, v); };
    if (IsAny()) return R{std::nullopt};
    // No SCMP_CMP_NE: libseccomp 2.5.4 loses some rules that mix NE with other comparisons when
    // it merges them into its tree (found by the differential test); a < p or a > p instead.
    // Split [lo, hi] at the excluded points, then write each interval.
    R r;
    uint64_t start = lo;
    std::vector<std::pair<uint64_t, uint64_t>> keys, intervals;
    for (uint64_t x : excl) {  // sorted, strictly inside (lo, hi) after Normalize
      keys.push_back({start, x - 1});
      start = x + 1;
    }
    keys.push_back({start, hi});
    for (auto [a, b] : keys) {
      if (flip == 0 || (a & flip) == (b & flip)) {
        intervals.push_back({a ^ flip, b ^ flip});
      } else {  // a negative and a non-negative part
        intervals.push_back({a ^ flip, max});
        intervals.push_back({0, b ^ flip});
      }
    }
    const uint64_t rbits = bits ^ (flip & mask);
    for (auto [a, b] : intervals) {
      if (mask == 0) {
        if (a == b) { r.push_back(eq(a)); continue; }
        if (a == 0 && b == max) { r.push_back(std::nullopt); continue; }
        if (ranges && full && a == 0) { r.push_back(cmp(SCMP_CMP_LT, b + 1)); continue; }
        if (ranges && full && b == kMax) { r.push_back(cmp(SCMP_CMP_GT, a - 1)); continue; }
      } else if (a == 0 && b == max) {
        r.push_back(cmp(SCMP_CMP_MASKED_EQ, mask, rbits));
        continue;
      }
      if (b - a < 16) {
        for (uint64_t v = a;; ++v) {
          if ((v & mask) == rbits) r.push_back(eq(v));
          if (v == b) break;
        }
      } else {
        // Prefix expansion: [a, b] as aligned power-of-two blocks, each a masked equality
        // (merged with this argument's own mask), inside the argument's width.
        const int w = width.bits;
        uint64_t cur = a;
        for (;;) {
          int k = cur == 0 ? w : std::min(w, __builtin_ctzll(cur));
          auto last = [&](int kk) { return kk >= w ? max : cur + ((uint64_t{1} << kk) - 1); };
          while (k > 0 && (last(k) > b || last(k) < cur)) --k;
          uint64_t bmask = (k >= 64 ? 0 : ~((uint64_t{1} << k) - 1)) & max;
          uint64_t bval = cur & bmask;
          if (!((bmask & mask) && ((bval ^ rbits) & bmask & mask))) {
            uint64_t m = bmask | mask, v = bval | rbits;
            if (m == max) r.push_back(eq(v));
            else if (m == 0) r.push_back(std::nullopt);
            else r.push_back(cmp(SCMP_CMP_MASKED_EQ, m, v));
          }
          if (r.size() > kMaxAlternatives) return std::nullopt;
          if (last(k) >= b) break;
          cur = last(k) + 1;
        }
      }
      if (r.size() > kMaxAlternatives) return std::nullopt;
    }
    return r;
  }

  // The key intervals as canonical register values, widened across the encodings that never
  // get here (the prologue escalates them), then written as 64-bit comparisons.
  std::optional<std::vector<std::optional<EmittedRule::Cmp>>> ExpressCanonical(int arg, bool widen,
                                                                              bool ranges = true) const {
    using R = std::vector<std::optional<EmittedRule::Cmp>>;
    auto cmp = [&](scmp_compare op, uint64_t a, uint64_t b = 0) {
      return std::optional<EmittedRule::Cmp>(EmittedRule::Cmp{arg, op, a, b});
    };
    const uint64_t flip = Flip(width);
    // Never-seen encodings: [dlo, dhi].
    const uint64_t dlo = width.is_signed ? flip : max + 1;
    const uint64_t dhi = width.is_signed ? kMax - flip : kMax;
    auto raw = [&](uint64_t key) {  // canonical register value of a key
      if (!width.is_signed) return key;
      return key < flip ? kMax - flip + 1 + key : key - flip;  // negative: sign-extended
    };
    std::vector<std::pair<uint64_t, uint64_t>> keys, iv;
    uint64_t start = lo;
    for (uint64_t x : excl) {
      keys.push_back({start, x - 1});
      start = x + 1;
    }
    keys.push_back({start, hi});
    for (auto [a, b] : keys) {
      if (width.is_signed && a < flip && b >= flip) {
        iv.push_back({raw(a), kMax});
        iv.push_back({0, raw(b)});
      } else {
        iv.push_back({raw(a), raw(b)});
      }
    }
    for (auto& [a, b] : iv) {
      if (!widen) break;
      if (b == dlo - 1) b = dhi;
      if (a == dhi + 1 && dhi != kMax) a = dlo;
    }
    std::sort(iv.begin(), iv.end());
    std::vector<std::pair<uint64_t, uint64_t>> merged;
    for (auto [a, b] : iv) {
      if (!merged.empty() && (merged.back().second == kMax || a <= merged.back().second + 1))
        merged.back().second = std::max(merged.back().second, b);
      else
        merged.push_back({a, b});
    }
    R r;
    for (auto [a, b] : merged) {
      if (a == 0 && b == kMax) r.push_back(std::nullopt);
      else if (a == b) r.push_back(cmp(SCMP_CMP_EQ, a));
      else if (ranges && a == 0) r.push_back(cmp(SCMP_CMP_LT, b + 1));
      else if (ranges && b == kMax) r.push_back(cmp(SCMP_CMP_GT, a - 1));
      else if (b - a < 16) {
        for (uint64_t v = a;; ++v) {
          r.push_back(cmp(SCMP_CMP_EQ, v));
          if (v == b) break;
        }
      } else {
        uint64_t cur = a;
        for (;;) {
          int k = cur == 0 ? 64 : __builtin_ctzll(cur);
          auto last = [&](int kk) { return kk >= 64 ? kMax : cur + ((uint64_t{1} << kk) - 1); };
          while (k > 0 && (last(k) > b || last(k) < cur)) --k;
          uint64_t bmask = k >= 64 ? 0 : ~((uint64_t{1} << k) - 1);
          r.push_back(bmask == kMax ? cmp(SCMP_CMP_EQ, cur) : cmp(SCMP_CMP_MASKED_EQ, bmask, cur & bmask));
          if (r.size() > kMaxAlternatives) return std::nullopt;
          if (last(k) >= b) break;
          cur = last(k) + 1;
        }
      }
      if (r.size() > kMaxAlternatives) return std::nullopt;
    }
    return r;
  }
};

struct Term {
  ArgSet a[6];
  bool Empty() const {
    for (const auto& s : a)
      if (s.empty) return true;
    return false;
  }
};

// Alternatives whose OR is NOT c.
std::vector<Condition> Negate(const Condition& c) {
  Condition n = c;
  switch (c.op) {
    case Op::kEq: n.op = Op::kNe; return {n};
    case Op::kNe: n.op = Op::kEq; return {n};
    case Op::kLt: n.op = Op::kGe; return {n};
    case Op::kLe: n.op = Op::kGt; return {n};
    case Op::kGt: n.op = Op::kLe; return {n};
    case Op::kGe: n.op = Op::kLt; return {n};
    case Op::kMaskedEq: {
      std::vector<Condition> out;
      for (int b = 0; b < 64; ++b) {
        uint64_t bit = uint64_t{1} << b;
        if (!(c.mask & bit)) continue;
        Condition x = c;
        x.mask = bit;
        x.value = (c.value & bit) ^ bit;
        out.push_back(x);
      }
      return out;
    }
  }
  return {};
}

uint32_t KernelAction(const config::Action& a) {
  switch (a.kind) {
    case ActionKind::kAllow: return SCMP_ACT_ALLOW;
    case ActionKind::kErrno: return SCMP_ACT_ERRNO(static_cast<uint16_t>(a.errno_value));
    case ActionKind::kKill: return SCMP_ACT_KILL_PROCESS;
    case ActionKind::kKillThread: return SCMP_ACT_KILL_THREAD;
    case ActionKind::kTrap: return SCMP_ACT_TRAP;
    default: return SCMP_ACT_ALLOW;
  }
}

// Whether `r` itself must be served through USER_NOTIF: it has paths, redirects or proxies.
bool NeedsNotify(const config::Rule& r) {
  return !r.paths.empty() || r.action.kind == ActionKind::kRedirect ||
         r.action.kind == ActionKind::kProxy;
}

// Whether a report of a call that runs is asked for (log = true on allow, action log): its
// result is only seen by the tracer.
bool ReportsRunningCall(const config::Rule& r) {
  return r.action.kind == ActionKind::kLog || (r.action.kind == ActionKind::kAllow && r.log);
}

// For a rule with `when`, whose calls fall through to the later rules when they are not its
// occurrences: the first later rule sharing a syscall with it that must be served through
// USER_NOTIF (paths, redirect, proxy), or through the tracer (modify); nullptr when none.
const config::Rule* FallThroughTo(const config::Policy& p, const config::Rule& r, bool notify) {
  if (!r.when || p.rules.empty() || &r < p.rules.data() || &r >= p.rules.data() + p.rules.size())
    return nullptr;
  for (size_t k = static_cast<size_t>(&r - p.rules.data()) + 1; k < p.rules.size(); ++k) {
    const config::Rule& later = p.rules[k];
    if (notify ? !NeedsNotify(later) : later.action.kind != ActionKind::kModify) continue;
    for (const auto& name : r.names)
      if (later.HasSyscall(name)) return &later;
  }
  return nullptr;
}

RulePlacement::Route RouteFor(config::Options::Escalate e) {
  return e == config::Options::Escalate::kNotify ? RulePlacement::Route::kNotify
                                                 : RulePlacement::Route::kPtrace;
}

// The route a rule that needs user space must take whatever its `escalate` says, and why:
// the one its action, paths or report needs (config::Rule::RequiredEscalate), else, for a rule
// with `when`, the one the later rule its other calls fall through to needs. nullopt: free.
std::optional<config::Options::Escalate> ForcedRoute(const config::Policy& p, const config::Rule& r,
                                                     std::string* why) {
  using E = config::Options::Escalate;
  if (auto need = r.RequiredEscalate(why)) return need;
  if (r.when) {
    // The calls that are not its occurrences are decided by the later rules, in the same stop:
    // the route must suit those that cannot go another way.
    if (const config::Rule* later = FallThroughTo(p, r, /*notify=*/true)) {
      if (why)
        *why = "its other calls fall through to the rule at " + later->Location() +
               ", served race-free through notify";
      return E::kNotify;
    }
    if (const config::Rule* later = FallThroughTo(p, r, /*notify=*/false)) {
      if (why)
        *why = "its other calls fall through to the modify rule at " + later->Location() +
               ": only the tracer can";
      return E::kPtrace;
    }
  }
  return std::nullopt;
}

// Where a rule's own `escalate` value is written ("file:line:col").
std::string EscalateLocation(const config::Rule& r) {
  if (r.escalate_line <= 0) return r.Location();
  return r.file + ":" + std::to_string(r.escalate_line) + ":" + std::to_string(r.escalate_column);
}

// The route of a rule that needs user space (see filters.h), and why: the forced one
// (ForcedRoute), else the rule's own `escalate`, else options.escalate. Compile refuses a rule
// whose `escalate` contradicts the forced route.
RulePlacement::Route RouteOf(const config::Policy& p, const config::Rule& r, std::string* why) {
  if (auto forced = ForcedRoute(p, r, why)) {
    if (why && !r.escalate && *forced != p.options.escalate) *why += ", whatever options.escalate says";
    return RouteFor(*forced);
  }
  if (r.escalate) {
    if (why) *why = "escalate = \"" + std::string(config::EscalateName(*r.escalate)) + "\" on the rule";
    return RouteFor(*r.escalate);
  }
  if (why) *why = "options.escalate";
  return RouteFor(p.options.escalate);
}

// The error for a rule whose own `escalate` contradicts its forced route; Ok otherwise.
core::Status CheckRuleEscalate(const config::Policy& p, const config::Rule& r) {
  if (!r.escalate) return core::Status::Ok();
  std::string why;
  auto forced = ForcedRoute(p, r, &why);
  if (!forced || *forced == *r.escalate) return core::Status::Ok();
  const std::string want(config::EscalateName(*forced));
  return core::Error(EscalateLocation(r) + ": this rule cannot go through " +
                     std::string(config::EscalateName(*r.escalate)) + ": " + why +
                     "\nhint: write escalate = \"" + want +
                     "\" (or remove it: the rule takes that route by itself)");
}

// The route for escalations that are not a rule's own needs (--complain, the default action):
// the rule's `escalate`, else options.escalate.
uint32_t EscalationAction(const config::Policy& p, int index, uint16_t trace_data) {
  config::Options::Escalate e = p.options.escalate;
  if (index >= 0 && static_cast<size_t>(index) < p.rules.size() && p.rules[index].escalate)
    e = *p.rules[index].escalate;
  return e == config::Options::Escalate::kNotify ? SCMP_ACT_NOTIFY : SCMP_ACT_TRACE(trace_data);
}

uint32_t RouteAction(RulePlacement::Route route, uint16_t trace_data) {
  return route == RulePlacement::Route::kNotify ? SCMP_ACT_NOTIFY : SCMP_ACT_TRACE(trace_data);
}

config::Condition GuardCond(int arg, Op op, uint64_t mask, uint64_t value, const char* text) {
  config::Condition c;
  c.arg = arg;
  c.op = op;
  c.mask = mask;
  c.value = value;
  c.text = text;
  return c;
}

std::vector<Guard>* BuildGuards() {
  auto make = [](int code, const char* sc, const char* text, const char* why,
                 std::vector<config::Condition> args, int err) {
    Guard g{code, sc, text, why, {}};
    g.rule.syscalls_as_written = {sc};
    g.rule.names = {sc};
    if (auto nr = core::SyscallNumber(sc)) g.rule.syscalls = {*nr};
    g.rule.args = std::move(args);
    g.rule.action = config::Action{ActionKind::kErrno, err};
    g.rule.file = "<pwnbox guard>";
    return g;
  };
  constexpr uint64_t kTiocsti = 0x5412, kTioclinux = 0x541c, kCloneUntraced = 0x00800000;
  auto* v = new std::vector<Guard>;
  v->push_back(make(kGuardTiocsti, "ioctl", "request == TIOCSTI",
                    "would type into pwnbox's terminal (fake input to the shell after the run)",
                    {GuardCond(1, Op::kEq, kMax, kTiocsti, "request == TIOCSTI")}, EPERM));
  v->push_back(make(kGuardTioclinux, "ioctl", "request == TIOCLINUX",
                    "would paste the console selection into the terminal",
                    {GuardCond(1, Op::kEq, kMax, kTioclinux, "request == TIOCLINUX")}, EPERM));
  v->push_back(make(kGuardCloneUntraced, "clone", "flags & CLONE_UNTRACED",
                    "a child pwnbox could not trace would escape its supervision (not under run's "
                    "PID-namespace lifecycle, which traces nothing)",
                    {GuardCond(0, Op::kMaskedEq, kCloneUntraced, kCloneUntraced,
                               "flags & CLONE_UNTRACED == CLONE_UNTRACED")},
                    EPERM));
  v->push_back(make(kGuardClone3, "clone3", "",
                    "BPF cannot read clone3's flags (in memory); libc falls back to clone", {}, ENOSYS));
  return v;
}

// Whether rule `r` (of syscall `name`) matches `args` for `abi`, each argument compared with its
// width.
bool ArgsMatch(const config::Rule& r, std::string_view name, core::Abi abi, const uint64_t args[6]) {
  for (const Condition& c : r.args) {
    const core::ArgWidth w = core::ArgType(name, c.arg, abi);
    auto k = ToKeySpace(c, w);
    if (!k.ok() || !k->Matches(Key(args[c.arg], w))) return false;
  }
  return true;
}

}  // namespace

bool Canonical(uint64_t v, core::ArgWidth w) {
  if (w.bits >= 64) return true;
  if (!w.is_signed) return v <= w.Mask();
  const int64_t sv = static_cast<int64_t>(v), half = int64_t{1} << (w.bits - 1);
  return sv >= -half && sv < half;
}

const std::vector<Guard>& Guards() {
  static const std::vector<Guard>* const guards = BuildGuards();
  return *guards;
}

bool GuardInForce(const Guard& g, const config::Policy& p) {
  return !(g.code == kGuardCloneUntraced && p.options.untraced_children);
}

const Guard* FindGuard(int code) {
  for (const Guard& g : Guards())
    if (g.code == code) return &g;
  return nullptr;
}

const config::Action* GuardAction(int code) {
  static const config::Action io_uring{ActionKind::kErrno, config::kIoUringErrno};
  if (code == kIoUringGuard) return &io_uring;
  const Guard* g = FindGuard(code);
  return g ? &g->rule.action : nullptr;
}

uint32_t RuleAction(const config::Policy& p, int index, const CompileOptions& o) {
  if (index < 0) {
    const config::Action& a = p.default_action;
    if (a.kind == ActionKind::kLog) return o.kernel_only ? SCMP_ACT_ALLOW : EscalationAction(p, -1, kTraceDefault);
    if (o.complain && a.kind != ActionKind::kAllow) return EscalationAction(p, -1, kTraceDefault);
    return KernelAction(a);
  }
  const config::Rule& r = p.rules[index];
  uint16_t data = static_cast<uint16_t>(index + 1);
  if (r.NeedsUserSpace()) {
    if (o.kernel_only) return SCMP_ACT_ALLOW;
    return RouteAction(RouteOf(p, r, nullptr), data);
  }
  if (o.complain && r.action.kind != ActionKind::kAllow) return EscalationAction(p, index, data);
  return KernelAction(r.action);
}

int FirstMatch(const config::Policy& p, core::Abi abi, int nr, const uint64_t args[6],
               size_t from) {
  std::string_view name = core::SyscallName(nr, abi);
  if (name.empty()) return -1;
  if (!p.options.io_uring && config::IsIoUring(name)) return kIoUringGuard;
  for (const Guard& g : Guards())
    if (GuardInForce(g, p) && name == g.syscall && ArgsMatch(g.rule, name, abi, args))
      return g.code;
  for (size_t k = from; k < p.rules.size(); ++k) {
    const config::Rule& r = p.rules[k];
    if (r.HasSyscall(name) && ArgsMatch(r, name, abi, args)) return static_cast<int>(k);
  }
  return -1;
}

namespace internal {

namespace {

// One candidate of a syscall's first-match chain: a guard or a policy rule, with its conditions
// in the key space of this syscall's arguments.
struct Entry {
  const config::Rule* rule;
  int index;  // policy rule index, or a guard code
  uint32_t action;
  std::vector<Condition> keys;
  bool guard() const { return index < -2; }
};

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// The terms (condition sets) of `base` minus every condition set of `minus`.
std::vector<Term> Subtract(std::vector<Term> terms, const std::vector<const Entry*>& minus,
                           bool* overlapped = nullptr) {
  for (const Entry* e : minus) {
    std::vector<Term> next;
    for (const Term& t : terms) {
      Term both = t;
      for (const Condition& c : e->keys) both.a[c.arg].Add(c);
      if (both.Empty()) {
        next.push_back(t);
        continue;
      }
      if (overlapped) *overlapped = true;
      for (const Condition& c : e->keys)
        for (const Condition& n : Negate(c)) {
          Term x = t;
          x.a[n.arg].Add(n);
          if (!x.Empty()) next.push_back(x);
        }
    }
    terms = std::move(next);
  }
  return terms;
}

// The entry that lets Landlock decide open/openat is chained like a guard (ahead of the rules,
// kept in the kernel when a syscall is escalated as a whole): kLandlockEntryCode.
constexpr int kLandlockEntry = kLandlockEntryCode;

// The Landlock part of `p` when `o` asks for it (landlock_plan.h); the placements of the rules it
// decides say so.
LandlockPlan PlanLandlockRoutes(const config::Policy& p, const CompileOptions& o,
                                std::vector<RulePlacement>* placements) {
  LandlockPlan none;
  if (!o.landlock) return none;
  if (o.complain || o.kernel_only) {
    none.why_not = o.complain ? "--complain reports every denial from the supervisor"
                              : "--kernel-only allows every escalated call in the kernel";
    return none;
  }
  LandlockPlan lp = PlanLandlock(p);
  for (int k : lp.tcp_rules) {
    RulePlacement& pl = (*placements)[k];
    if (pl.where != RulePlacement::Where::kEscalated) continue;
    pl.route = RulePlacement::Route::kLandlock;
    pl.route_why = "TCP ports decided by Landlock in the kernel (connect/bind on TCP sockets); "
                   "the BPF allows the syscall";
  }
  if (!lp.eligible) return lp;
  std::string names;
  for (const auto& n : lp.syscalls) names += (names.empty() ? "" : ", ") + n;
  for (int k : lp.rules) {
    RulePlacement& pl = (*placements)[k];
    if (pl.where != RulePlacement::Where::kEscalated) continue;
    pl.route = RulePlacement::Route::kLandlock;
    pl.route_why = names + " without O_CREAT/O_PATH/O_TMPFILE decided by Landlock in the kernel; "
                   "its other calls emulated by the supervisor (notify)";
  }
  return lp;
}

// A rule ahead of the policy's rules of `name` (an open call Landlock decides): calls without
// kLandlockEscalatedOpenFlags are allowed by the BPF, Landlock answers them.
config::Rule LandlockEntryRule(const std::string& name) {
  config::Rule r;
  r.syscalls_as_written = {name};
  r.names = {name};
  if (auto nr = core::SyscallNumber(name)) r.syscalls = {*nr};
  r.args = {GuardCond(LandlockFlagsArg(name), Op::kMaskedEq, kLandlockEscalatedOpenFlags, 0,
                      "flags & (O_CREAT|O_PATH|O_TMPFILE) == 0")};
  r.action = config::Action{ActionKind::kAllow, 0};
  r.file = "<pwnbox landlock>";
  return r;
}

// A rule ahead of the policy's rules of connect or bind when Landlock decides its TCP calls:
// the BPF allows every call (the rules after it allow the calls Landlock does not restrict).
config::Rule LandlockTcpEntryRule(const std::string& name) {
  config::Rule r;
  r.syscalls_as_written = {name};
  r.names = {name};
  if (auto nr = core::SyscallNumber(name)) r.syscalls = {*nr};
  r.action = config::Action{ActionKind::kAllow, 0};
  r.file = "<pwnbox landlock>";
  return r;
}

}  // namespace

core::Result<Plan> MakePlan(const config::Policy& p, const CompileOptions& o, bool canonical,
                            const std::set<std::string>* no_ranges) {
  Plan plan;
  // The prologue that makes canonical comparisons safe covers x86-64 only; i386's part of the
  // filter shares the emitted rules, so a policy with i386 keeps the exact low-word form.
  if (p.options.HasAbi(core::Abi::kI386) || p.options.HasAbi(core::Abi::kX32)) canonical = false;
  plan.default_action = RuleAction(p, -1, o);
  if (o.complain) {
    plan.badarch_action = p.options.escalate == config::Options::Escalate::kNotify
                              ? SCMP_ACT_NOTIFY
                              : SCMP_ACT_TRACE(kTraceDefault);
  }
  plan.placements.resize(p.rules.size());
  const bool some_ptrace =
      p.options.escalate == config::Options::Escalate::kPtrace ||
      std::any_of(p.rules.begin(), p.rules.end(), [](const config::Rule& r) {
        return r.escalate == config::Options::Escalate::kPtrace;
      });
  if (some_ptrace && p.rules.size() > kMaxTraceRules)
    return core::Error("too many rules for escalate = \"ptrace\" (" +
                       std::to_string(p.rules.size()) + ", at most " + std::to_string(kMaxTraceRules) + ")");
  std::vector<uint32_t> actions(p.rules.size());
  for (size_t k = 0; k < p.rules.size(); ++k) {
    const config::Rule& r = p.rules[k];
    if (r.action.kind == ActionKind::kModify && !r.paths.empty())
      return core::Error(r.Location() + ": a modify rule cannot have paths: the call runs after the change and " +
                         "the kernel reads the path again, after pwnbox checked it (a race)\n" +
                         "hint: use action = \"redirect\" (emulated from one read of the path), or drop paths");
    // A `when` rule that needs the tracer cannot hand its other calls to a rule that needs
    // USER_NOTIF (RouteOf): the tracer would carry out a path decision with the race.
    const bool tracer_only = r.action.kind == ActionKind::kModify || ReportsRunningCall(r);
    if (r.when && !NeedsNotify(r) && tracer_only)
      if (const config::Rule* later = FallThroughTo(p, r, /*notify=*/true))
        return core::Error(
            r.Location() + ": this rule goes through the tracer (" +
            (r.action.kind == ActionKind::kModify ? "action modify" : "a report of a call that runs") +
            "), but its calls that are not its occurrences (when = \"" + r.when->ToString() +
            "\") fall through to the rule at " + later->Location() +
            ", which only notify serves race-free (paths, redirect, proxy)\n" +
            "hint: narrow this rule's syscalls or args so that they do not overlap the later "
            "rule's, or move the later rule first");
    PWNBOX_RETURN_IF_ERROR(CheckRuleEscalate(p, r));
    actions[k] = RuleAction(p, static_cast<int>(k), o);
    auto& pl = plan.placements[k];
    if (r.NeedsUserSpace() && !o.kernel_only) {
      pl.where = RulePlacement::Where::kEscalated;
      pl.why = r.EscalationReason();
      pl.route = RouteOf(p, r, &pl.route_why);
      plan.escalated_rules.push_back(static_cast<int>(k));
    } else if (o.complain && actions[k] != KernelAction(r.action)) {
      pl.where = RulePlacement::Where::kEscalated;
      pl.why = "--complain";
      pl.route = RouteFor(r.escalate.value_or(p.options.escalate));
      pl.route_why = r.escalate ? "escalate = \"" + std::string(config::EscalateName(*r.escalate)) + "\" on the rule"
                                : "options.escalate";
      plan.escalated_rules.push_back(static_cast<int>(k));
    }
  }
  plan.landlock = PlanLandlockRoutes(p, o, &plan.placements);
  std::map<std::string, config::Rule> landlock_entries;
  if (plan.landlock.eligible)
    for (const auto& n : plan.landlock.syscalls) landlock_entries.emplace(n, LandlockEntryRule(n));
  // connect/bind whose TCP calls Landlock decides: the BPF allows every call (landlock_plan.h).
  if (plan.landlock.connect.handled) landlock_entries.emplace("connect", LandlockTcpEntryRule("connect"));
  if (plan.landlock.bind.handled) landlock_entries.emplace("bind", LandlockTcpEntryRule("bind"));
  // Every syscall named by a rule, plus the guards'.
  std::set<std::string> names;
  for (const auto& r : p.rules) names.insert(r.names.begin(), r.names.end());
  if (!p.options.io_uring)
    for (auto n : config::kIoUringSyscalls) names.insert(std::string(n));
  for (const Guard& g : Guards()) {
    if (!GuardInForce(g, p)) continue;
    names.insert(g.syscall);
    for (const auto& r : p.rules)
      if (r.HasSyscall(g.syscall)) plan.needs_expansion = true;  // the guard comes first
  }
  std::vector<std::set<std::string>> shadowed(p.rules.size());
  std::vector<std::map<std::string, const Guard*>> guarded(p.rules.size());
  for (const std::string& name : names) {
    if (!p.options.io_uring && config::IsIoUring(name)) {
      uint32_t a = SCMP_ACT_ERRNO(config::kIoUringErrno);
      if (a != plan.default_action) plan.emitted.push_back({name, a, {}, -1});
      continue;
    }
    std::array<core::ArgWidth, 6> widths;
    for (int i = 0; i < 6; ++i) widths[i] = core::ArgType(name, i);
    // The chain: guards, then the policy's rules, conditions in key space.
    std::vector<Entry> chain;
    for (const Guard& g : Guards()) {
      if (name != g.syscall || !GuardInForce(g, p)) continue;
      Entry e{&g.rule, g.code, KernelAction(g.rule.action), {}};
      for (const Condition& c : g.rule.args) e.keys.push_back(*ToKeySpace(c, widths[c.arg]));
      chain.push_back(std::move(e));
    }
    if (auto ll = landlock_entries.find(name); ll != landlock_entries.end()) {
      // After the guards, ahead of the policy's rules: Landlock decides these calls.
      Entry e{&ll->second, kLandlockEntry, SCMP_ACT_ALLOW, {}};
      for (const Condition& c : ll->second.args) e.keys.push_back(*ToKeySpace(c, widths[c.arg]));
      chain.push_back(std::move(e));
      plan.needs_expansion = true;
    }
    for (size_t k = 0; k < p.rules.size(); ++k) {
      const config::Rule& r = p.rules[k];
      if (!r.HasSyscall(name)) continue;
      Entry e{&r, static_cast<int>(k), actions[k], {}};
      for (const Condition& c : r.args) {
        const core::ArgWidth w = widths[c.arg];
        auto key = ToKeySpace(c, w);
        if (!key.ok())
          return core::Error(r.Location() + ": condition \"" + c.text + "\": arg" + std::to_string(c.arg) +
                             " of " + name + " is " + std::string(core::CTypeName(w)) + " (" +
                             std::to_string(w.bits) + " bits, the kernel reads only those): " + Hex(c.value) +
                             " does not fit\nhint: compare with a value of the argument's type");
        // OCI writes `==` and `&` on one width as low-word masked equalities; the other shapes
        // (ordering, !=, several widths, signed order) are written in their compiled form.
        if (w.bits < 64 || w.is_signed) {
          bool same = true;
          for (const auto& n : r.names) same = same && core::ArgType(n, c.arg) == w;
          if (!same || (c.op != Op::kEq && c.op != Op::kMaskedEq)) plan.needs_expansion = true;
        }
        e.keys.push_back(*key);
      }
      chain.push_back(std::move(e));
    }
    std::vector<const Entry*> entries;
    bool used_canonical[6] = {};
    bool negated = false, fail = false;
    std::string fail_why;
    std::vector<EmittedRule> out, guard_out;
    for (const Entry& cur : chain) {
      const int k = cur.index;
      // Shadowed by an earlier entry of this syscall without conditions?
      const Entry* shadow = nullptr;
      for (const Entry* j : entries)
        if (j->keys.empty()) shadow = j;
      if (shadow) {
        if (!cur.guard()) {
          if (shadow->guard()) {
            if (const Guard* g = FindGuard(shadow->index)) guarded[k][name] = g;  // not Landlock's
          } else if (shadow->rule->paths.empty() && shadow->rule->tcp_ports.empty() &&
                     !shadow->rule->when) {
            shadowed[k].insert(name);
          }
        }
        plan.needs_expansion = true;
        continue;  // unreachable in the BPF
      }
      entries.push_back(&cur);
      if (fail) continue;
      Term base;
      for (int i = 0; i < 6; ++i) base.a[i].SetWidth(widths[i]);
      for (const Condition& c : cur.keys) base.a[c.arg].Add(c);
      if (base.Empty()) {
        if (!cur.guard())
          plan.warnings.push_back("rule at " + cur.rule->Location() + ": its conditions can never hold together" +
                                  " for " + name);
        continue;
      }
      std::vector<const Entry*> earlier;
      for (const Entry* j : entries)
        if (j != &cur && j->action != cur.action) earlier.push_back(j);
      std::vector<Term> terms{base};
      for (const Entry* j : earlier) {
        terms = Subtract(std::move(terms), {j}, &negated);
        if (terms.size() > kMaxTermsPerSyscall) {
          fail = true;
          fail_why = "more than " + std::to_string(kMaxTermsPerSyscall) + " condition sets";
          break;
        }
      }
      if (fail || cur.action == plan.default_action) continue;
      std::vector<EmittedRule>& dest = cur.guard() ? guard_out : out;
      for (const Term& t : terms) {
        std::vector<std::vector<EmittedRule::Cmp>> alts{{}};
        for (int arg = 0; arg < 6 && !fail; ++arg) {
          auto e = t.a[arg].Express(arg, canonical, &used_canonical[arg],
                                    !(no_ranges && no_ranges->count(name)));
          if (!e) {
            fail = true;
            fail_why = "the conditions on arg" + std::to_string(arg) + " need more than " +
                       std::to_string(ArgSet::kMaxAlternatives) + " libseccomp comparisons";
            break;
          }
          std::vector<std::vector<EmittedRule::Cmp>> next;
          for (const auto& alt : alts)
            for (const auto& c : *e) {
              auto x = alt;
              if (c) x.push_back(*c);
              next.push_back(std::move(x));
            }
          alts = std::move(next);
        }
        if (fail) break;
        for (auto& cmps : alts) dest.push_back({name, cur.action, std::move(cmps), k});
      }
      if (out.size() > kMaxTermsPerSyscall) {
        fail = true;
        fail_why = "more than " + std::to_string(kMaxTermsPerSyscall) + " condition sets";
      }
    }
    if (fail) {
      // The guards stay in the kernel; every other call of the syscall goes to the supervisor,
      // through USER_NOTIF when a rule of it has paths or redirects (emulated race-free).
      // Through USER_NOTIF when a rule of it routes there (or, with no rule that needs user
      // space, when options.escalate says so); the tracer when all that do route to it.
      bool notify = p.options.escalate == config::Options::Escalate::kNotify;
      bool routed = false;
      for (const Entry* e : entries) {
        if (e->guard() || !e->rule->NeedsUserSpace()) continue;
        if (!routed) notify = false;
        routed = true;
        if (RouteOf(p, *e->rule, nullptr) == RulePlacement::Route::kNotify) notify = true;
      }
      for (const Entry* e : entries)
        if (!e->guard() && e->rule->action.kind == ActionKind::kModify) notify = false;
      uint32_t a = notify ? SCMP_ACT_NOTIFY : SCMP_ACT_TRACE(kTraceEvaluate);
      if (o.kernel_only) a = SCMP_ACT_ALLOW;
      plan.evaluated.push_back({name, fail_why});
      for (auto& g : guard_out) plan.emitted.push_back(std::move(g));
      if (a != plan.default_action) {
        std::vector<const Entry*> guards;
        for (const Entry* e : entries)
          if (e->guard()) guards.push_back(e);
        Term any;
        for (int i = 0; i < 6; ++i) any.a[i].SetWidth(widths[i]);
        for (const Term& t : Subtract({any}, guards)) {
          std::vector<std::vector<EmittedRule::Cmp>> alts{{}};
          for (int arg = 0; arg < 6; ++arg) {
            auto ex = t.a[arg].Express(arg);  // guards are small: always expressible
            std::vector<std::vector<EmittedRule::Cmp>> next;
            for (const auto& alt : alts)
              for (const auto& c : *ex) {
                auto x = alt;
                if (c) x.push_back(*c);
                next.push_back(std::move(x));
              }
            alts = std::move(next);
          }
          for (auto& cmps : alts) plan.emitted.push_back({name, a, std::move(cmps), -1});
        }
      }
      for (const Entry* e : entries) {
        if (e->guard()) continue;
        auto& pl = plan.placements[e->index];
        if (pl.where == RulePlacement::Where::kKernel) {
          pl.where = RulePlacement::Where::kEscalated;
          pl.why = "for " + name + ": " + fail_why;
          pl.route = notify ? RulePlacement::Route::kNotify : RulePlacement::Route::kPtrace;
          pl.route_why = "the whole syscall is decided by pwnbox";
        }
      }
      plan.needs_expansion = true;
      continue;
    }
    if (negated) plan.needs_expansion = true;
    uint8_t checked = 0;
    for (int i = 0; i < 6; ++i)
      if (used_canonical[i]) checked |= static_cast<uint8_t>(1u << i);
    if (checked) plan.canonical_checks.push_back({name, checked});
    // Guards first, then drop duplicate condition sets of one action.
    out.insert(out.begin(), std::make_move_iterator(guard_out.begin()), std::make_move_iterator(guard_out.end()));
    size_t first = plan.emitted.size();
    for (auto& e : out) {
      bool dup = false;
      for (size_t xi = first; xi < plan.emitted.size(); ++xi) {
        const auto& x = plan.emitted[xi];
        if (x.syscall != e.syscall || x.action != e.action || x.cmps.size() != e.cmps.size()) continue;
        bool same = true;
        for (size_t i = 0; i < e.cmps.size(); ++i) {
          const auto &a = e.cmps[i], &b = x.cmps[i];
          if (a.arg != b.arg || a.op != b.op || a.datum_a != b.datum_a || a.datum_b != b.datum_b) same = false;
        }
        if (same) dup = true;
      }
      if (!dup) plan.emitted.push_back(std::move(e));
    }
  }
  for (size_t k = 0; k < p.rules.size(); ++k) {
    const config::Rule& r = p.rules[k];
    auto& pl = plan.placements[k];
    for (const auto& [name, g] : guarded[k]) {
      // Named through a group (@process has clone3): expected, no warning.
      if (std::find(r.syscalls_as_written.begin(), r.syscalls_as_written.end(), name) == r.syscalls_as_written.end())
        continue;
      plan.warnings.push_back("rule at " + r.Location() + " is never reached for " + name + ": pwnbox's guard (" +
                              name + " -> " + g->rule.action.ToString() + ") answers every call of it: " + g->why);
    }
    if (!guarded[k].empty() && guarded[k].size() == r.names.size()) {
      pl.where = RulePlacement::Where::kShadowed;
      pl.why = "pwnbox's guard answers every call first";
      continue;
    }
    if (shadowed[k].empty()) continue;
    pl.shadowed_syscalls.assign(shadowed[k].begin(), shadowed[k].end());
    std::string list;
    for (const auto& s : pl.shadowed_syscalls) list += (list.empty() ? "" : ", ") + s;
    if (shadowed[k].size() == r.names.size()) {
      pl.where = RulePlacement::Where::kShadowed;
      pl.why = "an earlier rule without conditions matches every call first";
      plan.warnings.push_back("rule at " + r.Location() + " is never reached: earlier rules without conditions match " + list + " first");
    } else {
      plan.warnings.push_back("rule at " + r.Location() + " is never reached for " + list + ": earlier rules without conditions match them first");
    }
  }
  // A rule only the tracer can carry out, reached from an earlier path rule on the same calls:
  // those calls arrive through USER_NOTIF (the path rule's route) and fail closed (ENOSYS).
  for (size_t k = 0; k < p.rules.size() && !o.kernel_only; ++k) {
    const config::Rule& r = p.rules[k];
    if (r.RequiredEscalate() != config::Options::Escalate::kPtrace) continue;
    for (size_t j = 0; j < k; ++j) {
      const config::Rule& earlier = p.rules[j];
      if (earlier.paths.empty()) continue;
      auto shared = std::find_if(r.names.begin(), r.names.end(),
                                 [&](const std::string& n) { return earlier.HasSyscall(n); });
      if (shared == r.names.end()) continue;
      plan.warnings.push_back("rule at " + r.Location() + " needs the tracer, but the calls of " + *shared +
                              " that the path rule at " + earlier.Location() +
                              " does not match can reach it through notify (that rule's route) and fail "
                              "with ENOSYS; move it before the path rule, or give the path rule "
                              "args that exclude its calls");
      break;
    }
  }
  return plan;
}

namespace {

core::Result<CtxPtr> NewContext(const Plan& plan) {
  CtxPtr ctx(seccomp_init(plan.default_action), &seccomp_release);
  if (!ctx) return core::Error("seccomp_init failed (invalid default action)");
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, plan.badarch_action); rc < 0)
    return core::ErrnoError(-rc, "libseccomp refused the action for other ABIs");
  return ctx;
}

// Adds the emitted rules to `ctx`; `native_only`: the context has only x86-64, and syscalls
// libseccomp does not know are added by their raw x86-64 number; otherwise they are skipped.
core::Status AddRules(const config::Policy& p, const Plan& plan, scmp_filter_ctx ctx, bool native_only) {
  for (const EmittedRule& e : plan.emitted) {
    int nr = seccomp_syscall_resolve_name(e.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) {
      if (!native_only) continue;
      auto raw = core::SyscallNumber(e.syscall, core::Abi::kX86_64);
      if (!raw) continue;  // unknown on x86-64
      nr = *raw;
    }
    std::vector<scmp_arg_cmp> cmps;
    for (const auto& c : e.cmps)
      cmps.push_back({static_cast<unsigned>(c.arg), static_cast<scmp_compare>(c.op), c.datum_a, c.datum_b});
    int rc = seccomp_rule_add_array(ctx, e.action, nr, cmps.size(), cmps.data());
    if (rc == -EACCES) continue;  // same as the default action
    if (rc < 0) {
      std::string where = e.rule >= 0 ? " (rule at " + p.rules[e.rule].Location() + ")" : "";
      return core::ErrnoError(-rc, "libseccomp refused a rule for " + e.syscall + where);
    }
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<CtxPtr> BuildContext(const config::Policy& p, const Plan& plan) {
  PWNBOX_ASSIGN_OR_RETURN(CtxPtr ctx, NewContext(plan));
  const bool i386 = p.options.HasAbi(core::Abi::kI386), x32 = p.options.HasAbi(core::Abi::kX32);
  // x86-64 rules first, in a context of its own: libseccomp 2.5.4 takes syscalls it does not
  // know (newer than Linux 6.7) only as raw native numbers, which it cannot translate to the
  // other ABIs.
  PWNBOX_RETURN_IF_ERROR(AddRules(p, plan, ctx.get(), /*native_only=*/true));
  if (!i386 && !x32) return ctx;
  PWNBOX_ASSIGN_OR_RETURN(CtxPtr other, NewContext(plan));
  if (int rc = seccomp_arch_remove(other.get(), SCMP_ARCH_NATIVE); rc < 0)
    return core::ErrnoError(-rc, "seccomp_arch_remove(native)");
  if (i386) {
    int rc = seccomp_arch_add(other.get(), SCMP_ARCH_X86);
    if (rc < 0 && rc != -EEXIST) return core::ErrnoError(-rc, "seccomp_arch_add(x86)");
  }
  if (x32) {
    int rc = seccomp_arch_add(other.get(), SCMP_ARCH_X32);
    if (rc < 0 && rc != -EEXIST) return core::ErrnoError(-rc, "seccomp_arch_add(x32)");
  }
  PWNBOX_RETURN_IF_ERROR(AddRules(p, plan, other.get(), /*native_only=*/false));
  if (int rc = seccomp_merge(ctx.get(), other.get()); rc < 0) return core::ErrnoError(-rc, "seccomp_merge");
  other.release();  // seccomp_merge released it
  return ctx;
}

core::Result<std::vector<sock_filter>> ExportBpf(scmp_filter_ctx ctx) {
  core::UniqueFd fd(memfd_create("pwnbox-bpf", MFD_CLOEXEC));
  if (!fd) return core::ErrnoError(errno, "memfd_create");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) return core::ErrnoError(-rc, "seccomp_export_bpf");
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size < 0 || size % sizeof(sock_filter) != 0) return core::Error("seccomp_export_bpf wrote a partial program");
  std::vector<sock_filter> bpf(size / sizeof(sock_filter));
  if (pread(fd.get(), bpf.data(), size, 0) != size) return core::ErrnoError(errno, "reading the BPF program");
  return bpf;
}

}  // namespace internal

std::string Program::Bytes() const {
  return std::string(reinterpret_cast<const char*>(bpf.data()), bpf.size() * sizeof(sock_filter));
}

namespace internal {

std::set<std::string> MistranslatedSyscalls(const Plan& plan, const std::vector<sock_filter>& bpf) {
  auto is_range = [](int op) {
    return op == SCMP_CMP_LT || op == SCMP_CMP_LE || op == SCMP_CMP_GT || op == SCMP_CMP_GE ||
           op == SCMP_CMP_NE;
  };
  std::map<std::string, std::vector<const EmittedRule*>> by_name;
  for (const EmittedRule& e : plan.emitted) by_name[e.syscall].push_back(&e);
  std::set<std::string> bad;
  for (const auto& entry : by_name) {  // (no structured bindings: lambdas capture these)
    const std::string& name = entry.first;
    const std::vector<const EmittedRule*>& rules = entry.second;
    bool ranges = false;
    for (const EmittedRule* e : rules)
      for (const auto& c : e->cmps) ranges = ranges || is_range(c.op);
    if (!ranges) continue;
    auto nr = core::SyscallNumber(name, core::Abi::kX86_64);
    if (!nr) continue;
    // Boundary values of every comparison on each argument, with their high words varied.
    std::array<std::vector<uint64_t>, 6> cand;
    for (int a = 0; a < 6; ++a) cand[a] = {0, kMax};
    for (const EmittedRule* e : rules)
      for (const auto& c : e->cmps) {
        const uint64_t d = c.op == SCMP_CMP_MASKED_EQ ? c.datum_b : c.datum_a;
        for (uint64_t v : {d, d - 1, d + 1, d ^ (uint64_t{1} << 63), d & 0xffffffffu,
                           d | 0xffffffff00000000u, d + (uint64_t{1} << 32), d - (uint64_t{1} << 32)})
          cand[c.arg].push_back(v);
        if (c.op == SCMP_CMP_MASKED_EQ) {
          cand[c.arg].push_back(c.datum_b | ~c.datum_a);
          if (c.datum_a) cand[c.arg].push_back(c.datum_b ^ (c.datum_a & (~c.datum_a + 1)));
        }
      }
    // Arguments compared on their canonical encoding only see those (the prologue escalates
    // the others before libseccomp's code runs).
    uint8_t canonical_args = 0;
    for (const auto& [n, bits] : plan.canonical_checks)
      if (n == name) canonical_args = bits;
    for (int a = 0; a < 6; ++a) {
      auto& v = cand[a];
      if (canonical_args & (1u << a)) {
        const core::ArgWidth w = core::ArgType(name, a);
        v.erase(std::remove_if(v.begin(), v.end(), [&](uint64_t x) { return !Canonical(x, w); }),
                v.end());
        v.push_back(0);
      }
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
    }
    auto expected = [&](const __u64 args[6]) {
      for (const EmittedRule* e : rules) {
        bool all = true;
        for (const auto& c : e->cmps) {
          const uint64_t x = args[c.arg];
          switch (c.op) {
            case SCMP_CMP_EQ: all = all && x == c.datum_a; break;
            case SCMP_CMP_NE: all = all && x != c.datum_a; break;
            case SCMP_CMP_LT: all = all && x < c.datum_a; break;
            case SCMP_CMP_LE: all = all && x <= c.datum_a; break;
            case SCMP_CMP_GT: all = all && x > c.datum_a; break;
            case SCMP_CMP_GE: all = all && x >= c.datum_a; break;
            case SCMP_CMP_MASKED_EQ: all = all && (x & c.datum_a) == c.datum_b; break;
            default: all = false; break;
          }
        }
        if (all) return e->action;
      }
      return plan.default_action;
    };
    // Every combination when there are few, else a fixed pseudo-random sample of them.
    size_t combos = 1;
    for (const auto& v : cand) combos = std::min<size_t>(combos * v.size(), size_t{1} << 40);
    const size_t samples = std::min<size_t>(combos, 20000);
    uint64_t rng = 0x9e3779b97f4a7c15u ^ static_cast<uint64_t>(*nr);
    for (size_t i = 0; i < samples; ++i) {
      seccomp_data d{};
      d.nr = *nr;
      d.arch = AUDIT_ARCH_X86_64;
      size_t rest = i;
      for (int a = 0; a < 6; ++a) {
        size_t pick;
        if (combos <= samples) {
          pick = rest % cand[a].size();
          rest /= cand[a].size();
        } else {
          rng ^= rng << 13;
          rng ^= rng >> 7;
          rng ^= rng << 17;
          pick = rng % cand[a].size();
        }
        d.args[a] = cand[a][pick];
      }
      if (RunBpf(bpf, d) != expected(d.args)) {
        bad.insert(name);
        break;
      }
    }
  }
  return bad;
}

// Builds the context in a child process that must finish within a few seconds (libseccomp
// 2.5.4 loops on some rule sets with several range comparisons; the parent cannot interrupt it).
// Only when the plan has range comparisons: other plans never get there.
bool RangesHangLibseccomp(const config::Policy& policy, const Plan& plan) {
  bool ranges = false;
  for (const auto& e : plan.emitted)
    for (const auto& c : e.cmps) ranges = ranges || (c.op != SCMP_CMP_EQ && c.op != SCMP_CMP_MASKED_EQ);
  if (!ranges) return false;
  int done[2];
  if (pipe2(done, O_CLOEXEC) != 0) return false;
  const pid_t pid = fork();
  if (pid < 0) {
    close(done[0]);
    close(done[1]);
    return false;
  }
  if (pid == 0) {
    close(done[0]);
    auto ctx = BuildContext(policy, plan);
    if (ctx.ok()) (void)ExportBpf(ctx->get());
    char c = 'd';
    ssize_t ignored = write(done[1], &c, 1);
    (void)ignored;
    _exit(0);
  }
  close(done[1]);
  pollfd p{done[0], POLLIN, 0};
  int n;
  do {
    n = poll(&p, 1, 5000);
  } while (n < 0 && errno == EINTR);
  const bool hung = n == 0;
  if (hung) kill(pid, SIGKILL);
  close(done[0]);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  return hung;
}

}  // namespace internal

core::Result<Program> Compile(const config::Policy& policy, const CompileOptions& options) {
  // libseccomp 2.5.4 writes some 64-bit range comparisons wrongly when a syscall has other
  // rules (the BPF allowed calls the rules trap: tests/fuzz/findings/). The program is checked
  // against the rules it was built from, and a syscall it got wrong is written again with
  // equality blocks only (more instructions, never wrong); a second failure is an error, never
  // a filter that disagrees with its policy.
  std::set<std::string> no_ranges;
  internal::Plan plan;
  internal::CtxPtr ctx(nullptr, seccomp_release);
  Program prog;
  for (;;) {
    PWNBOX_ASSIGN_OR_RETURN(plan, internal::MakePlan(policy, options, /*canonical=*/true, &no_ranges));
    if (internal::RangesHangLibseccomp(policy, plan)) {
      // libseccomp 2.5.4 never returns from some rule sets with several range comparisons:
      // those syscalls are written with equality blocks only (or decided by the supervisor).
      bool again = false;
      for (const auto& e : plan.emitted)
        for (const auto& c : e.cmps)
          if (c.op != SCMP_CMP_EQ && c.op != SCMP_CMP_MASKED_EQ)
            again = no_ranges.insert(e.syscall).second || again;
      if (again) continue;
      return core::Error("libseccomp does not finish compiling the policy " + policy.source +
                         "; simplify its argument conditions (nothing was loaded)");
    }
    PWNBOX_ASSIGN_OR_RETURN(ctx, internal::BuildContext(policy, plan));
    PWNBOX_ASSIGN_OR_RETURN(prog.bpf, internal::ExportBpf(ctx.get()));
    std::set<std::string> bad = internal::MistranslatedSyscalls(plan, prog.bpf);
    if (bad.empty()) break;
    bool again = false;
    for (const auto& name : bad) again = no_ranges.insert(name).second || again;
    if (!again)
      return core::Error("libseccomp wrote a filter for " + *bad.begin() + " that disagrees with the " +
                         "policy " + policy.source + " even without range comparisons; simplify its " +
                         "argument conditions (nothing was loaded)");
  }
  // libseccomp 2.5.4 counts instructions in 16 bits: past 65535 it writes a truncated program.
  // A truncated program has jumps past its end or does not end with a return.
  bool truncated = prog.bpf.empty() || BPF_CLASS(prog.bpf.back().code) != BPF_RET;
  for (size_t i = 0; i < prog.bpf.size() && !truncated; ++i) {
    const sock_filter& f = prog.bpf[i];
    if (BPF_CLASS(f.code) != BPF_JMP) continue;
    size_t far = BPF_OP(f.code) == BPF_JA ? f.k : std::max(f.jt, f.jf);
    if (i + 1 + far >= prog.bpf.size()) truncated = true;
  }
  if (truncated)
    return core::Error("policy " + policy.source + " is too large: its filter has more than 65535 BPF " +
                       "instructions and the kernel accepts at most " + std::to_string(kMaxInstructions) +
                       "; merge rules, drop argument conditions, or split it (nothing was loaded)");
  if (prog.bpf.size() > kMaxInstructions)
    return core::Error("policy " + policy.source + " is too large: its filter has " +
                       std::to_string(prog.bpf.size()) + " BPF instructions and the kernel accepts at most " +
                       std::to_string(kMaxInstructions) +
                       "; merge rules, drop argument conditions, or split it (nothing was loaded)");
  // Canonical checks: for the syscalls whose narrow arguments were compared on the whole
  // register, every other encoding of those arguments (junk in the upper half) goes to the
  // supervisor, which decides with FirstMatch on the low bits (as the kernel reads them).
  if (!plan.canonical_checks.empty()) {
    // Through USER_NOTIF when a rule of one of those syscalls routes there (a path decision is
    // race-free only there: through the tracer an allowed path would be read again by the
    // kernel), else options.escalate.
    bool notify = policy.options.escalate == config::Options::Escalate::kNotify;
    for (const auto& check : plan.canonical_checks)
      for (size_t k = 0; k < policy.rules.size(); ++k)
        if (policy.rules[k].HasSyscall(check.first) &&
            plan.placements[k].route == RulePlacement::Route::kNotify)
          notify = true;
    const uint32_t esc = options.kernel_only ? SCMP_ACT_ALLOW
                         : notify ? SCMP_ACT_NOTIFY
                                  : SCMP_ACT_TRACE(kTraceEvaluate);
    // One block per syscall: ld nr; jeq NR (else next block); per argument: the upper half
    // against what the low half implies (0, or 0xffffffff for a negative signed value), a
    // failing check to the block's `ret esc`; all canonical: ja to the program.
    constexpr uint8_t kEsc = 0xfe;
    std::vector<sock_filter> body;
    for (const auto& [name, args] : plan.canonical_checks) {
      auto nr = core::SyscallNumber(name, core::Abi::kX86_64);
      if (!nr) continue;
      std::vector<sock_filter> b;
      for (int i = 0; i < 6; ++i) {
        if (!(args & (1u << i))) continue;
        const core::ArgWidth w = core::ArgType(name, i);
        const uint32_t lo_off = static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * i), hi_off = lo_off + 4;
        if (!w.is_signed) {
          b.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, hi_off));
          b.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, kEsc));
          if (w.bits < 32) {
            b.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo_off));
            b.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, ~static_cast<uint32_t>(w.Mask()), kEsc, 0));
          }
        } else {  // signed 32-bit (the only signed narrow width)
          b.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo_off));
          b.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80000000u, 0, 2));
          b.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, hi_off));
          b.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 2, kEsc));
          b.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, hi_off));
          b.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, kEsc));
        }
      }
      b.push_back(BPF_STMT(BPF_JMP | BPF_JA, 0));  // to the program: k set below
      b.push_back(BPF_STMT(BPF_RET | BPF_K, esc));
      const size_t esc_at = b.size() - 1;
      for (size_t k = 0; k < b.size(); ++k) {
        if (BPF_CLASS(b[k].code) != BPF_JMP || BPF_OP(b[k].code) == BPF_JA) continue;
        if (b[k].jt == kEsc) b[k].jt = static_cast<uint8_t>(esc_at - (k + 1));
        if (b[k].jf == kEsc) b[k].jf = static_cast<uint8_t>(esc_at - (k + 1));
      }
      body.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
      body.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(*nr), 0,
                              static_cast<uint8_t>(b.size())));
      body.insert(body.end(), b.begin(), b.end());
    }
    if (!body.empty()) {
      std::vector<sock_filter> pro;
      pro.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
      pro.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
      pro.push_back(BPF_STMT(BPF_JMP | BPF_JA, static_cast<uint32_t>(body.size())));
      pro.insert(pro.end(), body.begin(), body.end());
      const size_t end = pro.size();
      for (size_t k = 3; k < pro.size(); ++k)
        if (pro[k].code == (BPF_JMP | BPF_JA)) pro[k].k = static_cast<uint32_t>(end - (k + 1));
      prog.bpf.insert(prog.bpf.begin(), pro.begin(), pro.end());
      plan.emitted.push_back({"", esc, {}, -1});  // for uses_notify/uses_trace
      prog.canonical_checks = plan.canonical_checks;
      if (prog.bpf.size() > kMaxInstructions)
        return core::Error("policy " + policy.source + " is too large: its filter has " +
                           std::to_string(prog.bpf.size()) + " BPF instructions and the kernel accepts at most " +
                           std::to_string(kMaxInstructions) + " (nothing was loaded)");
    }
  }
  // libseccomp 2.5.4 cannot put the syscalls it does not know into the i386 part of the filter:
  // a prologue decides them for i386 (their own action when it does not depend on arguments,
  // otherwise the supervisor's FirstMatch, which knows every syscall of every ABI).
  if (policy.options.HasAbi(core::Abi::kI386)) {
    std::vector<std::pair<int, uint32_t>> cases;
    std::set<std::string> done;
    for (const auto& e : plan.emitted) {
      if (core::LibseccompKnows(e.syscall) || !done.insert(e.syscall).second) continue;
      auto nr = core::SyscallNumber(e.syscall, core::Abi::kI386);
      if (!nr) continue;
      uint32_t action = e.action;
      bool notify = false, varies = false;
      for (const auto& x : plan.emitted) {
        if (x.syscall != e.syscall) continue;
        if ((x.action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF) notify = true;
        if (!x.cmps.empty() || x.action != e.action) varies = true;
      }
      if (varies) {
        action = notify || policy.options.escalate == config::Options::Escalate::kNotify ? SCMP_ACT_NOTIFY
                                                                                         : SCMP_ACT_TRACE(kTraceEvaluate);
        if (options.kernel_only) action = SCMP_ACT_ALLOW;
        plan.evaluated.push_back({e.syscall, "i386: libseccomp 2.5.4 does not know it"});
      }
      cases.push_back({*nr, action});
      plan.emitted.push_back({e.syscall, action, {}, -1});  // for uses_notify/uses_trace
    }
    if (!cases.empty()) {
      std::vector<sock_filter> pro;
      pro.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
      pro.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0,
                             static_cast<uint8_t>(1 + 2 * cases.size())));
      pro.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
      for (auto [nr, action] : cases) {
        pro.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
        pro.push_back(BPF_STMT(BPF_RET | BPF_K, action));
      }
      prog.bpf.insert(prog.bpf.begin(), pro.begin(), pro.end());
      if (prog.bpf.size() > kMaxInstructions)
        return core::Error("policy " + policy.source + " is too large: its filter has " +
                           std::to_string(prog.bpf.size()) + " BPF instructions and the kernel accepts at most " +
                           std::to_string(kMaxInstructions) + " (nothing was loaded)");
    }
  }
  prog.default_action = plan.default_action;
  for (const auto& e : plan.emitted) {
    if ((e.action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF) prog.uses_notify = true;
    if ((e.action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE) prog.uses_trace = true;
  }
  for (uint32_t a : {plan.default_action, plan.badarch_action}) {
    if ((a & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF) prog.uses_notify = true;
    if ((a & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE) prog.uses_trace = true;
  }
  prog.rules = std::move(plan.placements);
  prog.escalated_rules = std::move(plan.escalated_rules);
  prog.landlock = std::move(plan.landlock);
  prog.evaluated_syscalls = std::move(plan.evaluated);
  prog.emitted = std::move(plan.emitted);
  prog.warnings = std::move(plan.warnings);
  return prog;
}

core::Result<std::string> ExportPfc(const config::Policy& policy, const CompileOptions& options) {
  PWNBOX_ASSIGN_OR_RETURN(internal::Plan plan, internal::MakePlan(policy, options));
  PWNBOX_ASSIGN_OR_RETURN(internal::CtxPtr ctx, internal::BuildContext(policy, plan));
  core::UniqueFd fd(memfd_create("pwnbox-pfc", MFD_CLOEXEC));
  if (!fd) return core::ErrnoError(errno, "memfd_create");
  int rc = seccomp_export_pfc(ctx.get(), fd.get());
  if (rc < 0) return core::ErrnoError(-rc, "seccomp_export_pfc");
  off_t size = lseek(fd.get(), 0, SEEK_END);
  std::string out(size, '\0');
  if (pread(fd.get(), out.data(), size, 0) != size) return core::ErrnoError(errno, "reading the PFC");
  return out;
}

}  // namespace pwnbox::filters
