// pwnbox::supervisor::RunSandbox: `pwnbox run` end to end. Launches the target under the
// compiled policy, serves its escalations (notify or ptrace backend, per the program), and
// returns when the target's main process is gone, after killing what it left behind (every
// task it started, whatever flags it used: nothing outlives the run).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/policy.h"
#include "core/status.h"
#include "filters/filters.h"
#include "supervisor/landlock.h"
#include "supervisor/outcome.h"

namespace pwnbox::supervisor {

struct SandboxOptions {
  bool complain = false;  // the program must have been compiled with complain too
  int report_fd = 2;      // reports (log = true, --complain): stderr or the --log file
};

struct SandboxResult {
  int wait_status = 0;
  int exec_errno = 0;        // the target's execve failed with this errno
  std::string path;          // the executable that was started
  uint64_t escalated = 0;    // calls that reached the supervisor
  // How the run ended and the kernel errors met on the way (never null).
  std::unique_ptr<Outcome> outcome = std::make_unique<Outcome>();
  Isolation isolation = Isolation::kNone;  // what kept the supervisor out of the target's reach
  int landlock_abi = 0;
};

// Async-signal-safe: sends `sig` to the running target's main process (if any). For SIGTERM /
// SIGHUP handlers in the CLI: the target decides how to end, and pwnbox reports it.
void ForwardSignal(int sig);

// Preconditions: `program` was compiled from `policy`; argv non-empty.
core::Result<SandboxResult> RunSandbox(const config::Policy& policy,
                                       const filters::Program& program,
                                       const std::vector<std::string>& argv,
                                       const SandboxOptions& options);

}  // namespace pwnbox::supervisor
