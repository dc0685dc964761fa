// pwnbox::explore call outcomes: what one branch makes of the call it was forked at.
//
// Grammar (ParseOutcome, the words `--outcomes` takes):
//   ok            the real call runs
//   ERRNAME       the call is skipped and fails with that errno (ENOENT, EACCES, ...)
//   short         a read/write-like call (read, write, pread64, pwrite64, recvfrom, sendto) runs
//                 with its count halved (at least 1): the real call, asked for fewer bytes, so a
//                 partial transfer; refused for a count below 2
//   eof           a read-like call (read, pread64, readv, preadv, preadv2, recvfrom, recvmsg) is
//                 skipped and returns 0, consuming nothing
//   eintr         the call is interrupted by a real signal, with the restart semantics it has:
//   eintr:SIGNAME   it is skipped; at its exit its result is the kernel's own restart code
//                 (-ERESTARTNOHAND for the calls that never restart after a handler: pause,
//                 sigsuspend, poll, select, epoll_wait, nanosleep...; -ERESTARTSYS for the
//                 others) with orig_rax back to the call, and a real signal is queued to the
//                 task (tgkill) before it returns to user space. The kernel then does what it
//                 does for a real interruption: the handler runs and the call fails with EINTR,
//                 or restarts (SA_RESTART with ERESTARTSYS); the restart code never reaches the
//                 program (a signal is always pending when it leaves the kernel, and the tracer
//                 suppressing it makes the kernel restart the call). The signal is one the task
//                 catches and does not block (SIGALRM, SIGCHLD, SIGUSR1, SIGUSR2, SIGWINCH, SIGIO,
//                 SIGPIPE, SIGINT, SIGTERM, SIGHUP first, else the lowest caught one), or the one
//                 named; refused when it catches none: without a handler no call returns EINTR.
// Outcomes are applied at the call's entry stop (ApplyAtEntry) and completed at its exit stop
// (FinishAtExit), by the thread that traces the task.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "explore/fork_at_stop.h"

namespace pwnbox::explore {

struct CallOutcome {
  enum class Kind : uint8_t { kOk, kErrno, kShort, kEof, kEintr };
  Kind kind = Kind::kOk;
  int err = 0;     // kErrno: the errno
  int signal = 0;  // kEintr: the signal named, 0 to choose one
  // "ok", "ENOENT", "short", "eof", "eintr", "eintr:SIGUSR1".
  std::string ToString() const;
  bool operator==(const CallOutcome&) const = default;
};

// Parses one outcome word. Errors are one line with a hint, e.g. `unknown outcome "ENOENTT"
// (did you mean ENOENT?): expected ok, short, eof, eintr or an errno name (ENOENT, EACCES, ...)`.
core::Result<CallOutcome> ParseOutcome(std::string_view text);

// What ApplyAtEntry did, for FinishAtExit.
struct AppliedOutcome {
  CallOutcome outcome;
  bool skipped = false;  // orig_rax was set to -1: the call does not run
  int64_t ret = 0;       // skipped: the result set at the exit stop
  int count_arg = -1;    // short: the register changed and its value before
  uint64_t count_before = 0;
  int signal = 0;  // eintr: the signal queued at the exit stop
  EntryStop entry;
};

// Applies `outcome` to the call `stop` is the entry of. Fails (changing nothing) when the
// outcome does not apply to that call (`short` on a close, `eintr` in a task that catches no
// signal), or when a skip is asked at a syscall-enter-stop of a task under seccomp (its filters
// would then judge syscall -1). Preconditions: the task is at `stop`, not resumed since.
core::Result<AppliedOutcome> ApplyAtEntry(const EntryStop& stop, const CallOutcome& outcome);

// Completes `applied` at the call's exit stop: sets a skipped call's result, puts a shortened
// count back (the program may keep using the register), and for eintr sets the restart code and
// queues the signal. Returns the call's result as the program's registers now hold it.
// Preconditions: the task is at the exit stop of the call ApplyAtEntry saw.
core::Result<int64_t> FinishAtExit(const AppliedOutcome& applied);

// The name of the syscall of `stop` ("openat").
std::string_view CallName(const EntryStop& stop);

}  // namespace pwnbox::explore
