// Internal to pwnbox::filters: the compile plan shared by Compile, the exporters and OCI output.
#pragma once

#include <seccomp.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "filters/filters.h"

namespace pwnbox::filters::internal {

struct Plan {
  uint32_t default_action = 0;
  // What a call of an ABI the policy does not list gets: killed, or under --complain escalated
  // like the default, so that the supervisor reports it and lets it run.
  uint32_t badarch_action = SCMP_ACT_KILL_PROCESS;
  std::vector<EmittedRule> emitted;
  std::vector<RulePlacement> placements;
  std::vector<int> escalated_rules;
  std::vector<EvaluatedSyscall> evaluated;
  std::vector<std::string> warnings;
  // Some syscall needed negated conditions (first-match across different actions) or was
  // escalated as a whole: the rules cannot be exported one to one to an unordered format.
  bool needs_expansion = false;
  // Syscalls whose narrow arguments (bit set per argument) were compared on the whole register
  // (`canonical` below): Compile adds the prologue that escalates their other encodings.
  std::vector<std::pair<std::string, uint8_t>> canonical_checks;
  LandlockPlan landlock;  // CompileOptions::landlock (landlock_plan.h)
};

// `canonical`: narrow arguments' ranges may be written on the whole register for their
// canonical encodings (needs Compile's prologue; the exporters keep the exact low-word form).
// `no_ranges`: syscalls whose ranges are written without LT/GT comparisons (Compile's check).
core::Result<Plan> MakePlan(const config::Policy& policy, const CompileOptions& options, bool canonical = false,
                            const std::set<std::string>* no_ranges = nullptr);

// The x86-64 syscalls of `plan` with a range comparison (LT, LE, GT, GE, NE) whose BPF, as
// libseccomp wrote it into `bpf`, does not take the action the emitted rules say for every
// boundary value of their comparisons (libseccomp 2.5.4 mistranslates some 64-bit ranges that
// share a syscall with other rules: it compares a reloaded low word as the high word).
std::set<std::string> MistranslatedSyscalls(const Plan& plan, const std::vector<sock_filter>& bpf);

// Whether libseccomp fails to build `plan` within a few seconds (tried in a child process when
// the plan has range comparisons: libseccomp 2.5.4 never returns on some of those).
bool RangesHangLibseccomp(const config::Policy& policy, const Plan& plan);

using CtxPtr = std::unique_ptr<void, decltype(&seccomp_release)>;
core::Result<CtxPtr> BuildContext(const config::Policy& policy, const Plan& plan);

// The BPF program of `ctx` (libseccomp 2.5 exports only to an fd: a memfd is used).
core::Result<std::vector<sock_filter>> ExportBpf(scmp_filter_ctx ctx);

}  // namespace pwnbox::filters::internal
