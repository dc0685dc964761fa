// pwnbox::supervisor::NotifyMonitor: serves SECCOMP_RET_USER_NOTIF escalations.
//
// One loop polls the listener and a signalfd for SIGCHLD: notifications are received
// (SECCOMP_IOCTL_NOTIF_RECV), decided by the Decider, reported, and answered
// (SECCOMP_IOCTL_NOTIF_SEND); children are reaped as they exit. The listener is switched to
// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (kernel 6.6+) so that the target and the supervisor hand
// the CPU to each other instead of waking one another across CPUs (DESIGN.md decision 2).
#pragma once

#include <sys/types.h>

#include "config/policy.h"
#include "core/fd.h"
#include "core/status.h"
#include "supervisor/decider.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::supervisor {

class NotifyMonitor {
 public:
  // Non-owning references; all outlive the monitor. `lifecycle`, when given, traces every task
  // of the target only for PTRACE_O_EXITKILL and fork following; the wait statuses the loop
  // reaps are handed to it.
  NotifyMonitor(Decider& decider, Reporter& reporter, PtraceMonitor* lifecycle = nullptr);

  // Serves notifications from `listener` until `main_pid` exits; returns its wait status.
  // Preconditions: SIGCHLD is blocked in the calling thread (the monitor reads it from a
  // signalfd), and the caller is the parent (or subreaper) of the target.
  core::Result<int> Run(core::UniqueFd listener, pid_t main_pid);

  // Whether the kernel accepted SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (after Run started).
  bool sync_wake_up() const { return sync_wake_up_; }

 private:
  void Serve(int listener);

  Decider& decider_;
  Reporter& reporter_;
  PtraceMonitor* lifecycle_;
  bool sync_wake_up_ = false;
};

}  // namespace pwnbox::supervisor
