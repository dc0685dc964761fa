// pwnbox::supervisor::Outcome: how a supervised run ended and what went wrong on the way
// (Sandbox2's Result: a final status plus a reason; the first error wins).
//
// Every monitor (notify loop, ptrace loop, workers) reports here the kernel failures it did not
// expect instead of dropping them: a RECV/SEND/ADDFD that failed for another reason than the
// target being gone, a PTRACE_GETEVENTMSG or PTRACE_SETREGS that failed, an emulated call whose
// answer could not be delivered. The run still ends (fail closed: the call was denied or the task
// killed); the CLI prints the first error as one `pwnbox: warning:` line and `--stats` carries the
// counts, so tests assert on them.
//
// Thread-safe: workers record from their own threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace pwnbox::supervisor {

class Outcome {
 public:
  enum class End {
    kRunning,       // not ended yet
    kExited,        // the main process exited (wait_status says how)
    kSignaled,      // the main process was killed by a signal (wait_status says which)
    kSupervisorError,  // pwnbox itself failed and killed the target (reason says why)
  };

  // The main process ended with `wait_status` (first call wins).
  void Ended(int wait_status);
  // pwnbox cannot go on (the run is ended by the caller); the first reason wins.
  void Failed(std::string reason);
  // An unexpected kernel error: `what` names the operation ("SECCOMP_IOCTL_NOTIF_SEND"), `err`
  // the errno. Counted; the first one is kept as `first_error()`.
  void KernelError(std::string_view what, int err);

  End end() const;
  int wait_status() const;
  std::string reason() const;       // Failed()'s reason, or empty
  std::string first_error() const;  // "SECCOMP_IOCTL_NOTIF_SEND: Bad file descriptor", or empty
  uint64_t kernel_errors() const { return kernel_errors_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mu_;
  End end_ = End::kRunning;
  int wait_status_ = 0;
  std::string reason_;
  std::string first_error_;
  std::atomic<uint64_t> kernel_errors_{0};
};

}  // namespace pwnbox::supervisor
