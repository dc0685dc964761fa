// pwnbox::supervisor::Enforcer: the one place where a Verdict becomes what happens to the call,
// for both backends (Sandbox2's MonitorBase idea: the notify loop and the PolicyTracer only
// carry out the plan with their own mechanism, SEND/ADDFD or registers).
//
//   verdict                     notify                         ptrace
//   continue                    CONTINUE                       the call runs
//   continue on checked paths   emulated (Emulator, workers)   the call runs (advisory)
//   errno / return              answer -errno / value          skipped, same result
//   redirect                    emulated on `to`               path argument rewritten
//   modify                      ENOSYS (refused before a run)  arguments rewritten
//   proxy                       the backend performs it        ENOSYS (proxy rules always
//                               (NotifyMonitor, docs/proxy.md) route through notify)
//   trap                        SIGSYS to the calling thread (tgkill(tgid, tid)), and the call
//                               returns its own number, as SECCOMP_RET_TRAP leaves rax; at the
//                               signal's delivery stop (FixTrapSignal) the siginfo is made the
//                               kernel's (SYS_SECCOMP, si_syscall, si_arch, si_call_addr)
//   kill-process, kill-thread   SIGKILL to the process; no answer is needed
//
// Under notify the signal is sent before the answer: sent after it, the woken thread may be back
// in user space first (SYNC_WAKE_UP hands it the CPU at once). The signal interrupts the call's
// wait, so the kernel would restart it (SA_RESTART) or fail it with EINTR; every task is traced
// (the lifecycle monitor), so at the signal-delivery stop FixTrapSignal sets rax to the number,
// which the kernel's restart logic leaves alone: the handler runs after the call, as with the
// kernel's trap. (Without a tracer, a trap under notify is restarted or fails with EINTR.)
//
// kill-thread cannot be done from user space: SIGKILL to any thread kills the whole thread
// group, so an escalated kill-thread kills the process (the BPF filter's own kill-thread, for
// rules that are not escalated, kills only the thread).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>

#include "core/decoder.h"
#include "supervisor/decider.h"
#include "supervisor/outcome.h"

namespace pwnbox::supervisor {

enum class Backend { kNotify, kPtrace };

struct Enforcement {
  enum class Do {
    kAnswer,    // the call does not run; its result is `ret` (-errno or a value)
    kContinue,  // the call runs in the kernel as the target made it
    kEmulate,   // notify: the supervisor performs it (emulator.h), on the rule's `to` if redirect
    kRewrite,   // ptrace: rewrite the arguments (redirect, modify), then the call runs
    kKill,      // kill the process (Kill()); no answer
    kProxy,     // notify: the rule's backend performs the call (proxy/client.h)
  };
  Do what = Do::kContinue;
  int64_t ret = 0;
  bool trap = false;  // after the answer: Trap()
};

class Enforcer {
 public:
  // `outcome` may be null; it outlives the enforcer.
  explicit Enforcer(Outcome* outcome) : outcome_(outcome) {}

  // What `backend` must do with `call` given `v`.
  Enforcement Plan(const Verdict& v, const core::SyscallCall& call, Backend backend) const;
  // The plan when an emulation was planned but the emulator does not cover the call: a
  // redirect fails closed (ENOSYS); an allowed call on a checked path continues (advisory,
  // docs/security.md).
  Enforcement NotEmulated(const Verdict& v) const;

  // SIGSYS to thread `tid` of process `tgid` (the calling thread, as SECCOMP_RET_TRAP does),
  // for `call`; remembered (process-wide, for whichever tracer sees the delivery stop) until
  // FixTrapSignal. `tgid` 0: read from /proc/TID/status.
  void Trap(pid_t tgid, pid_t tid, const core::SyscallCall& call) const;
  // At a signal-delivery stop of `tid` for `si`: when it is the SIGSYS of a Trap, makes rax the
  // syscall number and the siginfo what the kernel's trap gives. Preconditions: the caller is
  // `tid`'s tracer and `tid` is in its signal-delivery stop.
  void FixTrapSignal(pid_t tid, const siginfo_t& si) const;
  // Task `tid` is gone: a trap still pending for it is dropped (its tid may be reused).
  static void Forget(pid_t tid);
  // SIGKILL to the process of thread `tid`.
  void Kill(pid_t tid) const;

  Outcome* outcome() const { return outcome_; }
  // Records an unexpected kernel error (no-op without an outcome).
  void KernelError(const char* what, int err) const {
    if (outcome_) outcome_->KernelError(what, err);
  }

 private:
  Outcome* outcome_;
};

}  // namespace pwnbox::supervisor
