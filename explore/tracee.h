// pwnbox::explore::Tracee: a minimal tracer for one single-threaded process, for the engine's
// tests and benchmarks and for tools that drive a branch by hand: spawn a program seized with
// the options the ptrace monitor uses (supervisor/ptrace_monitor.h SeizeOptions with follow:
// TRACESYSGOOD, TRACESECCOMP, TRACEEXEC, EXITKILL, TRACEFORK/VFORK/CLONE) under a seccomp
// filter built from a few rules, run it to the entry of a chosen call, run a call with an
// outcome, run it to its end. It follows no children and serves no policy: `pwnbox explore`
// drives branches from the supervisor's own loop; the engine (fork_at_stop.h, outcomes.h) is
// the same.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/syscalls.h"
#include "explore/fork_at_stop.h"
#include "explore/outcomes.h"

namespace pwnbox::explore {

// One rule of a test filter: calls `nr` of `abi` get `action` (SECCOMP_RET_*).
struct FilterRule {
  core::Abi abi;
  int nr;
  uint32_t action;
};
// A seccomp filter applying `rules` (first match) and allowing everything else.
std::vector<sock_filter> RuleFilter(const std::vector<FilterRule>& rules);

// PTRACE_O_* as the ptrace monitor sets them when following children.
unsigned TraceOptions();

struct SpawnOptions {
  std::vector<sock_filter> filter;  // installed (with NO_NEW_PRIVS) before execve; none if empty
  // Installed before `filter` (e.g. a policy's BPF, as the launcher installs it first).
  std::vector<std::vector<sock_filter>> first_filters;
  int stdout_fd = -1;  // dup2'ed to 1 in the child when >= 0
};

// Forks and execs `argv` seized by this thread, and waits for its exec stop. Returns its pid,
// stopped there.
core::Result<pid_t> SpawnTraced(const std::vector<std::string>& argv, const SpawnOptions& options);

// Resumes `pid` until an entry stop of `kind` for which `match` is true (other entry stops are
// let run; signals are passed on). Fails when the process ends first.
core::Result<EntryStop> RunToEntry(pid_t pid, EntryKind kind,
                                   const std::function<bool(const EntryStop&)>& match);

// Applies `outcome` at `stop`, runs the call to its exit stop and completes the outcome there.
// Returns the result left in the program's registers; the task stays at the exit stop.
core::Result<int64_t> RunOutcome(const EntryStop& stop, const CallOutcome& outcome);

// Resumes `pid` (letting every call and signal through) until it ends; returns its wait status
// (reaped when this thread is its parent). Single-threaded processes only (a traced thread's
// end must be waited for before its leader's is reported).
core::Result<int> RunToEnd(pid_t pid);

// SIGKILLs `pid` and waits for the end of each of its threads (reaped when this thread is its
// parent). For cleanup.
void KillTracee(pid_t pid);

}  // namespace pwnbox::explore
