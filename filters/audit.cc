#include "filters/audit.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "filters/bpf.h"
#include "filters/filters.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

namespace pwnbox::filters {
namespace {

using config::ActionKind;
using config::Condition;
using core::Abi;
using Op = config::Condition::Op;
using Args = std::array<uint64_t, 6>;

constexpr uint32_t kX32Bit = 0x40000000;
constexpr int kUnusedNr = 999;  // no ABI has it: what a filter does with it is its default
constexpr uint64_t kTiocsti = 0x5412, kTioclinux = 0x541c;
constexpr uint64_t kCloneFork = 0x11;  // SIGCHLD | (no CLONE_VM): what fork() passes

struct NamedFlag {
  const char* name;
  uint64_t value;
};
constexpr NamedFlag kNamespaceFlags[] = {
    {"CLONE_NEWUSER", 0x10000000}, {"CLONE_NEWNS", 0x00020000},  {"CLONE_NEWPID", 0x20000000},
    {"CLONE_NEWNET", 0x40000000},  {"CLONE_NEWUTS", 0x04000000}, {"CLONE_NEWIPC", 0x08000000},
    {"CLONE_NEWCGROUP", 0x02000000},
};

// ---------------------------------------------------------------------------------------------
// Models: what happens to one call.

enum class Verdict { kAllow, kDeny, kUser };

struct Outcome {
  Verdict verdict = Verdict::kAllow;
  bool explicit_rule = false;  // decided by a rule (policy) / not the filter's default (BPF)
  std::string by;              // "p.toml:4:1", "p.toml (default)", "" for BPF
  std::string action;          // "errno:EPERM", "ERRNO(EPERM)", ...
};

class Model {
 public:
  virtual ~Model() = default;
  // `nr` as the ABI numbers it (x32 without bit 30).
  virtual Outcome Eval(Abi abi, int nr, const Args& a) const = 0;
  // Canonical values worth trying for argument `arg` of `name` (besides 0).
  virtual std::set<uint64_t> Constants(std::string_view name, int arg) const = 0;
  // Argument vectors worth trying as a whole (every condition of a rule satisfied at once; for
  // BPF, one per path of the program to a return).
  virtual std::vector<Args> WholeProbes(std::string_view, Abi = Abi::kX86_64) const { return {}; }
  // Where findings about syscall `name` point when no rule is known.
  virtual std::string SyscallWhere(std::string_view name) const { return "syscall " + std::string(name); }
  virtual bool IsBpf() const { return false; }
};

// Key space of an argument (filters.h): low bits, sign bit flipped for signed types.
uint64_t Flip(core::ArgWidth w) { return w.is_signed ? uint64_t{1} << (w.bits - 1) : 0; }
uint64_t Key(uint64_t raw, core::ArgWidth w) { return (raw & w.Mask()) ^ Flip(w); }
bool Fits(uint64_t v, core::ArgWidth w) {
  if (w.bits >= 64 || v <= w.Mask()) return true;
  const int64_t sv = static_cast<int64_t>(v);
  return sv < 0 && sv >= -(int64_t{1} << (w.bits - 1));
}
// The canonical 64-bit encoding of the value the kernel reads from `raw`.
uint64_t Canon(uint64_t raw, core::ArgWidth w) {
  if (w.bits >= 64) return raw;
  uint64_t low = raw & w.Mask();
  if (w.is_signed && (low >> (w.bits - 1)) & 1) low |= ~w.Mask();
  return low;
}

bool CondMatches(const Condition& c, uint64_t raw, core::ArgWidth w, bool whole_register) {
  if (whole_register || (w.bits >= 64 && !w.is_signed)) return c.Matches(raw);
  if (!Fits(c.value, w)) return false;
  Condition k = c;
  if (c.op == Op::kMaskedEq) {
    k.mask = c.mask & w.Mask();
    k.value = (c.value & w.Mask()) ^ (Flip(w) & k.mask);
  } else {
    k.value = (c.value & w.Mask()) ^ Flip(w);
  }
  return k.Matches(Key(raw, w));
}

Verdict VerdictOf(const config::Action& a) {
  switch (a.kind) {
    case ActionKind::kAllow:
    case ActionKind::kLog: return Verdict::kAllow;
    case ActionKind::kErrno:
    case ActionKind::kKill:
    case ActionKind::kKillThread:
    case ActionKind::kTrap:
    case ActionKind::kReturn: return Verdict::kDeny;
    default: return Verdict::kUser;
  }
}

class PolicyModel : public Model {
 public:
  // `guards`: pwnbox's built-in guards ahead of the rules (pwnbox run). `whole_register`:
  // conditions compared on the 64-bit register, as libseccomp does for an OCI profile in runc.
  PolicyModel(const config::Policy& p, bool oci, bool guards, bool whole_register)
      : p_(p), oci_(oci), guards_(guards), whole_(whole_register) {}

  std::string RuleWhere(int k) const {
    const config::Rule& r = p_.rules[k];
    if (oci_) return r.file + ": syscalls[" + std::to_string(r.line - 1) + "]";
    return r.Location();
  }
  std::string DefaultWhere() const { return p_.source + " (default)"; }
  std::string SyscallWhere(std::string_view) const override { return DefaultWhere(); }

  Outcome Eval(Abi abi, int nr, const Args& a) const override {
    if (!p_.options.HasAbi(abi)) return {Verdict::kDeny, false, "abi", "kill"};
    std::string_view name = core::SyscallName(abi == Abi::kX32 ? nr | kX32Bit : nr, abi);
    if (!name.empty() && !p_.options.io_uring && config::IsIoUring(name))
      return {Verdict::kDeny, false, "pwnbox io_uring guard", "errno:ENOSYS"};
    if (!name.empty() && guards_) {
      for (const Guard& g : Guards())
        if (GuardInForce(g, p_) && name == g.syscall && Matches(g.rule, name, abi, a))
          return {Verdict::kDeny, false, "pwnbox guard", g.rule.action.ToString()};
    }
    if (!name.empty()) {
      for (size_t k = 0; k < p_.rules.size(); ++k) {
        const config::Rule& r = p_.rules[k];
        if (!r.HasSyscall(name) || !Matches(r, name, abi, a)) continue;
        Outcome o{VerdictOf(r.action), true, RuleWhere(static_cast<int>(k)), r.action.ToString()};
        if (!r.paths.empty() || r.when) {
          o.verdict = Verdict::kUser;
          o.action += r.paths.empty() ? " (when)" : " (on paths)";
        }
        return o;
      }
    }
    return {VerdictOf(p_.default_action), false, DefaultWhere(), p_.default_action.ToString()};
  }

  std::set<uint64_t> Constants(std::string_view name, int arg) const override {
    std::set<uint64_t> out;
    const core::ArgWidth w = core::ArgType(name, arg);
    auto add = [&](uint64_t v) {
      out.insert(Canon(v, w));
      if (whole_) out.insert(v);
    };
    auto from = [&](const config::Rule& r) {
      if (!r.HasSyscall(name)) return;
      for (const Condition& c : r.args) {
        if (c.arg != arg) continue;
        for (uint64_t v : {c.value, c.value + 1, c.value - 1}) add(v);
        if (c.op == Op::kMaskedEq) {
          add(c.mask);
          add(c.value | (c.mask & ~(c.mask - 1)));
          add(c.value ^ (c.mask & ~(c.mask - 1)));
        }
      }
    };
    for (const config::Rule& r : p_.rules) from(r);
    if (guards_)
      for (const Guard& g : Guards()) from(g.rule);
    return out;
  }

