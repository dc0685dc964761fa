#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/fd.h"
#include "filters/filters.h"
#include "filters/internal.h"

namespace pwnbox::filters {
namespace {

using config::ActionKind;
using config::Condition;
using Op = config::Condition::Op;

constexpr uint64_t kMax = ~uint64_t{0};

// The set of values one argument may take in a term: [lo, hi] minus `excl`, with the bits of
// `mask` fixed to `bits`.
struct ArgSet {
  uint64_t lo = 0, hi = kMax;
  std::vector<uint64_t> excl;
  uint64_t mask = 0, bits = 0;
  bool empty = false;

  bool IsAny() const { return !empty && lo == 0 && hi == kMax && excl.empty() && mask == 0; }

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
        if (c.value == kMax) empty = true;
        else lo = std::max(lo, c.value + 1);
        break;
      case Op::kGe: lo = std::max(lo, c.value); break;
      case Op::kMaskedEq:
        if ((mask & c.mask) && ((bits ^ c.value) & mask & c.mask)) empty = true;
        mask |= c.mask;
        bits |= c.value;
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
  // needed); nullopt when it would take more than kMaxAlternatives.
  static constexpr size_t kMaxAlternatives = 64;
  std::optional<std::vector<std::optional<EmittedRule::Cmp>>> Express(int arg) const {
    using R = std::vector<std::optional<EmittedRule::Cmp>>;
    auto cmp = [&](scmp_compare op, uint64_t a, uint64_t b = 0) {
      return std::optional<EmittedRule::Cmp>(EmittedRule::Cmp{arg, op, a, b});
    };
    if (IsAny()) return R{std::nullopt};
    // No SCMP_CMP_NE: libseccomp 2.5.4 loses some rules that mix NE with other comparisons when
    // it merges them into its tree (found by the differential test); a < p or a > p instead.
    // Split [lo, hi] at the excluded points, then write each interval.
    R r;
    uint64_t start = lo;
    std::vector<std::pair<uint64_t, uint64_t>> intervals;
    for (uint64_t x : excl) {  // sorted, strictly inside (lo, hi) after Normalize
      intervals.push_back({start, x - 1});
      start = x + 1;
    }
    intervals.push_back({start, hi});
    for (auto [a, b] : intervals) {
      if (mask == 0) {
        if (a == b) { r.push_back(cmp(SCMP_CMP_EQ, a)); continue; }
        if (a == 0) { r.push_back(cmp(SCMP_CMP_LT, b + 1)); continue; }
        if (b == kMax) { r.push_back(cmp(SCMP_CMP_GT, a - 1)); continue; }
      } else if (a == 0 && b == kMax) {
        r.push_back(cmp(SCMP_CMP_MASKED_EQ, mask, bits));
        continue;
      }
      if (b - a < 16) {
        for (uint64_t v = a;; ++v) {
          if ((v & mask) == bits) r.push_back(cmp(SCMP_CMP_EQ, v));
          if (v == b) break;
        }
      } else {
        // Prefix expansion: [a, b] as aligned power-of-two blocks, each a masked equality
        // (merged with this argument's own mask).
        uint64_t cur = a;
        for (;;) {
          int k = cur == 0 ? 64 : __builtin_ctzll(cur);
          auto last = [&](int kk) { return kk >= 64 ? kMax : cur + ((uint64_t{1} << kk) - 1); };
          while (k > 0 && (last(k) > b || last(k) < cur)) --k;
          uint64_t bmask = k >= 64 ? 0 : ~((uint64_t{1} << k) - 1);
          uint64_t bval = cur & bmask;
          if (!((bmask & mask) && ((bval ^ bits) & bmask & mask))) {
            uint64_t m = bmask | mask, v = bval | bits;
            r.push_back(m == kMax ? cmp(SCMP_CMP_EQ, v) : cmp(SCMP_CMP_MASKED_EQ, m, v));
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

uint32_t EscalationAction(const config::Policy& p, uint16_t trace_data) {
  return p.options.escalate == config::Options::Escalate::kNotify ? SCMP_ACT_NOTIFY
                                                                    : SCMP_ACT_TRACE(trace_data);
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

}  // namespace

uint32_t RuleAction(const config::Policy& p, int index, const CompileOptions& o) {
  if (index < 0) {
    const config::Action& a = p.default_action;
    if (a.kind == ActionKind::kLog) return o.kernel_only ? SCMP_ACT_ALLOW : EscalationAction(p, kTraceDefault);
    if (o.complain && a.kind != ActionKind::kAllow) return EscalationAction(p, kTraceDefault);
    return KernelAction(a);
  }
  const config::Rule& r = p.rules[index];
  uint16_t data = static_cast<uint16_t>(index + 1);
  if (r.NeedsUserSpace()) {
    if (o.kernel_only) return SCMP_ACT_ALLOW;
    // Changing the arguments of a call that then runs needs ptrace, whatever the policy's
    // escalate option: such rules stop at the tracer (DESIGN.md decision 4).
    if (r.action.kind == ActionKind::kModify) return SCMP_ACT_TRACE(data);
    // A report of a call that runs in the kernel (log = true on allow, action log) must show
    // its result, which only the tracer sees. Path rules are reported by the emulator instead.
    const bool runs = r.action.kind == ActionKind::kAllow || r.action.kind == ActionKind::kLog;
    if (runs && r.paths.empty()) return SCMP_ACT_TRACE(data);
    return EscalationAction(p, data);
  }
  if (o.complain && r.action.kind != ActionKind::kAllow) return EscalationAction(p, data);
  return KernelAction(r.action);
}

int FirstMatch(const config::Policy& p, core::Abi abi, int nr, const uint64_t args[6],
               size_t from) {
  std::string_view name = core::SyscallName(nr, abi);
  if (name.empty()) return -1;
  if (!p.options.io_uring && config::IsIoUring(name)) return kIoUringGuard;
  uint64_t a[6];
  for (int i = 0; i < 6; ++i) a[i] = abi == core::Abi::kI386 ? (args[i] & 0xffffffffu) : args[i];
  for (size_t k = from; k < p.rules.size(); ++k) {
    const config::Rule& r = p.rules[k];
    if (!r.HasSyscall(name)) continue;
    bool ok = true;
    for (const Condition& c : r.args) {
      if (abi == core::Abi::kI386) {
        Condition c32 = c;
        c32.value &= 0xffffffffu;
        c32.mask &= 0xffffffffu;
        if (!c32.Matches(a[c.arg])) ok = false;
      } else if (!c.Matches(a[c.arg])) {
        ok = false;
      }
      if (!ok) break;
    }
    if (ok) return static_cast<int>(k);
  }
  return -1;
}

namespace internal {

core::Result<Plan> MakePlan(const config::Policy& p, const CompileOptions& o) {
  Plan plan;
  plan.default_action = RuleAction(p, -1, o);
  if (o.complain) {
    plan.badarch_action = p.options.escalate == config::Options::Escalate::kNotify
                              ? SCMP_ACT_NOTIFY
                              : SCMP_ACT_TRACE(kTraceDefault);
  }
  plan.placements.resize(p.rules.size());
  if (p.options.escalate == config::Options::Escalate::kPtrace && p.rules.size() > kMaxTraceRules)
    return core::Error("too many rules for options.escalate = \"ptrace\" (" +
                       std::to_string(p.rules.size()) + ", at most " + std::to_string(kMaxTraceRules) + ")");
  std::vector<uint32_t> actions(p.rules.size());
  for (size_t k = 0; k < p.rules.size(); ++k) {
    actions[k] = RuleAction(p, static_cast<int>(k), o);
    const config::Rule& r = p.rules[k];
    if (r.NeedsUserSpace() && !o.kernel_only) {
      plan.placements[k].where = RulePlacement::Where::kEscalated;
      plan.placements[k].why = r.EscalationReason();
      plan.escalated_rules.push_back(static_cast<int>(k));
    } else if (o.complain && actions[k] != KernelAction(r.action)) {
      plan.placements[k].where = RulePlacement::Where::kEscalated;
      plan.placements[k].why = "--complain";
      plan.escalated_rules.push_back(static_cast<int>(k));
    }
  }
  // Every syscall named by a rule, plus the io_uring guard.
  std::set<std::string> names;
  for (const auto& r : p.rules) names.insert(r.names.begin(), r.names.end());
  if (!p.options.io_uring)
    for (auto n : config::kIoUringSyscalls) names.insert(std::string(n));
  std::vector<std::set<std::string>> shadowed(p.rules.size());
  for (const std::string& name : names) {
    if (!p.options.io_uring && config::IsIoUring(name)) {
      uint32_t a = SCMP_ACT_ERRNO(config::kIoUringErrno);
      if (a != plan.default_action) plan.emitted.push_back({name, a, {}, -1});
      continue;
    }
    std::vector<int> entries;
    bool negated = false, fail = false;
    std::string fail_why;
    std::vector<EmittedRule> out;
    for (size_t k = 0; k < p.rules.size(); ++k) {
      const config::Rule& r = p.rules[k];
      if (!r.HasSyscall(name)) continue;
      // Shadowed by an earlier rule of this syscall without conditions?
      int shadow = -1;
      for (int j : entries)
        if (p.rules[j].args.empty()) shadow = j;
      if (shadow >= 0) {
        if (p.rules[shadow].paths.empty()) shadowed[k].insert(name);
        plan.needs_expansion = true;
        continue;  // unreachable in the BPF
      }
      entries.push_back(static_cast<int>(k));
      if (fail) continue;
      Term base;
      for (const Condition& c : r.args) base.a[c.arg].Add(c);
      if (base.Empty()) {
        plan.warnings.push_back("rule at " + r.Location() + ": its conditions can never hold together");
        continue;
      }
      std::vector<Term> terms{base};
      for (int j : entries) {
        if (j == static_cast<int>(k) || actions[j] == actions[k]) continue;
        const config::Rule& rj = p.rules[j];
        std::vector<Term> next;
        for (const Term& t : terms) {
          Term both = t;
          for (const Condition& c : rj.args) both.a[c.arg].Add(c);
          if (both.Empty()) {  // already disjoint from rule j
            next.push_back(t);
            continue;
          }
          negated = true;
          for (const Condition& c : rj.args) {
            for (const Condition& n : Negate(c)) {
              Term x = t;
              x.a[n.arg].Add(n);
              if (!x.Empty()) next.push_back(x);
            }
          }
        }
        terms = std::move(next);
        if (terms.size() > kMaxTermsPerSyscall) {
          fail = true;
          fail_why = "more than " + std::to_string(kMaxTermsPerSyscall) + " condition sets";
          break;
        }
      }
      if (fail || actions[k] == plan.default_action) continue;
      for (const Term& t : terms) {
        std::vector<std::vector<EmittedRule::Cmp>> alts{{}};
        for (int arg = 0; arg < 6 && !fail; ++arg) {
          auto e = t.a[arg].Express(arg);
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
        for (auto& cmps : alts) out.push_back({name, actions[k], std::move(cmps), static_cast<int>(k)});
      }
      if (out.size() > kMaxTermsPerSyscall) {
        fail = true;
        fail_why = "more than " + std::to_string(kMaxTermsPerSyscall) + " condition sets";
      }
    }
    if (fail) {
      uint32_t a = EscalationAction(p, kTraceEvaluate);
      if (o.kernel_only) a = SCMP_ACT_ALLOW;
      plan.evaluated.push_back({name, fail_why});
      if (a != plan.default_action) plan.emitted.push_back({name, a, {}, -1});
      for (int k : entries)
        if (plan.placements[k].where == RulePlacement::Where::kKernel) {
          plan.placements[k].where = RulePlacement::Where::kEscalated;
          plan.placements[k].why = "for " + name + ": " + fail_why;
        }
      plan.needs_expansion = true;
      continue;
    }
    if (negated) plan.needs_expansion = true;
    // Drop duplicate condition sets of one action.
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
    if (shadowed[k].empty()) continue;
    const config::Rule& r = p.rules[k];
    auto& pl = plan.placements[k];
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
  return plan;
}

core::Result<CtxPtr> BuildContext(const config::Policy& p, const Plan& plan) {
  CtxPtr ctx(seccomp_init(plan.default_action), &seccomp_release);
  if (!ctx) return core::Error("seccomp_init failed (invalid default action)");
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, plan.badarch_action); rc < 0)
    return core::ErrnoError(-rc, "libseccomp refused the action for other ABIs");
  if (p.options.HasAbi(core::Abi::kI386)) {
    int rc = seccomp_arch_add(ctx.get(), SCMP_ARCH_X86);
    if (rc < 0 && rc != -EEXIST) return core::ErrnoError(-rc, "seccomp_arch_add(x86)");
  }
  if (p.options.HasAbi(core::Abi::kX32)) {
    int rc = seccomp_arch_add(ctx.get(), SCMP_ARCH_X32);
    if (rc < 0 && rc != -EEXIST) return core::ErrnoError(-rc, "seccomp_arch_add(x32)");
  }
  for (const EmittedRule& e : plan.emitted) {
    int nr = seccomp_syscall_resolve_name(e.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // unknown to libseccomp on every ABI of the filter
    std::vector<scmp_arg_cmp> cmps;
    for (const auto& c : e.cmps)
      cmps.push_back({static_cast<unsigned>(c.arg), static_cast<scmp_compare>(c.op), c.datum_a, c.datum_b});
    int rc = seccomp_rule_add_array(ctx.get(), e.action, nr, cmps.size(), cmps.data());
    if (rc == -EACCES) continue;  // same as the default action
    if (rc < 0) {
      std::string where = e.rule >= 0 ? " (rule at " + p.rules[e.rule].Location() + ")" : "";
      return core::ErrnoError(-rc, "libseccomp refused a rule for " + e.syscall + where);
    }
  }
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

core::Result<Program> Compile(const config::Policy& policy, const CompileOptions& options) {
  PWNBOX_ASSIGN_OR_RETURN(internal::Plan plan, internal::MakePlan(policy, options));
  PWNBOX_ASSIGN_OR_RETURN(internal::CtxPtr ctx, internal::BuildContext(policy, plan));
  Program prog;
  PWNBOX_ASSIGN_OR_RETURN(prog.bpf, internal::ExportBpf(ctx.get()));
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
