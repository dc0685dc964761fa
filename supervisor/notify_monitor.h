// pwnbox::supervisor::NotifyMonitor: serves SECCOMP_RET_USER_NOTIF escalations.
//
// One loop polls the listener, a signalfd for SIGCHLD and the workers' completion eventfd:
// notifications are received (SECCOMP_IOCTL_NOTIF_RECV), decided by the Decider, planned by the
// Enforcer and answered (SECCOMP_IOCTL_NOTIF_SEND); children are reaped as they exit.
//
// Emulated calls (path rules, redirect) run on worker threads acting as the target (worker.h):
// the loop never blocks on one, keeps receiving and answering the others, and answers each
// emulated call once its worker is done (ADDFD+SEND for an fd, SEND otherwise). The loop does
// itself only what cannot block and needs no other identity: a target with the supervisor's
// own credentials, a call that creates nothing, on a local filesystem, an open of a regular
// file or directory (emulator.h PerformIfQuick). The target's credentials are read from
// /proc/TID/status, or revalidated without it (StatusOf). A call whose
// notification becomes invalid (the thread was interrupted by a signal, or died) has its worker
// cancelled and its result discarded (an opened fd is closed). At most kMaxInFlight emulated
// calls run at once; a call beyond that is answered EAGAIN. Calls decided `proxy` go to their
// backend the same way, off the loop (proxy_calls.h), and count towards the same limit.
//
// Every call gets an answer or its task is gone: a failed ADDFD (EMFILE under the target's
// RLIMIT_NOFILE) is answered with its errno; an open(O_PATH) under a path rule gets
// kOpathErrno (emulator.h). RECV/SEND/ADDFD failures other than "the notification is gone"
// (ENOENT) are recorded in the Outcome.
//
// The listener is switched to SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (kernel 6.6+) so that the
// target and the supervisor hand the CPU to each other (DESIGN.md decision 2).
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "config/policy.h"
#include "core/fd.h"
#include "core/status.h"
#include "supervisor/credentials.h"
#include "supervisor/decider.h"
#include "supervisor/enforcer.h"
#include "supervisor/outcome.h"
#include "supervisor/proxy_calls.h"
#include "supervisor/ptrace_monitor.h"
#include "supervisor/worker.h"

namespace pwnbox::supervisor {

class NotifyMonitor {
 public:
  static constexpr size_t kMaxInFlight = 64;

  // Non-owning references; all outlive the monitor. `lifecycle`, when given, traces every task
  // of the target only for PTRACE_O_EXITKILL and fork following; the wait statuses the loop
  // reaps are handed to it. `outcome` (may be null) gets the kernel errors.
  NotifyMonitor(Decider& decider, Reporter& reporter, PtraceMonitor* lifecycle = nullptr,
                Outcome* outcome = nullptr);
  ~NotifyMonitor();

  // Serves notifications from `listener` until `main_pid` exits; returns its wait status.
  // Preconditions: SIGCHLD is blocked in the calling thread (the monitor reads it from a
  // signalfd), and the caller is the parent (or subreaper) of the target.
  core::Result<int> Run(core::UniqueFd listener, pid_t main_pid);
  // Serves notifications from `listener` until `stop_fd` (an eventfd) becomes readable; reaps
  // nothing and reads no SIGCHLD (for a caller with a wait loop of its own: `pwnbox explore`,
  // whose tracer thread waits for every task while this runs on another thread). Calls still
  // in flight when it stops are cancelled. Preconditions: SIGCHLD is blocked in the calling
  // thread, or handled by another one.
  core::Status ServeOnly(core::UniqueFd listener, int stop_fd);