  std::vector<Args> WholeProbes(std::string_view name, Abi = Abi::kX86_64) const override {
    std::vector<Args> out;
    for (const config::Rule& r : p_.rules) {
      if (!r.HasSyscall(name) || r.args.size() < 2) continue;
      Args a{};
      for (const Condition& c : r.args) {
        switch (c.op) {
          case Op::kGt:
          case Op::kNe: a[c.arg] = c.value + 1; break;
          case Op::kLt: a[c.arg] = c.value - 1; break;
          default: a[c.arg] = c.value;
        }
      }
      out.push_back(a);
    }
    return out;
  }

 private:
  bool Matches(const config::Rule& r, std::string_view name, Abi abi, const Args& a) const {
    for (const Condition& c : r.args)
      if (!CondMatches(c, a[c.arg], core::ArgType(name, c.arg, abi), whole_)) return false;
    return true;
  }

  const config::Policy& p_;
  bool oci_, guards_, whole_;
};

// Path exploration of one BPF program for a known (arch, nr): the arch and number branches are
// taken concretely, every branch on an argument word forks with its condition, and each path that
// reaches a return yields argument values satisfying its conditions (when the solver finds them).
// Words: 2*i is argument i's low half, 2*i+1 its high half.
struct WordCond {
  uint32_t mask;
  uint16_t op;  // BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET
  uint32_t k;
  bool truth;
  bool Holds(uint32_t v) const {
    const uint32_t a = v & mask;
    bool r = false;
    switch (op) {
      case BPF_JEQ: r = a == k; break;
      case BPF_JGT: r = a > k; break;
      case BPF_JGE: r = a >= k; break;
      case BPF_JSET: r = (a & k) != 0; break;
    }
    return r == truth;
  }
};

bool SolveWord(const std::vector<WordCond>& cs, uint32_t* out) {
  if (cs.empty()) {
    *out = 0;
    return true;
  }
  auto ok = [&](uint32_t v) {
    for (const WordCond& c : cs)
      if (!c.Holds(v)) return false;
    return true;
  };
  // Bits the true equalities fix, and bits true JSETs need.
  uint32_t fixed_mask = 0, fixed = 0, want = 0;
  for (const WordCond& c : cs) {
    if (c.op == BPF_JEQ && c.truth) {
      fixed_mask |= c.mask;
      fixed = (fixed & ~c.mask) | (c.k & c.mask);
    } else if (c.op == BPF_JSET && c.truth) {
      const uint32_t bits = c.k & c.mask;
      want |= bits & (~bits + 1);
    }
  }
  std::vector<uint32_t> cands = {0, 0xffffffff, want, ~want};
  for (const WordCond& c : cs)
    for (uint32_t v : {c.k, c.k + 1, c.k - 1, c.k & c.mask, ~c.k, c.k | ~c.mask, ~c.mask}) cands.push_back(v);
  for (uint32_t v : cands) {
    for (uint32_t x : {v, (v & ~fixed_mask) | fixed, ((v | want) & ~fixed_mask) | fixed}) {
      if (ok(x)) {
        *out = x;
        return true;
      }
    }
  }
  return false;
}

void ExplorePaths(const std::vector<sock_filter>& prog, uint32_t arch, uint32_t nr, std::vector<Args>* out) {
  struct Src {
    enum Kind : uint8_t { kKnown, kWord, kUnknown } kind = kKnown;
    uint32_t value = 0;  // kKnown
    int word = 0;        // kWord: (word & mask)
    uint32_t mask = 0xffffffff;
  };
  struct State {
    size_t pc = 0;
    Src a, x, mem[BPF_MEMWORDS];
    std::array<std::vector<WordCond>, 12> conds;
  };
  constexpr size_t kMaxPaths = 256, kMaxSteps = 200000;
  size_t paths = 0, steps = 0;
  std::vector<State> stack(1);
  auto emit = [&](const State& st) {
    Args a{};
    for (int w = 0; w < 12; ++w) {
      uint32_t v = 0;
      if (!SolveWord(st.conds[w], &v)) return;
      a[w / 2] |= static_cast<uint64_t>(v) << (w % 2 ? 32 : 0);
    }
    out->push_back(a);
  };
  while (!stack.empty() && paths < kMaxPaths && steps < kMaxSteps) {
    State st = std::move(stack.back());
    stack.pop_back();
    while (st.pc < prog.size() && ++steps < kMaxSteps) {
      const sock_filter& f = prog[st.pc++];
      const uint16_t cls = BPF_CLASS(f.code);
      if (cls == BPF_RET) {
        ++paths;
        emit(st);
        break;
      }
      if (cls == BPF_LD || cls == BPF_LDX) {
        Src v;
        if (BPF_MODE(f.code) == BPF_IMM) {
          v = {Src::kKnown, f.k};
        } else if (BPF_MODE(f.code) == BPF_MEM && f.k < BPF_MEMWORDS) {
          v = st.mem[f.k];
        } else if (BPF_MODE(f.code) == BPF_LEN) {
          v = {Src::kKnown, static_cast<uint32_t>(sizeof(seccomp_data))};
        } else if (BPF_MODE(f.code) == BPF_ABS && cls == BPF_LD) {
          if (f.k == 0) v = {Src::kKnown, nr};
          else if (f.k == 4) v = {Src::kKnown, arch};
          else if (f.k < 16) v = {Src::kKnown, 0};  // instruction_pointer: probes say 0
          else if (f.k < 64 && f.k % 4 == 0) v = {Src::kWord, 0, static_cast<int>((f.k - 16) / 4)};
          else v.kind = Src::kUnknown;
        } else {
          v.kind = Src::kUnknown;
        }
        (cls == BPF_LD ? st.a : st.x) = v;
      } else if (cls == BPF_ST || cls == BPF_STX) {
        if (f.k < BPF_MEMWORDS) st.mem[f.k] = cls == BPF_ST ? st.a : st.x;
      } else if (cls == BPF_MISC) {
        if (BPF_MISCOP(f.code) == BPF_TAX) st.x = st.a;
        else st.a = st.x;
      } else if (cls == BPF_ALU) {
        const bool use_k = BPF_SRC(f.code) == BPF_K;
        if (!use_k && st.x.kind != Src::kKnown) {
          st.a.kind = Src::kUnknown;
          continue;
        }
        const uint32_t k = use_k ? f.k : st.x.value;
        if (st.a.kind == Src::kKnown) {
          uint32_t& A = st.a.value;
          switch (BPF_OP(f.code)) {
            case BPF_ADD: A += k; break;
            case BPF_SUB: A -= k; break;
            case BPF_MUL: A *= k; break;
            case BPF_DIV: A = k ? A / k : 0; break;
            case BPF_MOD: A = k ? A % k : 0; break;
            case BPF_AND: A &= k; break;
            case BPF_OR: A |= k; break;
            case BPF_XOR: A ^= k; break;
            case BPF_LSH: A = k < 32 ? A << k : 0; break;
            case BPF_RSH: A = k < 32 ? A >> k : 0; break;
            case BPF_NEG: A = -A; break;
            default: st.a.kind = Src::kUnknown;
          }
        } else if (st.a.kind == Src::kWord && BPF_OP(f.code) == BPF_AND) {
          st.a.mask &= k;
        } else {
          st.a.kind = Src::kUnknown;
        }
      } else if (cls == BPF_JMP) {
        if (BPF_OP(f.code) == BPF_JA) {
          st.pc += f.k;
          continue;
        }
        const bool use_k = BPF_SRC(f.code) == BPF_K;
        if (!use_k && st.x.kind != Src::kKnown) {  // unknown operand: both ways, unconstrained
          State other = st;
          other.pc += f.jf;
          stack.push_back(std::move(other));
          st.pc += f.jt;
          continue;
        }
        const uint32_t k = use_k ? f.k : st.x.value;
        if (st.a.kind == Src::kKnown) {
          WordCond c{0xffffffff, static_cast<uint16_t>(BPF_OP(f.code)), k, true};
          st.pc += c.Holds(st.a.value) ? f.jt : f.jf;
          continue;
        }
        if (st.a.kind == Src::kUnknown) {
          State other = st;
          other.pc += f.jf;
          stack.push_back(std::move(other));
          st.pc += f.jt;
          continue;
        }
        // A word: fork, keeping each side only when its conditions can hold.
        const int w = st.a.word;
        State other = st;
        other.conds[w].push_back({st.a.mask, static_cast<uint16_t>(BPF_OP(f.code)), k, false});
        other.pc += f.jf;
        uint32_t dummy;
        if (SolveWord(other.conds[w], &dummy)) stack.push_back(std::move(other));
        st.conds[w].push_back({st.a.mask, static_cast<uint16_t>(BPF_OP(f.code)), k, true});
        st.pc += f.jt;
        if (!SolveWord(st.conds[w], &dummy)) break;
      } else {
        break;  // not a seccomp instruction: RunBpf kills
      }
    }
  }
}

// Kernel precedence of a SECCOMP_RET_* value: lower wins.
int32_t Precedence(uint32_t ret) { return static_cast<int32_t>(ret & SECCOMP_RET_ACTION_FULL); }

class BpfModel : public Model {
 public:
  explicit BpfModel(const std::vector<std::vector<sock_filter>>& filters) : filters_(filters) {
    for (const auto& prog : filters_) Scan(prog);
    default_[0] = Run(AUDIT_ARCH_X86_64, kUnusedNr, {});
    default_[1] = Run(AUDIT_ARCH_I386, kUnusedNr, {});
    default_[2] = Run(AUDIT_ARCH_X86_64, kUnusedNr | kX32Bit, {});
  }

