#include "cli/traced_run.h"

#include <signal.h>

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
  if (policy) spec.policy = &policy->program().bpf;
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
