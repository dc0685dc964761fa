// pwnbox::supervisor::Decider: decides an escalated syscall by the policy's first-match rules.
// Policy evaluation and reporting live here once; the notify and ptrace backends only carry
// the verdict out (Sandbox2's MonitorBase split).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "config/policy.h"
#include "core/decoder.h"
#include "filters/filters.h"

namespace pwnbox::supervisor {

struct Verdict {
  enum class Kind { kContinue, kFail, kReturn, kKillProcess, kKillThread, kTrap };
  Kind kind = Kind::kContinue;
  int64_t value = 0;  // kFail: the errno (positive); kReturn: the value returned
  int rule = -1;      // the deciding rule, -1 for the default action
  bool report = false;  // log = true / action log / a complain-mode report
  bool complained = false;  // the report is a --complain "would be denied"
};

// Writes reports (log = true, action log, --complain) in the trace format, followed by a
// comment naming the rule: `[pid 42] uname({...}) = ? /* pwnbox: log, rule 3 app.toml:9:1 */`.
class Reporter {
 public:
  // `fd` is not owned (stderr or the --log file).
  Reporter(int fd, const config::Policy& policy);
  // `ret` is the call's result when the backend knows it (ptrace, return, errno).
  void Report(pid_t pid, const core::SyscallCall& call, core::TargetMemory& mem,
              const Verdict& verdict, std::optional<int64_t> ret);

 private:
  int fd_;
  const config::Policy& policy_;
  core::Decoder decoder_;
};

class Decider {
 public:
  // Non-owning: `policy` and `reporter` outlive the Decider.
  Decider(const config::Policy& policy, bool complain);
  Verdict Decide(core::Abi abi, int nr, const uint64_t args[6]);

  // Rules the supervisor cannot carry out in this build (paths, redirect, modify, proxy):
  // the first one's location and why, or nullopt.
  static std::optional<std::string> Unsupported(const config::Policy& policy);

 private:
  Verdict FromAction(const config::Action& action, int rule, bool log);

  const config::Policy& policy_;
  bool complain_;
  std::set<std::pair<int, int>> complained_;  // (nr, rule) already reported
};

}  // namespace pwnbox::supervisor