  bool IsBpf() const override { return true; }
  uint32_t DefaultRet(Abi abi = Abi::kX86_64) const { return default_[static_cast<int>(abi)]; }

  uint32_t Run(uint32_t arch, uint32_t nr, const Args& a) const {
    seccomp_data d{};
    d.nr = static_cast<int>(nr);
    d.arch = arch;
    for (int i = 0; i < 6; ++i) d.args[i] = a[i];
    uint32_t best = SECCOMP_RET_ALLOW;
    bool first = true;
    for (const auto& prog : filters_) {
      uint32_t r = RunBpf(prog, d);
      if (first || Precedence(r) < Precedence(best)) best = r;
      first = false;
    }
    return best;
  }

  Outcome Eval(Abi abi, int nr, const Args& a) const override {
    const uint32_t arch = abi == Abi::kI386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
    const uint32_t n = abi == Abi::kX32 ? static_cast<uint32_t>(nr) | kX32Bit : static_cast<uint32_t>(nr);
    const uint32_t r = Run(arch, n, a);
    Outcome o;
    switch (r & SECCOMP_RET_ACTION_FULL) {
      case SECCOMP_RET_ALLOW:
      case SECCOMP_RET_LOG: o.verdict = Verdict::kAllow; break;
      case SECCOMP_RET_USER_NOTIF:
      case SECCOMP_RET_TRACE: o.verdict = Verdict::kUser; break;
      default: o.verdict = Verdict::kDeny;
    }
    o.explicit_rule = r != DefaultRet(abi);
    o.action = RetName(r);
    return o;
  }

  std::vector<Args> WholeProbes(std::string_view name, Abi abi = Abi::kX86_64) const override {
    auto nr = core::SyscallNumber(name, abi);
    if (!nr) return {};
    const uint32_t arch = abi == Abi::kI386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
    std::vector<Args> out;
    for (const auto& prog : filters_) ExplorePaths(prog, arch, static_cast<uint32_t>(*nr), &out);
    return out;
  }

  std::set<uint64_t> Constants(std::string_view name, int arg) const override {
    std::set<uint64_t> out;
    const core::ArgWidth w = core::ArgType(name, arg);
    for (uint64_t lo : lo_[arg]) {
      out.insert(Canon(lo, w));
      if (w.bits >= 64) out.insert(lo | (uint64_t{0xffffffff} << 32));
    }
    if (w.bits >= 64)
      for (uint64_t hi : hi_[arg]) out.insert(hi << 32);
    return out;
  }

 private:
  // Collects the constants each argument word is compared with (tracking what A holds along the
  // program text; good enough for probing).
  void Scan(const std::vector<sock_filter>& prog) {
    int src = -1;  // 0..5: arg lo, 10..15: arg hi, -1: other
    for (const sock_filter& f : prog) {
      const uint16_t cls = BPF_CLASS(f.code);
      if (cls == BPF_LD) {
        src = -1;
        if (BPF_MODE(f.code) == BPF_ABS && f.k >= 16 && f.k < 64)
          src = static_cast<int>((f.k - 16) / 8) + ((f.k - 16) % 8 == 4 ? 10 : 0);
      } else if (cls == BPF_ALU && BPF_SRC(f.code) == BPF_K && src >= 0) {
        if (BPF_OP(f.code) == BPF_AND) Add(src, f.k);
      } else if (cls == BPF_JMP && BPF_OP(f.code) != BPF_JA && BPF_SRC(f.code) == BPF_K && src >= 0) {
        Add(src, f.k);
        if (BPF_OP(f.code) != BPF_JSET) {
          Add(src, f.k + 1);
          Add(src, f.k - 1);
        }
      } else if (cls == BPF_MISC || cls == BPF_LDX || cls == BPF_ALU) {
        src = -1;
      }
    }
  }
  void Add(int src, uint32_t k) {
    auto& set = src >= 10 ? hi_[src - 10] : lo_[src];
    if (set.size() < 64) set.insert(k);
  }

