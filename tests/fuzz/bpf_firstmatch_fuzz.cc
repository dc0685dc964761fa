// Differential libFuzzer target: the BPF filter filters::Compile builds versus the policy's own
// first-match evaluation (filters::FirstMatch), gVisor-style. From the bytes it makes a small
// policy (syscalls with 32- and 64-bit arguments, conditions with every operator, masked
// equality, actions, default, escalation backend), compiles it, runs the BPF in filters' own
// interpreter (filters::RunBpf, the kernel's semantics) on calls made of boundary values, and
// aborts when the two disagree, printing the policy, the call and the disassembly.
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <fuzzer/FuzzedDataProvider.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "config/policy.h"
#include "core/syscalls.h"
#include "filters/bpf.h"
#include "filters/filters.h"

namespace {

using pwnbox::config::Policy;
namespace filters = pwnbox::filters;

// Syscalls whose arguments are C ints (32 bits: the upper half of the register is not part of
// the value) and unsigned longs / off_t (64 bits).
constexpr const char* kSyscalls[] = {"personality", "getpriority", "setpgid", "umask", "kill",
                                     "lseek",       "mmap",        "madvise", "prctl", "close",
                                     "getppid",     "dup3"};
constexpr const char* kOps[] = {"==", "!=", "<", "<=", ">", ">="};
constexpr const char* kActions[] = {"allow", "errno:EACCES", "errno:5", "kill", "kill-thread",
                                    "trap",  "log",          "return"};
constexpr const char* kDefaults[] = {"allow", "errno:EPERM", "kill", "trap", "log"};

constexpr uint64_t kBoundaries[] = {0,
                                    1,
                                    2,
                                    7,
                                    8,
                                    0x7fffffff,
                                    0x80000000,
                                    0xffffffff,
                                    0x100000000,
                                    0x100000001,
                                    0x7fffffffffffffff,
                                    0x8000000000000000,
                                    0xffffffff00000000,
                                    0xffffffff80000000,
                                    0xfffffffffffffffe,
                                    0xffffffffffffffff};

uint64_t Value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return in.ConsumeIntegral<uint64_t>();
    case 1:
      return in.ConsumeIntegral<uint32_t>();
    default:
      return in.PickValueInArray(kBoundaries);
  }
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// PWNBOX_FUZZ_BPF_SMALL=1 (the ctest run, tests/fuzz/run_fuzz.sh) limits policies to 4 rules
// of at most 1 condition (every operator, 32- and 64-bit values), each syscall in one rule at
// most. The full generator finds, within a minute, two faults of filters::Compile over
// libseccomp 2.5.4 (tests/fuzz/findings/): two rules of one syscall, one with a range
// condition (<, <=, >, >=), make a BPF that compares an argument's low word as if it were the
// high one (ALLOW where the policy traps or denies, TRAP where it escalates); and two or three
// rules of one syscall can make a compile that never finishes (inside seccomp_rule_add_array).
// The short run checks everything else on every CI run; lift the limit once filters/ avoids
// those. The long runs use the full generator.
bool Small() {
  static const bool small = getenv("PWNBOX_FUZZ_BPF_SMALL") != nullptr;
  return small;
}

std::string MakePolicy(FuzzedDataProvider& in) {
  std::string t = "default = \"" + std::string(in.PickValueInArray(kDefaults)) + "\"\n";
  if (in.ConsumeBool()) t += "[options]\nescalate = \"ptrace\"\n";
  const int rules = in.ConsumeIntegralInRange<int>(1, Small() ? 4 : 8);
  std::map<std::string, int> uses;  // rules per syscall
  for (int r = 0; r < rules; ++r) {
    std::string names;
    const int n = in.ConsumeIntegralInRange<int>(1, 2);
    const int conds = in.ConsumeIntegralInRange<int>(0, Small() ? 1 : 3);
    for (int i = 0; i < n; ++i) {
      const std::string name = in.PickValueInArray(kSyscalls);
      if (Small() && uses[name] >= 1) continue;  // Small: a syscall is in one rule at most
      ++uses[name];
      names += (names.empty() ? "\"" : ", \"") + name + "\"";
    }
    if (names.empty()) continue;
    t += "[[rule]]\nsyscalls = [" + names + "]\n";
    if (conds) {
      t += "args = [";
      for (int c = 0; c < conds; ++c) {
        const int arg = in.ConsumeIntegralInRange<int>(0, 5);
        std::string cond = "arg" + std::to_string(arg) + " ";
        if (in.ConsumeIntegralInRange<int>(0, 6) == 6) {
          cond += "& " + Hex(Value(in)) + " == " + Hex(Value(in));
        } else {
          cond += std::string(in.PickValueInArray(kOps)) + " " + Hex(Value(in));
        }
        t += (c ? ", \"" : "\"") + cond + "\"";
      }
      t += "]\n";
    }
    const std::string action = in.PickValueInArray(kActions);
    t += "action = \"" + action + "\"\n";
    if (action == "return") t += "value = 0\n";
    if (in.ConsumeIntegralInRange<int>(0, 7) == 0) t += "log = true\n";
  }
  return t;
}

