#include "cli/traced_run.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "cli/common.h"
#include "supervisor/launcher.h"
#include "supervisor/leftovers.h"
#include "supervisor/notify_monitor.h"

namespace pwnbox::cli {
namespace {

std::atomic<pid_t> g_traced_main{0};
std::atomic<int> g_pending_signal{0};  // arrived before the target was started

// SIGTERM/SIGHUP sent to pwnbox are passed on to the target's main process, which decides how to
// end; pwnbox reports that end (and a recording is finished), as `run` does.
void ForwardToTarget(int sig) {
  const pid_t pid = g_traced_main.load(std::memory_order_relaxed);
  if (pid > 0) kill(pid, sig);
  else g_pending_signal.store(sig, std::memory_order_relaxed);
}

}  // namespace

const std::vector<std::string> kAlwaysStop = {"wait4", "waitid", "waitpid", "sched_getaffinity",
                                              "sched_setaffinity"};

int RunTraced(const std::vector<std::string>& command, const filters::TraceSelection& selection,
              TracedPolicy* policy, supervisor::PtraceMonitor& monitor,
              const std::function<void(pid_t)>& on_start, const std::function<void()>& on_end,
              bool no_aslr, bool wait_all) {
  // Ctrl-C goes to the target (same process group); pwnbox reports its end.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  ShieldFromGroupSignals();
  auto filter = filters::CompileTraceFilter(selection, kAlwaysStop);
  if (!filter.ok()) return Fail(filter.error());
  supervisor::LaunchSpec spec;
  spec.argv = command;
  spec.trace = &*filter;
  if (policy) {
    // A sandbox: a listener is held for the whole run (the target cannot install its own) and
    // the supervisor is out of the target's reach. Without a policy this is a debugger: the
    // target is left as it is (it may ptrace or signal pwnbox, as under strace).
    spec.policy = &policy->program().bpf;
    spec.policy_listener = true;
    spec.confine = true;
  }
  // What is shown is decided by syscall number, never by the filter's data (the target's own
  // filter can forge it); the trace filter's extra stops (wait4, clone3, ...) stay hidden.
  monitor.set_selected(filters::TraceSelector(selection));
  monitor.set_end_with_main(!wait_all);
  spec.ptrace = true;
  spec.ptrace_options = monitor.SeizeOptions();
  spec.pin_cpu = monitor.PrepareSpawn();
  spec.no_aslr = no_aslr;
  // Installed before the target can run (it may be signalled as soon as it prints anything).
  struct sigaction forward {};
  forward.sa_handler = ForwardToTarget;
  sigemptyset(&forward.sa_mask);
  struct sigaction old_term {}, old_hup {};
  sigaction(SIGTERM, &forward, &old_term);
  sigaction(SIGHUP, &forward, &old_hup);
  // The notify loop reads SIGCHLD from a signalfd: block it before the child can exit.
  sigset_t chld, old_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old_mask);
  auto launched = supervisor::Launch(spec);
  if (!launched.ok() || !(policy && policy->program().uses_notify))
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (!launched.ok()) {
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGHUP, &old_hup, nullptr);
    int err = launched.error().sys_errno();
    Fail(launched.error());
    return err == ENOENT ? kExitNotFound : err == EACCES ? kExitCannotExec : kExitFailure;
  }
  PrintIsolation(launched->isolation, launched->landlock_abi);
  g_traced_main = launched->pid;
  if (int sig = g_pending_signal.exchange(0)) kill(launched->pid, sig);
  on_start(launched->pid);
  core::Result<int> st = 0;
  if (policy && policy->program().uses_notify) {
    // Path rules (and redirect) are decided and emulated by the notify loop, race-free; their
    // calls never stop at the tracer (USER_NOTIF outranks TRACE), so the loop hands each
    // answered call to the trace as a whole (PtraceObserver::OnServedEntry/Exit).
    monitor.Adopt(launched->pid);
    // Held until the leftovers are killed: a call they make meanwhile waits for an answer that
    // never comes (they are killed in it), rather than failing with ENOSYS.
    core::UniqueFd held_listener(fcntl(launched->listener.get(), F_DUPFD_CLOEXEC, 0));
    if (!held_listener)
      policy->outcome().KernelError("fcntl(F_DUPFD_CLOEXEC) of the listener", errno);
    supervisor::NotifyMonitor notify(policy->decider(), policy->reporter(), &monitor,
                                     &policy->outcome());
    notify.set_until_all_tasks(wait_all);
    notify.set_on_served(
        [&monitor](const core::SyscallCall& call) { monitor.ServedEntry(call); },
        [&monitor](pid_t tid, std::optional<int64_t> ret) { monitor.ServedExit(tid, ret); });
    st = notify.Run(std::move(launched->listener), launched->pid);
    supervisor::KillLeftovers(monitor);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  } else {
    st = monitor.RunSpawned(launched->pid);
    // The main process is gone (or the loop failed): nothing it started outlives it. With
    // --wait-all nothing is left.
    supervisor::KillLeftovers(monitor);
  }
  g_traced_main = 0;
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  on_end();
  if (policy) WarnKernelErrors(policy->outcome());
  if (!st.ok()) return Fail(st.error());
  if (int err = supervisor::ExecErrno(*launched)) {
    Fail(core::ErrnoError(err, "cannot execute " + launched->path));
    return err == ENOENT ? kExitNotFound : kExitCannotExec;
  }
  return ExitCodeFromWaitStatus(*st);
}

}  // namespace pwnbox::cli
