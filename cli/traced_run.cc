#include "cli/traced_run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "cli/common.h"
#include "supervisor/launcher.h"

namespace pwnbox::cli {

const std::vector<std::string> kAlwaysStop = {"wait4", "waitid", "waitpid", "sched_getaffinity",
                                              "sched_setaffinity"};

int RunTraced(const std::vector<std::string>& command, const filters::TraceSelection& selection,
              TracedPolicy* policy, supervisor::PtraceMonitor& monitor,
              const std::function<void(pid_t)>& on_start, const std::function<void()>& on_end,
              bool no_aslr) {
  // Ctrl-C goes to the target (same process group); pwnbox reports its end.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
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
  spec.ptrace = true;
  spec.ptrace_options = monitor.SeizeOptions();
  spec.pin_cpu = monitor.PrepareSpawn();
  spec.no_aslr = no_aslr;
  auto launched = supervisor::Launch(spec);
  if (!launched.ok()) {
    int err = launched.error().sys_errno();
    Fail(launched.error());
    return err == ENOENT ? kExitNotFound : err == EACCES ? kExitCannotExec : kExitFailure;
  }
  if (const char* dbg = getenv("PWNBOX_DEBUG_ISOLATION"))
    if (*dbg) dprintf(STDERR_FILENO, "pwnbox: isolation %s (landlock abi %d)\n",
                      std::string(supervisor::IsolationName(launched->isolation)).c_str(),
                      launched->landlock_abi);
  on_start(launched->pid);
  auto st = monitor.RunSpawned(launched->pid);
  on_end();
  if (!st.ok()) return Fail(st.error());
  if (int err = supervisor::ExecErrno(*launched)) {
    Fail(core::ErrnoError(err, "cannot execute " + launched->path));
    return err == ENOENT ? kExitNotFound : kExitCannotExec;
  }
  return ExitCodeFromWaitStatus(*st);
}

}  // namespace pwnbox::cli
