// pwnbox::supervisor::PolicyTracer: the ptrace backend of the policy. At each seccomp stop it
// asks the Decider and carries out the Enforcer's plan (skip the call with an errno or a
// value, kill, trap, rewrite the arguments), then reports at the exit stop, where the result is known. It can wrap another
// observer (the TraceWriter of `pwnbox trace --policy`), which then sees the calls as the
// policy made them end.
#pragma once

#include <functional>
#include <unordered_map>

#include "supervisor/decider.h"
#include "supervisor/enforcer.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::supervisor {

class PolicyTracer final : public PtraceObserver {
 public:
  // Non-owning: all outlive the tracer. `inner` may be null.
  // `outcome` (may be null) gets the kernel errors.
  PolicyTracer(Decider& decider, Reporter* reporter, PtraceObserver* inner = nullptr,
               Outcome* outcome = nullptr)
      : decider_(decider), reporter_(reporter), inner_(inner), enforcer_(outcome) {}

  // Called, before the SIGKILL, for a call whose verdict kills its process (`explore` tells a
  // policy's kill from its own).
  void set_on_kill(std::function<void(pid_t)> on_kill) { on_kill_ = std::move(on_kill); }

  void OnEntry(Task& task) override;
  void OnExit(Task& task) override;
  // Decided by the notify loop already: only the inner observer sees them.
  void OnServedEntry(Task& task) override {
    if (inner_) inner_->OnServedEntry(task);
  }
  void OnServedExit(Task& task) override {
    if (inner_) inner_->OnServedExit(task);
  }
  // A SIGSYS sent for a trap verdict (by either backend) gets the kernel trap's rax and siginfo.
  void OnSignal(Task& task, const siginfo_t& si) override {
    enforcer_.FixTrapSignal(task.tid, si);
    if (inner_) inner_->OnSignal(task, si);
  }
  void OnTaskExit(Task& task, int status) override;
  void OnNewTask(Task& task, pid_t parent) override {
    if (inner_) inner_->OnNewTask(task, parent);
  }
  void OnExec(Task& task, pid_t old_tid) override {
    if (inner_) inner_->OnExec(task, old_tid);
  }
  void OnForget(Task& task) override;

 private:
  bool Redirect(Task& task, const Verdict& v);
  bool Modify(Task& task, const Verdict& v);

  Decider& decider_;
  Reporter* reporter_;
  PtraceObserver* inner_;
  Enforcer enforcer_;
  std::function<void(pid_t)> on_kill_;
  // Per task, between entry and exit: the verdict of a call to report, and its arguments as
  // decoded at entry (an execve replaces the memory they were in).
  struct Pending {
    Verdict verdict;
    core::DecodedCall entry;
  };
  std::unordered_map<pid_t, Pending> verdicts_;
};

}  // namespace pwnbox::supervisor