  // Called on the loop's thread for every notification when it was received and decided (its
  // task still blocked) and once it is answered (`ret` nullopt when the call continued in the
  // kernel or its answer was lost): `trace --policy` shows them (PtraceMonitor::ServedEntry).
  void set_on_served(std::function<void(const core::SyscallCall&)> entry,
                     std::function<void(pid_t, std::optional<int64_t>)> exit) {
    on_served_entry_ = std::move(entry);
    on_served_exit_ = std::move(exit);
  }
  // Called on the loop's thread, before the SIGKILL, for a call whose verdict kills its
  // process (`explore` tells a policy's kill from its own).
  void set_on_kill(std::function<void(pid_t)> on_kill) { on_kill_ = std::move(on_kill); }
  // Run until every task of `lifecycle` is gone, not only the main process (`trace --wait-all`,
  // `record --wait-all`, replay: strace -f's behaviour). Needs a lifecycle monitor.
  void set_until_all_tasks(bool all) { until_all_tasks_ = all; }

  // Whether the kernel accepted SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (after Run started).
  bool sync_wake_up() const { return sync_wake_up_; }

 private:
  struct InFlight {
    core::SyscallCall call;
    Verdict verdict;
    uint64_t out_addr = 0;
    bool cancelled = false;
  };
  void Serve(int listener);
  // The fds Run and ServeOnly poll: `first_fd` (Run's signalfd, ServeOnly's stop fd), the
  // workers' and the proxy's event fds, `listener` (-1: no longer), the proxied calls'
  // connections; returns the poll timeout.
  int PollFds(int first_fd, int listener, bool cancelling, std::vector<pollfd>* fds);
  // Takes what that poll found ready past `first_fd`: finished workers and proxied calls, new
  // notifications; `*listening` turns false once no task uses the filter.
  void HandleReady(int listener, std::vector<pollfd>& fds, bool* listening);
  // Answers notification `id` with `ret` (-errno or a value); false when it is gone.
  bool Send(int listener, uint64_t id, int64_t ret, bool cont = false);
  void Emulate(int listener, uint64_t id, const core::SyscallCall& call, Verdict v);
  // Sends a call decided `proxy` to its backend (ProxyCalls); answered when it is done.
  void Proxy(int listener, uint64_t id, const core::SyscallCall& call, Verdict v);
  void Finish(int listener, WorkerPool::Done& done);
  // Copies the result's output into the target and answers.
  void Deliver(int listener, uint64_t id, const InFlight& f, EmulationResult& r);
  // Cancels the workers of notifications that became invalid; true while some are cancelled
  // and not done yet.
  bool CheckInFlight(int listener);
  void Report(const core::SyscallCall& call, const Verdict& v, std::optional<int64_t> ret);
  // Task `tid`'s credentials (and, when `need_umask`, its umask), from /proc/TID/status, or
  // from the last read when ReadQuickCredentials shows the same ids and capabilities and either
  // the task cannot have changed its groups since (no CAP_SETGID in its permitted set, which
  // cannot grow without an execve) or its groups do not matter (real uid 0 with CAP_CHOWN,
  // CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER and CAP_FSETID effective: no local
  // permission check looks at them; an NFS server would). Entries are dropped when their task
  // is reaped.
  core::Result<TaskStatus> StatusOf(pid_t tid, bool need_umask);

  Decider& decider_;
  Reporter& reporter_;
  PtraceMonitor* lifecycle_;
  Enforcer enforcer_;
  bool sync_wake_up_ = false;
  std::function<void(const core::SyscallCall&)> on_served_entry_;
  std::function<void(pid_t, std::optional<int64_t>)> on_served_exit_;
  std::function<void(pid_t)> on_kill_;
  bool until_all_tasks_ = false;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<ProxyCalls> proxy_;  // made at the first proxied call
  std::unordered_map<uint64_t, InFlight> in_flight_;
  std::unordered_map<pid_t, TaskStatus> status_cache_;
  bool quick_creds_ = true;         // the kernel has PIDFD_GET_INFO
  std::optional<Credentials> own_;  // the supervisor's credentials
  bool can_switch_ = false;         // it may take other credentials (CAP_SETUID, CAP_SETGID)
};

}  // namespace pwnbox::supervisor