  const std::vector<std::vector<sock_filter>>& filters_;
  std::set<uint64_t> lo_[6], hi_[6];
  uint32_t default_[3] = {};
};

// ---------------------------------------------------------------------------------------------
// Per-syscall summaries over probes.

struct Summary {
  bool exists = false;
  bool allow = false, deny = false, user = false, any_explicit = false;
  std::string allow_by, allow_action;        // the first allowed probe
  std::string restrict_by, restrict_action;  // the first denied/escalated probe (explicit first)
  bool restrict_explicit = false;
  bool FullyAllowed() const { return exists && allow && !deny && !user; }
  bool Restricted() const { return exists && (deny || user) && any_explicit; }
  bool AlwaysDenied() const { return exists && deny && !allow && !user; }
};

std::vector<Args> Probes(const Model& m, std::string_view name, Abi abi = Abi::kX86_64,
                         const std::vector<std::pair<int, uint64_t>>& extra = {}) {
  std::set<Args> probes;
  probes.insert(Args{});
  const core::SyscallSig& sig = core::Signature(name);
  const int nargs = sig.nargs > 0 ? std::min<int>(sig.nargs, 6) : 6;
  for (int i = 0; i < nargs; ++i)
    for (uint64_t v : m.Constants(name, i)) {
      Args a{};
      a[i] = v;
      probes.insert(a);
    }
  for (const auto& [i, v] : extra) {
    Args a{};
    a[i] = v;
    probes.insert(a);
  }
  for (const Args& a : m.WholeProbes(name, abi)) probes.insert(a);
  return {probes.begin(), probes.end()};
}

Summary Summarize(const Model& m, std::string_view name, Abi abi = Abi::kX86_64,
                  const std::vector<std::pair<int, uint64_t>>& extra = {}) {
  Summary s;
  auto nr = core::SyscallNumber(name, abi);
  if (!nr) return s;
  int n = *nr;
  if (abi == Abi::kX32) n &= ~static_cast<int>(kX32Bit);
  s.exists = true;
  for (const Args& a : Probes(m, name, abi, extra)) {
    Outcome o = m.Eval(abi, n, a);
    s.any_explicit |= o.explicit_rule;
    if (o.verdict == Verdict::kAllow) {
      if (!s.allow) s.allow_by = o.by, s.allow_action = o.action;
      s.allow = true;
    } else {
      if (!(s.deny || s.user) || (o.explicit_rule && !s.restrict_explicit)) {
        s.restrict_by = o.by;
        s.restrict_action = o.action;
        s.restrict_explicit = o.explicit_rule;
      }
      (o.verdict == Verdict::kDeny ? s.deny : s.user) = true;
    }
  }
  return s;
}

std::string Join(const std::vector<std::string>& v, const char* last = " and ") {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i == 0 ? "" : i + 1 == v.size() ? last : ", ") + v[i];
  return s;
}

std::string WhereOf(const Model& m, const std::string& by, std::string_view name) {
  return m.IsBpf() || by.empty() ? m.SyscallWhere(name) : by;
}

std::string Allowed(const Summary& s) {
  return s.FullyAllowed() ? "allowed" : "allowed for some arguments";
}

// ---------------------------------------------------------------------------------------------
// The checks.

}  // namespace

const std::vector<AliasFamily>& AliasFamilies() {
  static const std::vector<AliasFamily> f = {
      {"exec", {"execve", "execveat"}, {}, false, "run a program (execveat also an open fd, a memfd)"},
      {"open", {"open", "openat", "openat2", "creat"}, {"open_by_handle_at"}, false,
       "open a file (creat = open O_CREAT|O_WRONLY|O_TRUNC; open_by_handle_at opens what "
       "name_to_handle_at named)"},
      {"stat", {"stat", "lstat", "newfstatat", "statx"}, {}, false, "read a file's metadata by name"},
      {"access", {"access", "faccessat", "faccessat2"}, {}, false, "test a file's permissions by name"},
      {"readlink", {"readlink", "readlinkat"}, {}, false, "read a symlink"},
      {"rename", {"rename", "renameat", "renameat2"}, {}, false, "move a file"},
      {"link", {"link", "linkat"}, {}, false, "make a hard link"},
      {"symlink", {"symlink", "symlinkat"}, {}, false, "make a symlink"},
      {"unlink", {"unlink", "unlinkat", "rmdir"}, {}, false,
       "remove a name (unlinkat AT_REMOVEDIR = rmdir)"},
      {"mkdir", {"mkdir", "mkdirat"}, {}, false, "make a directory"},
      {"mknod", {"mknod", "mknodat"}, {}, false, "make a device node or FIFO"},
      {"chmod", {"chmod", "fchmodat", "fchmodat2"}, {}, false, "change a file's mode"},
      {"chown", {"chown", "lchown", "fchownat"}, {}, false, "change a file's owner"},
      {"utime", {"utime", "utimes", "futimesat", "utimensat"}, {}, false, "change a file's times"},
      {"setxattr", {"setxattr", "lsetxattr", "setxattrat"}, {}, false,
       "set an extended attribute"},
      {"dup", {"dup", "dup2", "dup3"}, {}, false, "duplicate a file descriptor"},
      {"write", {"write", "writev", "pwrite64", "pwritev", "pwritev2"}, {}, false,
       "write to a file descriptor"},
      {"send", {"sendto", "sendmsg", "sendmmsg"}, {}, false, "send on a socket"},
      {"recv", {"recvfrom", "recvmsg", "recvmmsg"}, {}, false, "receive from a socket"},
      {"accept", {"accept", "accept4"}, {}, false, "accept a connection"},
      {"socket", {"socket"}, {"socketpair"}, true, "make a socket"},
      {"poll", {"select", "pselect6", "poll", "ppoll"}, {}, false, "wait for file descriptors"},
      {"epoll", {"epoll_create", "epoll_create1"}, {}, false, "make an epoll instance"},
      {"epoll-wait", {"epoll_wait", "epoll_pwait", "epoll_pwait2"}, {}, false, "wait on epoll"},
      {"wait", {"wait4", "waitid"}, {}, false, "wait for a child"},
      {"signal", {"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal"},
       {}, false, "send a signal to a process"},
      {"signalfd", {"signalfd", "signalfd4"}, {}, false, "receive signals through an fd"},
      {"pipe", {"pipe", "pipe2"}, {}, false, "make a pipe"},
      {"eventfd", {"eventfd", "eventfd2"}, {}, false, "make an eventfd"},
      {"inotify", {"inotify_init", "inotify_init1"}, {}, false, "make an inotify instance"},
      {"getdents", {"getdents", "getdents64"}, {}, false, "list a directory"},
      {"fork", {"fork", "vfork", "clone"}, {"clone3"}, true, "make a process"},
  };
  return f;
}

namespace {

class Auditor {
 public:
  Auditor(const Model& m, std::vector<Finding>* out) : m_(m), out_(out) {}

  bool oci = false;  // the input is an OCI profile: it runs under runc, not pwnbox

  Summary Get(std::string_view name, Abi abi = Abi::kX86_64) {
    auto key = std::make_pair(std::string(name), abi);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    return cache_[key] = Summarize(m_, name, abi);
  }

  // The first probe of `name` with argument `arg` set to `value` that the filter allows.
  std::optional<Outcome> AllowedWith(std::string_view name, int arg, uint64_t value) {
    auto nr = core::SyscallNumber(name);
    if (!nr) return std::nullopt;
    for (Args a : Probes(m_, name)) {
      a[arg] = value;
      Outcome o = m_.Eval(Abi::kX86_64, *nr, a);
      if (o.verdict == Verdict::kAllow) return o;
    }
    return std::nullopt;
  }

