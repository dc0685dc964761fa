// pwnbox::supervisor::RunSandbox: `pwnbox run` end to end. Launches the target under the
// compiled policy, serves its escalations (notify or ptrace backend, per the program), and
// returns when the target's main process is gone, after killing what it left behind (every
// task it started, whatever flags it used: nothing outlives the run).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/policy.h"
#include "core/status.h"
#include "filters/filters.h"
#include "supervisor/landlock.h"
#include "supervisor/outcome.h"

namespace pwnbox::supervisor {

// How pwnbox makes sure that nothing the target starts outlives the run (docs/security.md).
enum class Lifecycle {
  kAuto,       // a PID namespace when the policy allows it (NamespaceUnsuitable) and the
               // kernel does, else ptrace
  kNamespace,  // a PID namespace (launcher.h), or fail
  kPtrace,     // every task traced with PTRACE_O_EXITKILL: the target cannot use ptrace itself
};

struct SandboxOptions {
  bool complain = false;  // the program must have been compiled with complain too
  int report_fd = 2;      // reports (log = true, --complain): stderr or the --log file
  Lifecycle lifecycle = Lifecycle::kAuto;
  // End when every process the target started is gone, not when its main process exits (then
  // what is left is killed).
  bool wait_all = false;
  // How `program` was compiled: a run in a PID namespace compiles the policy again, with
  // options.untraced_children (no CLONE_UNTRACED guard: nothing is traced).
  filters::CompileOptions compile;
};

struct SandboxResult {
  int wait_status = 0;
  int exec_errno = 0;        // the target's execve failed with this errno
  std::string path;          // the executable that was started
  uint64_t escalated = 0;    // calls that reached the supervisor
  uint64_t escalated_ptrace = 0;  // of which through the tracer (SECCOMP_RET_TRACE); the others
                                  // through USER_NOTIF
  // How the run ended and the kernel errors met on the way (never null).
  std::unique_ptr<Outcome> outcome = std::make_unique<Outcome>();
  Isolation isolation = Isolation::kNone;  // what kept the supervisor out of the target's reach
  int landlock_abi = 0;
  bool pid_namespace = false;      // the run's lifecycle was a PID namespace (else ptrace)
  std::string namespace_refused;   // why not, when kAuto asked for one and it was not possible
};

// Why `policy` cannot run in a PID namespace under `lifecycle`, or nullopt: rules served
// through ptrace need a tracer on every task anyway; path rules are resolved and emulated by
// the supervisor in its own mount namespace, so the target must share it and then sees the
// host's /proc (/proc/$(getpid()) is not itself): kAuto prefers ptrace for them, kNamespace
// accepts that.
std::optional<std::string> NamespaceUnsuitable(const config::Policy& policy,
                                               const filters::Program& program,
                                               Lifecycle lifecycle);

// Whether a run of `policy` under `lifecycle` will likely be in a PID namespace (before it is
// compiled: a rule served through ptrace is then found only by NamespaceUnsuitable).
bool PreferNamespace(const config::Policy& policy, Lifecycle lifecycle);

// Async-signal-safe: sends `sig` to the running target's main process (if any). For SIGTERM /
// SIGHUP handlers in the CLI: the target decides how to end, and pwnbox reports it.
void ForwardSignal(int sig);

// Preconditions: `program` was compiled from `policy` with options.compile; argv non-empty.
// Compile `policy` with options.untraced_children set when the run will likely be in a PID
// namespace (PreferNamespace): the other variant is then compiled only on a fallback.
core::Result<SandboxResult> RunSandbox(const config::Policy& policy,
                                       const filters::Program& program,
                                       const std::vector<std::string>& argv,
                                       const SandboxOptions& options);

}  // namespace pwnbox::supervisor
