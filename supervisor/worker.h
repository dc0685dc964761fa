// pwnbox::supervisor::WorkerPool: threads that perform emulated calls as the target, so that
// the notify loop never blocks on one (an open of a FIFO without a writer, a slow filesystem)
// and every call is checked with exactly the target's credentials.
//
// A worker thread unshares its fs struct (its own umask, set per call) and takes one identity
// for its whole life (credentials.h); idle workers are kept per identity (at most
// kIdlePerIdentity each, kIdleTotal in all), so the common case reuses a thread. At most `max_in_flight` jobs run
// at once: Submit refuses more (the caller answers EAGAIN), so a flood of blocking opens cannot
// exhaust the supervisor.
//
// Cancel() interrupts a job's blocking syscall with kCancelSignal (installed without
// SA_RESTART: the syscall returns EINTR); a signal that lands just before the worker enters the
// syscall is lost, so the caller repeats Cancel() until the job is done. A finished job is
// handed back through TakeDone() (event_fd() becomes readable); its fd, if any, is closed when
// the caller drops it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "supervisor/credentials.h"
#include "supervisor/emulator.h"
#include "supervisor/outcome.h"

namespace pwnbox::supervisor {

class WorkerPool {
 public:
  static constexpr size_t kIdlePerIdentity = 2;
  static constexpr size_t kIdleTotal = 16;  // a target cycling through identities leaves no more
  struct Done {
    uint64_t token = 0;
    EmulationResult result;
  };

  // `outcome` (may be null) outlives the pool; it gets the workers' kernel errors.
  WorkerPool(size_t max_in_flight, Outcome* outcome);
  // Cancels what is in flight and waits for it up to one second; a worker stuck beyond that (an
  // uninterruptible filesystem) is left behind, detached.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `call` as `creds` (taken only when `take_creds`; otherwise the supervisor's own) with
  // `umask`; `token` names it in Cancel and Done. False when max_in_flight jobs are running.
  bool Submit(uint64_t token, const Credentials& creds, bool take_creds, mode_t umask,
              EmulatedCall call);
  // Interrupts job `token`'s blocking syscall, if it is still running.
  void Cancel(uint64_t token);
  // The jobs finished since the last call (drains event_fd()).
  std::vector<Done> TakeDone();
  int event_fd() const;
  size_t in_flight() const;
  size_t threads() const;  // worker threads alive

  static int CancelSignal();

 private:
  struct State;
  struct Worker;
  static void* Main(void* arg);
  std::shared_ptr<State> state_;
};

}  // namespace pwnbox::supervisor