  void Add(std::string id, Severity sev, std::string where, std::string what, std::string why,
           std::string fix, std::vector<std::string> syscalls) {
    Finding f;
    f.id = std::move(id);
    f.severity = sev;
    f.where = std::move(where);
    f.what = std::move(what);
    f.why = std::move(why);
    f.fix = std::move(fix);
    f.syscalls = std::move(syscalls);
    out_->push_back(std::move(f));
  }

  void Aliases() {
    for (const AliasFamily& fam : AliasFamilies()) {
      std::vector<std::string> restricted, open;
      std::string where, action;
      bool outright = false;
      for (const char* r : fam.members) {
        Summary s = Get(r);
        if (!s.Restricted() || (fam.denied_only && !s.AlwaysDenied())) continue;
        if (restricted.empty()) {
          where = WhereOf(m_, s.restrict_by, r);
          action = s.restrict_action;
        }
        outright |= s.AlwaysDenied();
        restricted.push_back(std::string(r) + (s.AlwaysDenied() ? "" : " (for some arguments)"));
      }
      if (restricted.empty()) continue;
      std::vector<std::string> names;
      for (const auto* list : {&fam.members, &fam.extra})
        for (const char* a : *list)
          if (Get(a).FullyAllowed()) open.push_back(a);
      if (open.empty()) continue;
      for (const auto& r : restricted) names.push_back(r.substr(0, r.find(' ')));
      names.insert(names.end(), open.begin(), open.end());
      Add("alias-bypass", outright ? Severity::kHigh : Severity::kMedium, where,
          Join(restricted) + (restricted.size() > 1 ? " are" : " is") + " restricted (" + action +
              ") but " + Join(open) + (open.size() > 1 ? " are" : " is") + " allowed",
          std::string("the ") + fam.name + " family: each of " + Join(names, " and ") + " can " + fam.effect +
              ", so the restriction is bypassed by calling another name",
          "give " + Join(open) + " the same rule (add " + (open.size() > 1 ? "them" : "it") +
              " to its syscalls), or deny by default and allow-list what the program needs",
          names);
    }
  }