// What the filter must return for `d`, from the policy's own evaluation (as
// tests/unit/filters_test.cc's Expected).
uint32_t Expected(const Policy& p, const filters::Program& prog, const seccomp_data& d) {
  uint64_t args[6];
  std::memcpy(args, d.args, sizeof args);
  const int idx = filters::FirstMatch(p, pwnbox::core::Abi::kX86_64, d.nr, args);
  if (idx == filters::kIoUringGuard) return SECCOMP_RET_ERRNO | pwnbox::config::kIoUringErrno;
  const std::string_view name = pwnbox::core::SyscallName(d.nr);
  for (const auto& e : prog.evaluated_syscalls) {
    if (e.name == name) {
      return p.options.escalate == pwnbox::config::Options::Escalate::kNotify
                 ? SECCOMP_RET_USER_NOTIF
                 : SECCOMP_RET_TRACE | filters::kTraceEvaluate;
    }
  }
  return filters::RuleAction(p, idx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string toml = MakePolicy(in);
  static const bool verbose = getenv("PWNBOX_FUZZ_VERBOSE") != nullptr;  // to see a reproducer
  if (verbose) std::fprintf(stderr, "policy:\n%s\n", toml.c_str());
  auto policy = pwnbox::config::LoadPolicyString(toml, "fuzz.toml");
  if (!policy.ok()) return 0;  // e.g. a value out of range for a 32-bit argument
  auto prog = filters::Compile(*policy);
  if (!prog.ok()) return 0;
  for (int i = 0; i < 16 && in.remaining_bytes() > 0; ++i) {
    seccomp_data d{};
    d.arch = AUDIT_ARCH_X86_64;
    const auto nr = pwnbox::core::SyscallNumber(in.PickValueInArray(kSyscalls));
    if (!nr) return 0;
    d.nr = *nr;
    for (auto& a : d.args) a = Value(in);
    const uint32_t got = filters::RunBpf(prog->bpf, d);
    const uint32_t want = Expected(*policy, *prog, d);
    // A call the filter escalates is decided by the supervisor with FirstMatch itself (an
    // escalation's data is never trusted), so it cannot disagree; what must never happen is a
    // kernel action other than FirstMatch's. (Escalating more than needed, e.g. the canonical
    // prologue's kTraceEvaluate for an argument with junk in its upper half, only costs time.)
    auto same = [](uint32_t a, uint32_t b) {
      const uint32_t aa = a & SECCOMP_RET_ACTION_FULL;
      if (aa == SECCOMP_RET_TRACE || aa == SECCOMP_RET_USER_NOTIF) return true;
      return filters::RetName(a) == filters::RetName(b);
    };
    if (!same(got, want)) {
      std::fprintf(stderr,
                   "BPF and FirstMatch disagree on %s(%s, %s, %s, %s, %s, %s): BPF %s, "
                   "FirstMatch %s\npolicy:\n%s\n%s",
                   std::string(pwnbox::core::SyscallName(d.nr)).c_str(), Hex(d.args[0]).c_str(),
                   Hex(d.args[1]).c_str(), Hex(d.args[2]).c_str(), Hex(d.args[3]).c_str(),
                   Hex(d.args[4]).c_str(), Hex(d.args[5]).c_str(),
                   filters::RetName(got).c_str(), filters::RetName(want).c_str(), toml.c_str(),
                   filters::Disassemble(prog->bpf).c_str());
      abort();
    }
  }
  return 0;
}
