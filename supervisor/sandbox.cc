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
std::atomic<int> g_pending_signal{0};  // arrived while the target was being started

}  // namespace

void ForwardSignal(int sig) {
  pid_t pid = g_target.load();
  if (pid > 0) kill(pid, sig);
  else g_pending_signal.store(sig);
}

namespace {

// The first rule whose paths pwnbox resolves (and emulates, or proxies) in its own mount
// namespace.
const config::Rule* FirstPathRule(const config::Policy& policy) {
  for (const auto& rule : policy.rules)
    if (!rule.paths.empty() || rule.action.kind == config::ActionKind::kRedirect ||
        rule.action.kind == config::ActionKind::kProxy)
      return &rule;
  return nullptr;
}

// Counts the calls the policy tracer decides (SandboxResult::escalated_ptrace): it sees every
// call that stopped at the tracer after the policy acted on it.
class TracerCount : public PtraceObserver {
 public:
  void OnEntry(Task&) override { ++entries_; }
  void OnExit(Task&) override {}
  void OnSignal(Task&, const siginfo_t&) override {}
  void OnTaskExit(Task&, int) override {}
  uint64_t entries() const { return entries_; }

 private:
  uint64_t entries_ = 0;
};

}  // namespace

std::optional<std::string> NamespaceUnsuitable(const config::Policy& policy,
                                               const filters::Program& program,
                                               Lifecycle lifecycle) {
  if (program.uses_trace)
    return "the policy has rules served through ptrace, which needs a tracer on every task";
  if (lifecycle != Lifecycle::kNamespace)
    if (const config::Rule* rule = FirstPathRule(policy))
      return "the policy has path rules (" + rule->Location() +
             "), which pwnbox resolves in its own mount namespace, where /proc is not the "
             "target's (--lifecycle namespace runs them with the host's /proc)";
  return std::nullopt;
}

bool PreferNamespace(const config::Policy& policy, Lifecycle lifecycle) {
  if (lifecycle == Lifecycle::kPtrace) return false;
  return lifecycle == Lifecycle::kNamespace || !FirstPathRule(policy);
}

namespace {

void ReportSuppressedComplaints(const Decider& decider, int report_fd) {
  const unsigned long long n = decider.complaints_suppressed();
  if (n == 0) return;
  dprintf(report_fd,
          "pwnbox: --complain: %llu more call%s of an already reported syscall, rule and path "
          "%s not reported\n",
          n, n == 1 ? "" : "s", n == 1 ? "was" : "were");
}

// The target runs: what the result says of its start, and the signals forwarded from now on.
void Started(const Launched& launched, SandboxResult* result) {
  result->path = launched.path;
  result->isolation = launched.isolation;
  result->landlock_abi = launched.landlock_abi;
  result->pid_namespace = launched.pid_namespace;
  g_target = launched.target_pid;
  // It runs already (it may have said it is ready): a signal that came meanwhile is its.
  if (int sig = g_pending_signal.exchange(0)) kill(launched.target_pid, sig);
}

// The run in a PID namespace: no ptrace. pwnbox waits for its init, which reports the target.
core::Result<int> RunInNamespace(Launched& launched, const filters::Program& program,
                                 Decider& decider, Reporter& reporter, Outcome& outcome,
                                 core::UniqueFd* held_listener) {
  held_listener->reset(fcntl(launched.listener.get(), F_DUPFD_CLOEXEC, 0));
  if (!*held_listener) outcome.KernelError("fcntl(F_DUPFD_CLOEXEC) of the listener", errno);
  int init_status = 0;
  if (program.uses_notify) {
    NotifyMonitor notify(decider, reporter, nullptr, &outcome);
    PWNBOX_ASSIGN_OR_RETURN(init_status, notify.Run(std::move(launched.listener), launched.pid));
  } else {
    while (waitpid(launched.pid, &init_status, 0) < 0) {
      if (errno != EINTR) return core::ErrnoError(errno, "waitpid of the target's init");
    }
  }
  return TargetWaitStatus(launched, init_status);
}

}  // namespace