  void Abis(const config::Policy* policy, bool toml = false) {
    if (const auto* bpf = dynamic_cast<const BpfModel*>(&m_)) {
      // No arch check: the filter answers every i386 number as it answers the same x86-64
      // number.
      std::set<int> numbers;
      for (Abi abi : {Abi::kX86_64, Abi::kI386})
        for (int nr : core::AllSyscalls(abi)) numbers.insert(nr);
      bool same = true, any_allowed = false;
      for (int nr : numbers) {
        uint32_t a = bpf->Run(AUDIT_ARCH_X86_64, nr, {}), b = bpf->Run(AUDIT_ARCH_I386, nr, {});
        same &= a == b;
        any_allowed |= (b & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW;
      }
      if (same && any_allowed) {
        std::vector<std::string> confused;
        for (int nr : core::AllSyscalls(Abi::kI386)) {
          std::string_view i386 = core::SyscallName(nr, Abi::kI386);
          Summary x = Get(i386);
          if (!x.Restricted()) continue;
          if (m_.Eval(Abi::kI386, nr, {}).verdict != Verdict::kAllow) continue;
          std::string as = std::string(core::SyscallName(nr, Abi::kX86_64));
          confused.push_back(std::string(i386) + " (i386 " + std::to_string(nr) + ", read as " +
                             (as.empty() ? "nothing" : as) + ")");
          if (confused.size() == 3) break;
        }
        Add("abi-no-arch-check", Severity::kHigh, "arch check",
            "the filter never checks seccomp_data.arch: i386 (int 0x80) and x32 calls are judged by x86-64 numbers" +
                (confused.empty() ? std::string() : "; allowed that way: " + Join(confused)),
            "the same number is another syscall on another ABI (i386 11 is execve, x86-64 11 is munmap), "
            "so a denied call is made through int 0x80 under the number of an allowed one",
            "start with `if (arch != AUDIT_ARCH_X86_64) kill` and kill x32 (nr >= 0x40000000)", {});
        return;
      }
    }
    for (Abi abi : {Abi::kI386, Abi::kX32}) {
      if (policy && !policy->options.HasAbi(abi)) continue;
      std::vector<std::string> allowed_any, bypass;
      for (int nr : core::AllSyscalls(abi)) {
        std::string_view name = core::SyscallName(nr, abi);
        int n = abi == Abi::kX32 ? nr & ~static_cast<int>(kX32Bit) : nr;
        if (m_.Eval(abi, n, {}).verdict != Verdict::kAllow) continue;
        allowed_any.push_back(std::string(name));
        Summary x = Get(name);
        if (x.Restricted() && x.AlwaysDenied() && bypass.size() < 4) bypass.push_back(std::string(name));
      }
      if (allowed_any.empty()) continue;
      const bool i386 = abi == Abi::kI386;
      std::string what = std::string(i386 ? "i386 (int 0x80)" : "x32") + " calls are allowed (" +
                         std::to_string(allowed_any.size()) + " syscalls)";
      if (!bypass.empty()) what += "; denied on x86-64 but allowed there: " + Join(bypass);
      std::string why =
          i386 ? "another syscall table a reviewer rarely reads: socketcall/ipc multiplex socket and IPC "
                 "calls with their arguments in memory, where no filter sees them"
               : "x32 shares the x86-64 arch value with its own numbers (bit 30 set): filters written for "
                 "x86-64 numbers miss them";
      if (!i386 && toml)
        why += "; pwnbox's path rules on x32 calls are advisory (the calls continue in the kernel)";
      Add(i386 ? "abi-i386-allowed" : "abi-x32-allowed", bypass.empty() ? Severity::kMedium : Severity::kHigh,
          "arch " + std::string(core::AbiName(abi)), what, why,
          policy ? "remove \"" + std::string(core::AbiName(abi)) + "\" from the ABIs (pwnbox: options.abi; "
                   "OCI: architectures/archMap) unless the program needs it"
                 : "kill calls whose arch is not AUDIT_ARCH_X86_64, and x86-64 numbers >= 0x40000000",
          {});
    }
  }

  void IoUring() {
    Summary s = Get("io_uring_setup");
    if (!s.allow) return;
    Add("io-uring-allowed", Severity::kHigh, WhereOf(m_, s.allow_by, "io_uring_setup"),
        "io_uring_setup is " + Allowed(s),
        "io_uring's operations (openat, connect, read, ...) run in the kernel without syscalls: "
        "seccomp never sees them, so every other rule can be bypassed",
        "deny io_uring_setup, io_uring_enter and io_uring_register (pwnbox: options.io_uring = false)",
        {"io_uring_setup", "io_uring_enter", "io_uring_register"});
  }

  void Reach() {
    struct R {
      const char* name;
      Severity sev;
      const char* does;
    };
    const R list[] = {
        {"ptrace", Severity::kHigh, "attaches to another process: reads and writes its memory and registers"},
        {"process_vm_writev", Severity::kHigh, "writes another process's memory"},
        {"pidfd_getfd", Severity::kHigh, "copies another process's file descriptors"},
        {"process_vm_readv", Severity::kMedium, "reads another process's memory (secrets, keys)"},
        {"kcmp", Severity::kLow, "compares kernel objects of other processes (fd and address-space probing)"},
    };
    for (const R& r : list) {
      Summary s = Get(r.name);
      if (!s.allow) continue;
      Add("reach-other-process", r.sev, WhereOf(m_, s.allow_by, r.name),
          std::string(r.name) + " is " + Allowed(s),
          std::string(r.name) + " " + r.does + "; it reaches every process of the same user, a sandbox "
          "supervisor or container runtime included" +
              (oci ? std::string()
                   : " (under pwnbox run, its Landlock domain limits them to the sandbox's own processes "
                     "when the kernel has Landlock)"),
          std::string("deny ") + r.name + " unless the program is a debugger", {r.name});
    }
    Summary open = Get("pidfd_open"), sig = Get("pidfd_send_signal");
    if (open.allow && sig.allow)
      Add("reach-other-process", Severity::kLow, WhereOf(m_, sig.allow_by, "pidfd_send_signal"),
          "pidfd_open and pidfd_send_signal are allowed",
          "a pidfd signals any process of the same user, as kill does, and its pid cannot be checked by "
          "a filter (it is behind the fd)",
          "deny pidfd_open/pidfd_send_signal unless needed (and restrict kill to the sandbox's pids)",
          {"pidfd_send_signal", "pidfd_open"});
  }

  void Namespaces() {
    for (const char* sc : {"clone", "unshare"}) {
      std::vector<std::string> allowed;
      std::string where;
      const bool clone = std::string_view(sc) == "clone";
      for (const NamedFlag& f : kNamespaceFlags) {
        auto o = AllowedWith(sc, 0, f.value | (clone ? kCloneFork : 0));
        if (!o) continue;
        if (allowed.empty()) where = WhereOf(m_, o->by, sc);
        allowed.push_back(f.name);
      }
      if (allowed.empty()) continue;
      bool user = allowed.front() == "CLONE_NEWUSER";
      Add("namespace-create", user ? Severity::kHigh : Severity::kMedium, where,
          std::string(sc) + " with " + Join(allowed, " or ") + " is allowed",
          "new namespaces (a user namespace makes its creator root in it) open kernel code that "
          "unprivileged programs otherwise cannot reach, the source of many privilege escalations",
          std::string("allow ") + sc + " only with `flags & CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|"
          "CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP == 0`",
          {sc});
    }
    Summary setns = Get("setns");
    if (setns.allow)
      Add("namespace-create", Severity::kMedium, WhereOf(m_, setns.allow_by, "setns"),
          "setns is " + Allowed(setns),
          "setns joins other namespaces (through /proc/PID/ns or a pidfd) the sandbox was kept out of",
          "deny setns", {"setns"});
    Summary c3 = Get("clone3");
    if (c3.allow)
      Add("clone3-allowed", Severity::kMedium, WhereOf(m_, c3.allow_by, "clone3"), "clone3 is " + Allowed(c3),
          "clone3 passes its flags in memory, which seccomp cannot read: conditions on clone's flags "
          "(namespaces, CLONE_UNTRACED) do not apply to it",
          "answer clone3 with ENOSYS (libc falls back to clone, whose flags the filter sees)", {"clone3"});
  }

  void Ioctl() {
    std::vector<std::string> allowed;
    std::string where;
    for (auto [name, value] : {std::pair<const char*, uint64_t>{"TIOCSTI", kTiocsti}, {"TIOCLINUX", kTioclinux}}) {
      auto o = AllowedWith("ioctl", 1, value);
      if (!o) continue;
      if (allowed.empty()) where = WhereOf(m_, o->by, "ioctl");
      allowed.push_back(name);
    }
    if (allowed.empty()) return;
    Add("ioctl-tiocsti", Severity::kHigh, where, "ioctl " + Join(allowed, " and ") + (allowed.size() > 1 ? " are" : " is") + " allowed",
        "TIOCSTI pushes characters into the terminal's input (TIOCLINUX pastes the console "
        "selection): once the sandbox exits, the shell runs them as the user (unless the kernel refuses "
        "TIOCSTI to all: sysctl dev.tty.legacy_tiocsti = 0, Linux 6.2+)",
        "deny ioctl with request == TIOCSTI and request == TIOCLINUX (or give the program no terminal)",
        {"ioctl"});
  }

  // Narrow arguments compared on the whole register: junk in the upper half passes a rule the
  // kernel's reading of the argument would not.
  void Widths(const Model& wide) {
    for (int nr : core::AllSyscalls(Abi::kX86_64)) {
      std::string_view name = core::SyscallName(nr, Abi::kX86_64);
      if (Get(name).FullyAllowed()) continue;  // nothing denied to get past
      const core::SyscallSig& sig = core::Signature(name);
      for (int i = 0; i < std::min<int>(sig.nargs, 6); ++i) {
        const core::ArgWidth w = core::ArgType(name, i);
        if (w.bits >= 64) continue;
        std::set<uint64_t> values = wide.Constants(name, i);
        if (values.empty()) continue;
        std::vector<Args> bases = wide.WholeProbes(name);
        if (bases.size() > 32) bases.resize(32);  // bounded work on huge filters
        bases.push_back(Args{});
        bool found = false;
        for (const Args& base : bases) {
          for (uint64_t v : values) {
            Args canon = base;
            canon[i] = Canon(v, w);
            Outcome meant = m_.Eval(Abi::kX86_64, nr, canon);
            if (meant.verdict == Verdict::kAllow) continue;
            for (uint64_t hi : {uint64_t{1} << 32, uint64_t{0xffffffff} << 32, uint64_t{0}}) {
              Args junk = canon;
              junk[i] = (canon[i] & w.Mask()) | hi;
              if (junk[i] == canon[i]) continue;
              Outcome got = wide.Eval(Abi::kX86_64, nr, junk);
              if (got.verdict != Verdict::kAllow) continue;
              char buf[160];
              std::snprintf(buf, sizeof(buf), "%s: %s (arg%d, %s) is compared on 64 bits: 0x%llx passes, "
                            "which the kernel reads as %lld, denied (%s) when written so",
                            std::string(name).c_str(), sig.args[i].name ? sig.args[i].name : "arg", i,
                            std::string(core::CTypeName(w)).c_str(), static_cast<unsigned long long>(junk[i]),
                            static_cast<long long>(Canon(junk[i], w)), meant.action.c_str());
              Add("arg-compared-64bit", Severity::kHigh, WhereOf(m_, got.by, name), buf,
                  "the kernel reads an int argument as the register's low 32 bits, whatever the upper "
                  "half holds; a comparison of all 64 bits is passed by setting junk in the upper half",
                  "compare the low 32 bits only (MASKED_EQ with mask 0xffffffff, or pwnbox's compiler, which "
                  "knows each argument's width)",
                  {std::string(name)});
              found = true;
              break;
            }
            if (found) break;
          }
          if (found) break;
        }
      }
    }
  }

  void DenyList(bool default_allows, size_t rules_denying) {
    if (!default_allows) return;
    std::vector<std::string> denied;
    for (int nr : core::AllSyscalls(Abi::kX86_64)) {
      std::string_view name = core::SyscallName(nr, Abi::kX86_64);
      Summary s = Get(name);
      if ((s.deny || s.user) && s.any_explicit) denied.push_back(std::string(name));
    }
    if (denied.empty() && rules_denying == 0) return;
    std::string list = Join(std::vector<std::string>(denied.begin(), denied.begin() + std::min<size_t>(denied.size(), 6)));
    if (denied.size() > 6) list += ", ... (" + std::to_string(denied.size()) + " in all)";
    Add("default-allow", denied.size() <= 10 ? Severity::kMedium : Severity::kLow,
        m_.IsBpf() ? "default action" : m_.SyscallWhere(""),
        "the default action allows: a deny-list restricting " + (denied.empty() ? std::string("nothing") : list),
        "every syscall not named is allowed, including the aliases of those denied and syscalls newer "
        "than the list (a new kernel adds some every release)",
        "deny by default (default = \"errno:EPERM\" or \"kill\") and allow-list what the program needs "
        "(`pwnbox learn` writes one)",
        {});
  }

 private:
  const Model& m_;
  std::vector<Finding>* out_;
  std::map<std::pair<std::string, Abi>, Summary> cache_;
};

void Sort(std::vector<Finding>* f) {
  std::stable_sort(f->begin(), f->end(),
                   [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
}

std::string Key(const Finding& f) { return f.id + "|" + (f.syscalls.empty() ? "" : f.syscalls[0]) + "|" + f.where; }

bool DefaultAllows(const config::Action& a) { return VerdictOf(a) == Verdict::kAllow; }

size_t RulesDenying(const config::Policy& p) {
  size_t n = 0;
  for (const auto& r : p.rules) n += VerdictOf(r.action) != Verdict::kAllow;
  return n;
}

}  // namespace

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kHigh: return "HIGH";
    case Severity::kMedium: return "MEDIUM";
    case Severity::kLow: return "LOW";
  }
  return "?";
}

std::string_view KindName(AuditReport::Kind k) {
  switch (k) {
    case AuditReport::Kind::kPolicy: return "policy";
    case AuditReport::Kind::kOci: return "oci";
    case AuditReport::Kind::kBpf: return "bpf";
    case AuditReport::Kind::kProcess: return "process";
  }
  return "?";
}

size_t AuditReport::Count(Severity s) const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [s](const Finding& f) { return f.severity == s; }));
}

