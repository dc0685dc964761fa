// pwnbox::supervisor launcher: starts the target with its seccomp filters installed.
//
// fork → (child) PDEATHSIG(SIGKILL), optional CPU pin, wait until the tracer has seized it (then
// PDEATHSIG is cleared: PTRACE_O_EXITKILL holds the child to the supervisor's life),
// NO_NEW_PRIVS, enter the Landlock domain that keeps the supervisor out of reach (landlock.h),
// install the policy filter (with a USER_NOTIF listener), hand the listener to the supervisor,
// install the trace filter, execve. Between fork and execve the child is async-signal-safe: everything it needs is
// prepared by the parent; failures travel as an errno over a close-on-exec status pipe.
//
// The listener travels over a socketpair with sendmsg, after the policy filter is in place (it
// must be: the listener is created by installing the filter). A policy may deny sendmsg, so the
// policy filter is prefixed with an exception for exactly one call site in pwnbox's own text,
// and a second filter then kills any later call from that site: see docs/security.md.
//
// The listener is created whenever a policy filter is installed, even when the policy never
// returns SECCOMP_RET_USER_NOTIF, and the supervisor holds it for the whole run: the kernel allows
// one listener per filter chain, so the target's own SECCOMP_FILTER_FLAG_NEW_LISTENER then fails
// with EBUSY, and a filter of the target's that returns USER_NOTIF without a listener makes the
// call fail with ENOSYS: it cannot answer (and so hide) calls that pwnbox escalates.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "supervisor/landlock.h"

namespace pwnbox::supervisor {

struct LaunchSpec {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH
  const std::vector<sock_filter>* policy = nullptr;  // installed first, may be null
  // Install the policy filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and hand the listener over
  // (Launched::listener). Set it whenever `policy` is set (see above).
  bool policy_listener = false;
  const std::vector<sock_filter>* trace = nullptr;   // installed second, may be null
  bool ptrace = false;     // the caller seizes the child (Launched::Resume) before filters
  unsigned ptrace_options = 0;  // PTRACE_O_* for PTRACE_SEIZE
  int pin_cpu = -1;        // sched_setaffinity to this CPU before execve
  bool no_aslr = false;    // personality(ADDR_NO_RANDOMIZE): record and replay line up
  // Keep the supervisor out of the target's reach (landlock.h): a Landlock domain scoping
  // ptrace and signals when the kernel has ABI 6+, else a non-dumpable supervisor.
  bool confine = false;
  // The Landlock part of the policy (filters::Program::landlock): when eligible, the child enters
  // one domain with its path rules and the scoping above (landlock.h PreparePathsRuleset), or
  // Launch fails: the policy filter allows the calls Landlock decides.
  const filters::LandlockPlan* landlock_paths = nullptr;
  // Hold the target's tree to the supervisor's life with a PID namespace instead of ptrace
  // (docs/security.md "Lifecycle"): the child becomes PID 1 of a new PID namespace (with a
  // mount namespace whose /proc shows it, see own_proc, and a user namespace mapping only
  // pwnbox's own uid and gid when pwnbox is not root), a small init that starts the target as its child,
  // reaps every orphan of the namespace, and reports the target's wait status. It dies with
  // pwnbox (PDEATHSIG), and the kernel kills every process of a namespace whose init is gone, so
  // nothing survives pwnbox and ptrace stays free for the target's own debuggers. Needs
  // `policy_listener` (the listener's handover tells pwnbox the target's pid). When the kernel
  // refuses a namespace (no unprivileged user namespaces, a seccomp profile around pwnbox, a
  // /proc that may not be mounted again), Launch falls back to `ptrace` if set, else fails.
  bool pid_namespace = false;
  // With `pid_namespace`: the init reports and ends only once every process of the namespace
  // is gone (strace -f's behaviour), not when the target's main process exits (then the kernel
  // kills what is left).
  bool wait_all = false;
  // With `pid_namespace`: a mount namespace of the target's own whose /proc shows its PID
  // namespace. False: the target shares pwnbox's mount namespace (path rules need that) and sees
  // the host's /proc, where /proc/self is right but /proc/$(getpid()) is another process.
  bool own_proc = true;
};

struct Launched {
  pid_t pid = -1;
  std::string path;             // the resolved executable
  core::UniqueFd listener;      // USER_NOTIF listener when policy_listener
  core::UniqueFd status;        // read end of the status pipe (EOF once execve succeeded)
  Isolation isolation = Isolation::kNone;  // what keeps the supervisor out of reach
  int landlock_abi = 0;         // Landlock's ABI on this kernel when `confine` (0: none)
  // The target runs under pwnbox's init in its own PID namespace (LaunchSpec::pid_namespace):
  // `pid` is the init's pid (pwnbox's child, to wait for), `target_pid` the target's as pwnbox
  // sees it, and `init_report` gives the target's wait status (TargetWaitStatus). Otherwise
  // `target_pid` == `pid`.
  bool pid_namespace = false;
  pid_t target_pid = -1;
  core::UniqueFd init_report;
  std::string namespace_refused;  // why the namespace was not used, when it was asked for
};

// Starts the target. Preconditions: argv non-empty. Errors: the command was not found
// (Error::sys_errno() == ENOENT, the message says so) or a system call of the launch failed.
// With spec.ptrace the child is seized (PTRACE_SEIZE with spec.ptrace_options) before this
// returns, and runs on.
core::Result<Launched> Launch(const LaunchSpec& spec);

// After the target finished: when its execve failed, the errno the child reported, else 0.
int ExecErrno(Launched& launched);

// With a PID namespace: the target's wait status, given the init's (`init_status`, from
// waitpid). An init that did not report was killed from outside, and the kernel killed the
// target with it: SIGKILL.
int TargetWaitStatus(Launched& launched, int init_status);

// Resolves argv0 against PATH as execvp would; ENOENT/EACCES errors say what to do.
core::Result<std::string> ResolveCommand(const std::string& argv0);

}  // namespace pwnbox::supervisor