core::Result<SandboxResult> RunSandbox(const config::Policy& policy,
                                       const filters::Program& program,
                                       const std::vector<std::string>& argv,
                                       const SandboxOptions& options) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  SandboxResult result;
  Outcome& outcome = *result.outcome;

  // The policy and program of each lifecycle: the namespace's has no CLONE_UNTRACED guard, the
  // ptrace lifecycle's has it. The caller compiled one of them (policy.options
  // .untraced_children says which); the other is compiled only when it is needed.
  auto variant = [&](bool untraced_children)
      -> core::Result<std::pair<config::Policy, filters::Program>> {
    config::Policy p = policy;
    p.options.untraced_children = untraced_children;
    PWNBOX_ASSIGN_OR_RETURN(filters::Program prog, filters::Compile(p, options.compile));
    return std::make_pair(std::move(p), std::move(prog));
  };
  std::optional<std::pair<config::Policy, filters::Program>> ns_variant, ptrace_variant;
  bool try_namespace = false;
  if (options.lifecycle != Lifecycle::kPtrace) {
    if (auto unsuitable = NamespaceUnsuitable(policy, program, options.lifecycle)) {
      if (options.lifecycle == Lifecycle::kNamespace)
        return core::Error("--lifecycle namespace: " + *unsuitable +
                           "; use --lifecycle auto or ptrace");
      result.namespace_refused = *unsuitable;
    } else {
      try_namespace = true;
      if (!policy.options.untraced_children) {
        auto v = variant(true);
        if (!v.ok()) return v.error();
        ns_variant = std::move(*v);
      }
    }
  }
  const config::Policy& run_policy = ns_variant ? ns_variant->first : policy;
  const filters::Program& run_program = ns_variant ? ns_variant->second : program;
  Decider ns_decider(run_policy, options.complain);
  Reporter ns_reporter(options.report_fd, run_policy);

  LaunchSpec spec;
  spec.argv = argv;
  spec.policy = &run_program.bpf;
  spec.landlock_paths = &run_program.landlock;  // path rules Landlock decides (landlock.h)
  // Always a listener, held to the end (launcher.h), and the supervisor out of reach.
  spec.policy_listener = true;
  spec.confine = true;
  spec.wait_all = options.wait_all;
  spec.pid_namespace = try_namespace;
  // Path rules are resolved and carried out in pwnbox's mount namespace: the target must share
  // it, and so sees the host's /proc (--lifecycle namespace only; auto uses ptrace for them).
  spec.own_proc = !FirstPathRule(policy);

  // SIGCHLD is read from a signalfd by the notify loop.
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  core::UniqueFd held_listener;  // until every task is gone
  if (try_namespace) {
    auto launched = Launch(spec);
    if (launched.ok()) {
      Started(*launched, &result);
      auto st = RunInNamespace(*launched, run_program, ns_decider, ns_reporter, outcome,
                               &held_listener);
      sigprocmask(SIG_SETMASK, &old, nullptr);
      g_target = 0;
      if (!st.ok()) return st.error();
      result.wait_status = *st;
      result.exec_errno = ExecErrno(*launched);
      outcome.Ended(result.wait_status);
      result.escalated = ns_decider.decisions();
      if (options.complain) ReportSuppressedComplaints(ns_decider, options.report_fd);
      return result;  // the init's exit has killed what was left
    }
    if (launched.error().sys_errno() != ENOTSUP || options.lifecycle == Lifecycle::kNamespace) {
      sigprocmask(SIG_SETMASK, &old, nullptr);
      return launched.error();
    }
    result.namespace_refused = launched.error().message();
  }

  if (policy.options.untraced_children) {  // compiled for a namespace: the guard goes back in
    auto v = variant(false);
    if (!v.ok()) {
      sigprocmask(SIG_SETMASK, &old, nullptr);
      return v.error();
    }
    ptrace_variant = std::move(*v);
  }
  const config::Policy& traced_policy = ptrace_variant ? ptrace_variant->first : policy;
  const filters::Program& traced_program = ptrace_variant ? ptrace_variant->second : program;

  // The ptrace lifecycle: every task is traced, for PTRACE_O_EXITKILL and fork following
  // always, and for the rules that stop at the tracer (escalate = "ptrace", or actions only
  // ptrace can carry out). Rules escalated through USER_NOTIF are served by the notify loop,
  // which also reaps the ptrace stops, so neither starves the other. Both loops return when the
  // main process is gone (or every task, with wait_all).
  Decider decider(traced_policy, options.complain);
  Reporter reporter(options.report_fd, traced_policy);
  TracerCount tracer_count;
  PolicyTracer tracer(decider, &reporter, &tracer_count, &outcome);
  PtraceOptions popts;
  popts.pin = false;  // the policy filter does not stop on sched_getaffinity: never pin
  popts.end_with_main = !options.wait_all;
  popts.outcome = &outcome;
  PtraceMonitor monitor(tracer, popts);
  spec.policy = &traced_program.bpf;
  spec.landlock_paths = &traced_program.landlock;
  spec.pid_namespace = false;
  spec.ptrace = true;
  spec.ptrace_options = monitor.SeizeOptions();
  auto launched = Launch(spec);
  if (!launched.ok()) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    return launched.error();
  }
  Started(*launched, &result);
  core::Result<int> st = 0;
  if (!traced_program.uses_notify) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    held_listener = std::move(launched->listener);
    st = monitor.RunSpawned(launched->pid);
  } else {
    held_listener.reset(fcntl(launched->listener.get(), F_DUPFD_CLOEXEC, 0));
    if (!held_listener) outcome.KernelError("fcntl(F_DUPFD_CLOEXEC) of the listener", errno);
    monitor.Adopt(launched->pid);
    NotifyMonitor notify(decider, reporter, &monitor, &outcome);
    notify.set_until_all_tasks(options.wait_all);
    st = notify.Run(std::move(launched->listener), launched->pid);
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  g_target = 0;
  if (!st.ok()) {
    KillLeftovers(monitor);
    return st.error();
  }
  result.wait_status = *st;
  result.exec_errno = ExecErrno(*launched);
  outcome.Ended(result.wait_status);
  result.escalated = decider.decisions();
  result.escalated_ptrace = tracer_count.entries();
  if (options.complain) ReportSuppressedComplaints(decider, options.report_fd);
  KillLeftovers(monitor);
  return result;
}

}  // namespace pwnbox::supervisor