core::Result<AuditReport> AuditPolicy(const config::Policy& policy, AuditReport::Kind kind,
                                      const std::string& input, const AuditOptions& options) {
  AuditReport report;
  report.input = input;
  report.kind = kind;
  const bool oci = kind == AuditReport::Kind::kOci;
  auto compiled = Compile(policy);
  if (!compiled.ok() && !oci) return compiled.error();
  if (!compiled.ok())
    report.notes.push_back("pwnbox cannot compile this profile (" + compiled.error().message() +
                           "): shadowed rules were not checked");
  const Program empty_program;
  const Program* prog = compiled.ok() ? &*compiled : &empty_program;

  // Everything without pwnbox's guards (OCI: as runc runs it; TOML: exported); for TOML, the
  // findings that do not hold under the guards are kExported.
  PolicyModel bare(policy, oci, false, oci);
  auto run = [&](const Model& m, std::vector<Finding>* out) {
    Auditor a(m, out);
    a.oci = oci;
    a.Abis(&policy, !oci);
    a.Aliases();
    a.IoUring();
    a.Reach();
    a.Namespaces();
    a.Ioctl();
    a.DenyList(DefaultAllows(policy.default_action), RulesDenying(policy));
    return a;
  };
  run(bare, &report.findings);
  if (oci) {
    PolicyModel kernel(policy, true, false, false);  // the arguments as the kernel reads them
    Auditor a(kernel, &report.findings);
    a.Widths(bare);
  } else {
    std::vector<Finding> guarded;
    PolicyModel with_guards(policy, false, true, false);
    run(with_guards, &guarded);
    std::set<std::string> keys;
    for (const Finding& f : guarded) keys.insert(Key(f));
    for (Finding& f : report.findings)
      if (!keys.count(Key(f))) f.context = Finding::Context::kExported;
  }

  // Shadowed rules (Compile's placements).
  for (size_t i = 0; i < policy.rules.size() && i < prog->rules.size(); ++i) {
    const RulePlacement& pl = prog->rules[i];
    const config::Rule& r = policy.rules[i];
    std::string where = bare.RuleWhere(static_cast<int>(i));
    // Shadowed by one of pwnbox's guards: not so where an OCI profile runs (runc).
    if (oci && pl.why.find("guard") != std::string::npos) continue;
    if (pl.where == RulePlacement::Where::kShadowed) {
      report.findings.push_back({"rule-shadowed", Severity::kLow, where,
                                 "this rule (" + r.action.ToString() + ") never matches: " + pl.why,
                                 "rules are first-match: an earlier rule decides every call this one names, so "
                                 "what the author wrote here never happens",
                                 "move it above the rule that shadows it, or delete it",
                                 Finding::Context::kEverywhere, r.names});
    } else if (!pl.shadowed_syscalls.empty()) {
      report.findings.push_back({"rule-shadowed", Severity::kLow, where,
                                 "for " + Join(pl.shadowed_syscalls) + " this rule (" + r.action.ToString() +
                                     ") never matches: an earlier rule without conditions matches them first",
                                 "rules are first-match: an earlier rule decides every call of these syscalls",
                                 "move the rule up, or remove those syscalls from it",
                                 Finding::Context::kEverywhere, pl.shadowed_syscalls});
    }
  }

  // Path rules on calls pwnbox cannot perform for the target: checked, then the call continues
  // in the kernel, which reads the path again (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
  for (size_t i = 0; i < policy.rules.size() && !oci; ++i) {
    const config::Rule& r = policy.rules[i];
    if (r.paths.empty()) continue;
    std::vector<std::string> advisory;
    for (const std::string& n : r.names) {
      const core::SyscallSig& sig = core::Signature(n);
      bool has_path = false;
      for (int a = 0; a < std::min<int>(sig.nargs, 6); ++a) has_path |= sig.args[a].kind == core::ArgKind::kPath;
      if (has_path && !(options.can_emulate && options.can_emulate(n))) advisory.push_back(n);
    }
    if (advisory.empty()) continue;
    std::string list = Join(std::vector<std::string>(advisory.begin(), advisory.begin() + std::min<size_t>(advisory.size(), 8)));
    if (advisory.size() > 8) list += ", ... (" + std::to_string(advisory.size()) + " in all)";
    report.findings.push_back(
        {"path-rule-advisory", Severity::kMedium, bare.RuleWhere(static_cast<int>(i)),
         "the paths of " + list + " are checked, then the call continues in the kernel (CONTINUE)",
         "pwnbox cannot perform these calls for the target: an allowed call re-reads its path from "
         "the target's memory after the check, and another thread can swap it in between",
         "do not rely on it for security: deny these calls outright, or confine them with Landlock or a "
         "mount namespace (docs/security.md, \"Where path rules stay advisory\")",
         Finding::Context::kEverywhere, advisory});
  }
  Sort(&report.findings);
  return report;
}

