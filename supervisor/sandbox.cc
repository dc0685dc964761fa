#include "supervisor/sandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "supervisor/decider.h"
#include "supervisor/launcher.h"
#include "supervisor/leftovers.h"
#include "supervisor/notify_monitor.h"
#include "supervisor/policy_tracer.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::supervisor {
namespace {

std::atomic<pid_t> g_target{0};

}  // namespace

void ForwardSignal(int sig) {
  pid_t pid = g_target.load(std::memory_order_relaxed);
  if (pid > 0) kill(pid, sig);
}

core::Result<SandboxResult> RunSandbox(const config::Policy& policy,
                                       const filters::Program& program,
                                       const std::vector<std::string>& argv,
                                       const SandboxOptions& options) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  Decider decider(policy, options.complain);
  Reporter reporter(options.report_fd, policy);
  SandboxResult result;
  Outcome& outcome = *result.outcome;

  LaunchSpec spec;
  spec.argv = argv;
  spec.policy = &program.bpf;
  // Always a listener, held to the end (launcher.h), and the supervisor out of reach.
  spec.policy_listener = true;
  spec.confine = true;

  // Every task is traced: for PTRACE_O_EXITKILL and fork following always, and for the rules
  // that stop at the tracer (escalate = "ptrace", or actions only ptrace can carry out). Rules
  // escalated through USER_NOTIF are served by the notify loop, which also reaps the ptrace
  // stops, so neither starves the other. Both loops return when the main process is gone.
  PolicyTracer tracer(decider, &reporter);
  PtraceOptions popts;
  popts.pin = false;  // the policy filter does not stop on sched_getaffinity: never pin
  popts.end_with_main = true;
  popts.outcome = &outcome;
  PtraceMonitor monitor(tracer, popts);
  spec.ptrace = true;
  spec.ptrace_options = monitor.SeizeOptions();
  core::UniqueFd held_listener;  // until every task is gone
  if (!program.uses_notify) {
    auto launched = Launch(spec);
    if (!launched.ok()) return launched.error();
    result.path = launched->path;
    result.isolation = launched->isolation;
    result.landlock_abi = launched->landlock_abi;
    held_listener = std::move(launched->listener);
    g_target = launched->pid;
    auto st = monitor.RunSpawned(launched->pid);
    if (!st.ok()) {
      KillLeftovers(monitor);
      return st.error();
    }
    result.wait_status = *st;
    result.exec_errno = ExecErrno(*launched);
  } else {
    // SIGCHLD is read from a signalfd by the notify loop.
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    auto launched = Launch(spec);
    if (!launched.ok()) {
      sigprocmask(SIG_SETMASK, &old, nullptr);
      return launched.error();
    }
    result.path = launched->path;
    result.isolation = launched->isolation;
    result.landlock_abi = launched->landlock_abi;
    held_listener.reset(fcntl(launched->listener.get(), F_DUPFD_CLOEXEC, 0));
    if (!held_listener) outcome.KernelError("fcntl(F_DUPFD_CLOEXEC) of the listener", errno);
    g_target = launched->pid;
    monitor.Adopt(launched->pid);
    NotifyMonitor notify(decider, reporter, &monitor);
    auto st = notify.Run(std::move(launched->listener), launched->pid);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (!st.ok()) {
      KillLeftovers(monitor);
      return st.error();
    }
    result.wait_status = *st;
    result.exec_errno = ExecErrno(*launched);
  }
  g_target = 0;
  outcome.Ended(result.wait_status);
  result.escalated = decider.decisions();
  if (options.complain && decider.complaints_suppressed() > 0)
    dprintf(options.report_fd,
            "pwnbox: --complain: %llu more call%s of an already reported syscall, rule and path "
            "%s not reported\n",
            static_cast<unsigned long long>(decider.complaints_suppressed()),
            decider.complaints_suppressed() == 1 ? "" : "s",
            decider.complaints_suppressed() == 1 ? "was" : "were");
  KillLeftovers(monitor);
  return result;
}

}  // namespace pwnbox::supervisor
