#include "supervisor/sandbox.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>

#include "supervisor/decider.h"
#include "supervisor/launcher.h"
#include "supervisor/notify_monitor.h"
#include "supervisor/policy_tracer.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::supervisor {
namespace {

std::atomic<pid_t> g_target{0};

// SIGKILLs every descendant left (daemons the target started): the sandbox ends with its
// main process, as a container does. Orphans were re-parented to us (we are a subreaper).
void KillLeftovers() {
  for (int round = 0; round < 16; ++round) {
    bool any = false;
    DIR* d = opendir("/proc/self/task");
    if (!d) return;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/children");
      pid_t child;
      while (f >> child) {
        kill(child, SIGKILL);
        any = true;
      }
    }
    closedir(d);
    while (waitpid(-1, nullptr, WNOHANG | __WALL) > 0) {
    }
    if (!any) return;
    usleep(1000);
  }
}

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

  LaunchSpec spec;
  spec.argv = argv;
  spec.policy = &program.bpf;
  spec.policy_listener = program.uses_notify;

  // Every task is traced: for PTRACE_O_EXITKILL and fork following always, and for the rules
  // that stop at the tracer (escalate = "ptrace", or actions only ptrace can carry out). Rules
  // escalated through USER_NOTIF are served by the notify loop, which also reaps the ptrace
  // stops, so neither starves the other.
  PolicyTracer tracer(decider, &reporter);
  PtraceOptions popts;
  popts.pin = false;  // the policy filter does not stop on sched_getaffinity: never pin
  PtraceMonitor monitor(tracer, popts);
  spec.ptrace = true;
  spec.ptrace_options = monitor.SeizeOptions();
  if (!program.uses_notify) {
    PWNBOX_ASSIGN_OR_RETURN(Launched launched, Launch(spec));
    result.path = launched.path;
    g_target = launched.pid;
    PWNBOX_ASSIGN_OR_RETURN(result.wait_status, monitor.RunSpawned(launched.pid));
    result.exec_errno = ExecErrno(launched);
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
    g_target = launched->pid;
    monitor.Adopt(launched->pid);
    NotifyMonitor notify(decider, reporter, &monitor);
    auto st = notify.Run(std::move(launched->listener), launched->pid);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (!st.ok()) return st.error();
    result.wait_status = *st;
    result.exec_errno = ExecErrno(*launched);
  }
  g_target = 0;
  result.escalated = decider.decisions();
  KillLeftovers();
  return result;
}

}  // namespace pwnbox::supervisor