AuditReport AuditBpf(const std::vector<std::vector<sock_filter>>& filters, AuditReport::Kind kind,
                     const std::string& input) {
  AuditReport report;
  report.input = input;
  report.kind = kind;
  BpfModel m(filters);
  Auditor a(m, &report.findings);
  a.Abis(nullptr);
  a.Aliases();
  a.IoUring();
  a.Reach();
  a.Namespaces();
  a.Ioctl();
  a.Widths(m);
  const uint32_t def = m.DefaultRet();
  const uint32_t act = def & SECCOMP_RET_ACTION_FULL;
  a.DenyList(act == SECCOMP_RET_ALLOW || act == SECCOMP_RET_LOG, 0);
  if (act == SECCOMP_RET_USER_NOTIF || act == SECCOMP_RET_TRACE)
    report.notes.push_back("the default action (" + RetName(def) +
                           ") hands calls to a supervisor: what it allows is not in the filter");
  Sort(&report.findings);
  return report;
}

core::Result<std::vector<sock_filter>> ParseBpf(std::string_view bytes, const std::string& name) {
  if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0)
    return core::Error(name + ": " + std::to_string(bytes.size()) +
                       " bytes is not a BPF program (a whole number of 8-byte instructions, as "
                       "`pwnbox compile --format bpf` writes)");
  std::vector<sock_filter> prog(bytes.size() / sizeof(sock_filter));
  std::memcpy(prog.data(), bytes.data(), bytes.size());
  if (prog.size() > kMaxInstructions)
    return core::Error(name + ": " + std::to_string(prog.size()) + " instructions, more than seccomp's " +
                       std::to_string(kMaxInstructions));
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    auto bad = [&](const std::string& why) {
      return core::Error(name + ": instruction " + std::to_string(pc) + " " + why + ": not a seccomp BPF program");
    };
    if (BPF_CLASS(f.code) == BPF_JMP) {
      size_t far = BPF_OP(f.code) == BPF_JA ? f.k : std::max<size_t>(f.jt, f.jf);
      if (pc + 1 + far >= prog.size()) return bad("jumps past the end");
    } else if (BPF_CLASS(f.code) == BPF_LD && BPF_MODE(f.code) == BPF_ABS &&
               (f.k % 4 != 0 || f.k + 4 > sizeof(seccomp_data))) {
      return bad("loads outside seccomp_data");
    }
  }
  if (BPF_CLASS(prog.back().code) != BPF_RET) return core::Error(name + ": does not end with a return: not a seccomp BPF program");
  return prog;
}

core::Result<std::vector<std::vector<sock_filter>>> ReadProcessFilters(pid_t pid) {
  const std::string who = "process " + std::to_string(pid);
  if (ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) != 0) {
    int e = errno;
    if (e == EPERM)
      return core::Error("cannot attach to " + who + " (ptrace: Operation not permitted): reading a process's "
                         "seccomp filter needs root (CAP_SYS_ADMIN), and the process must not be traced already");
    return core::ErrnoError(e, "cannot attach to " + who);
  }
  auto detach = [&] { ptrace(PTRACE_DETACH, pid, nullptr, nullptr); };
  if (ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) != 0) {
    int e = errno;
    detach();
    return core::ErrnoError(e, "ptrace(PTRACE_INTERRUPT) " + who);
  }
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return core::ErrnoError(errno, "waitpid " + who);
    if (WIFEXITED(status) || WIFSIGNALED(status)) return core::Error(who + " ended while being read");
    if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP) break;
    // Another stop (a signal) first: let it be delivered, the interrupt's stop follows.
    int sig = WIFSTOPPED(status) ? WSTOPSIG(status) : 0;
    if (ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<intptr_t>(sig))) != 0) {
      detach();
      return core::ErrnoError(errno, "ptrace(PTRACE_CONT) " + who);
    }
  }
  std::vector<std::vector<sock_filter>> filters;
  for (unsigned long index = 0;; ++index) {
    long n = ptrace(static_cast<__ptrace_request>(PTRACE_SECCOMP_GET_FILTER), pid, reinterpret_cast<void*>(index), nullptr);
    if (n < 0) {
      int e = errno;
      if (e == ENOENT || (e == EINVAL && index == 0) || e == EMEDIUMTYPE) break;  // no more / none
      detach();
      if (e == EACCES || e == EPERM)
        return core::Error("cannot read the seccomp filter of " + who +
                           ": PTRACE_SECCOMP_GET_FILTER needs root (CAP_SYS_ADMIN); run pwnbox audit --pid as root");
      return core::ErrnoError(e, "ptrace(PTRACE_SECCOMP_GET_FILTER) " + who);
    }
    std::vector<sock_filter> prog(static_cast<size_t>(n));
    if (ptrace(static_cast<__ptrace_request>(PTRACE_SECCOMP_GET_FILTER), pid, reinterpret_cast<void*>(index),
               prog.data()) != n) {
      int e = errno;
      detach();
      return core::ErrnoError(e, "ptrace(PTRACE_SECCOMP_GET_FILTER) " + who);
    }
    filters.push_back(std::move(prog));
  }
  detach();
  return filters;
}

std::string FormatAuditText(const AuditReport& report) {
  std::string s;
  for (const Finding& f : report.findings) {
    s += std::string(SeverityName(f.severity)) + " " + f.id + ": " + f.where + ": " + f.what + "\n";
    s += "  why: " + f.why + "\n";
    s += "  fix: " + f.fix + "\n";
    if (f.context == Finding::Context::kExported)
      s += "  context: exported policy only (compile --format oci|c): under pwnbox run a built-in guard closes it\n";
    s += "\n";
  }
  for (const auto& n : report.notes) s += "note: " + n + "\n";
  if (report.findings.empty()) {
    s += report.input + ": no findings\n";
  } else {
    s += report.input + ": " + std::to_string(report.findings.size()) + " finding" +
         (report.findings.size() == 1 ? "" : "s") + " (" + std::to_string(report.Count(Severity::kHigh)) +
         " high, " + std::to_string(report.Count(Severity::kMedium)) + " medium, " +
         std::to_string(report.Count(Severity::kLow)) + " low)\n";
  }
  return s;
}

std::string FormatAuditJson(const AuditReport& report) {
  nlohmann::ordered_json j;
  j["input"] = report.input;
  j["kind"] = std::string(KindName(report.kind));
  j["findings"] = nlohmann::ordered_json::array();
  for (const Finding& f : report.findings) {
    nlohmann::ordered_json o;
    o["id"] = f.id;
    std::string sev(SeverityName(f.severity));
    std::transform(sev.begin(), sev.end(), sev.begin(), [](unsigned char c) { return std::tolower(c); });
    o["severity"] = sev;
    o["where"] = f.where;
    o["what"] = f.what;
    o["why"] = f.why;
    o["fix"] = f.fix;
    o["context"] = f.context == Finding::Context::kExported ? "exported" : "everywhere";
    o["syscalls"] = f.syscalls;
    j["findings"].push_back(o);
  }
  j["notes"] = report.notes;
  j["summary"] = {{"high", report.Count(Severity::kHigh)},
                  {"medium", report.Count(Severity::kMedium)},
                  {"low", report.Count(Severity::kLow)},
                  {"total", report.findings.size()}};
  return j.dump(2) + "\n";
}

}  // namespace pwnbox::filters
