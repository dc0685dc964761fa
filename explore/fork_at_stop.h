// pwnbox::explore fork at a stop: makes a traced process fork itself at the entry of a syscall,
// so that each copy can be given a different outcome of that call (DESIGN.md decision 8). The
// engine behind `pwnbox explore` and `cov --afl`; it knows nothing of selectors, budgets or
// reports.
//
// How (ForkAtStop):
//   1. The tracee is stopped at the entry of call C (a PTRACE_EVENT_SECCOMP stop from a
//      SECCOMP_RET_TRACE filter, or a syscall-enter-stop under PTRACE_SYSCALL). Its registers R
//      and its signal mask are saved; every signal is blocked (PTRACE_SETSIGMASK) until both
//      copies are back at C's entry, so that no handler runs in between and no pending signal
//      makes the clone fail with ERESTARTNOINTR.
//   2. C becomes clone(CLONE_PARENT | SIGCHLD, stack 0): a fork whose copy is a sibling of the
//      original (its parent is the original's parent, the supervisor for a target it spawned),
//      so that the original's wait() never sees or reaps it. The copy is traced from its first
//      instruction (auto-attached by PTRACE_O_TRACEFORK, with the original's ptrace options,
//      PTRACE_O_EXITKILL included), and inherits the seccomp filters (fork keeps them).
//      The injected clone passes through the seccomp filters like any call: before injecting it,
//      it is run through the filters the caller knows (ForkOptions::known_filters: the policy's
//      BPF) and, where the supervisor may read them (CAP_SYS_ADMIN), the target's own
//      (PTRACE_SECCOMP_GET_FILTER); any answer but ALLOW, LOG or TRACE refuses the fork with an
//      error and leaves the tracee untouched (USER_NOTIF too: the caller of the engine would be
//      the one to answer it). A filter that was not checked and denies the clone with an errno
//      is seen at its exit: the fork fails cleanly (the tracee is put back at C's entry). A filter that was not checked and kills on clone kills the target: the
//      error says so (pass the policy's filter to avoid it).
//   3. The clone is stepped to its exit stop (retried, up to 3 times, when it comes back with
//      ERESTARTNOINTR); the copy's first stop is taken.
//   4. Both copies get R back with rip moved back over the 2-byte syscall instruction
//      (`syscall`, `int 0x80` and the vDSO's `sysenter` path all restart at rip - 2, as the
//      kernel's own restarts do) and rax = C's number, and are resumed until they stop at C's
//      entry again, in the same kind of stop; their signal masks are restored there.
// Result: two tracees stopped at the entry of the same call with the same registers (rcx and
// r11 are rewritten by the `syscall` instruction to the same values) and equal memory (fork
// copied it). Nothing before the branch point runs twice.
//
// Limits: only single-threaded processes (fork copies only the calling thread: a copy of a
// multi-threaded process would lack its other threads, so it is refused with ENOTSUP, never
// forked silently), without child processes unless the caller accepts that the copy has none
// (ForkOptions::allow_children); x86-64 and i386 (`int 0x80`) calls, not x32; the init of a PID
// namespace cannot use CLONE_PARENT (EINVAL: refused). What the copies share is what fork shares:
// open file descriptions (offsets), pipes, sockets, the file system, shared mappings, unflushed
// stdio buffers are duplicated (docs/explore.md).
//
// All ptrace calls must come from the thread that traces the tracee. The engine waits for the
// tracee's and its copy's stops with waitpid(pid, __WALL) on those two pids only; the caller's
// loop must not wait for them meanwhile (it runs the engine from its own loop).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/syscalls.h"

namespace pwnbox::explore {

// The kind of ptrace stop at a syscall's entry.
enum class EntryKind : uint8_t {
  kSeccomp,  // PTRACE_EVENT_SECCOMP (SECCOMP_RET_TRACE); resumed with PTRACE_CONT or _SYSCALL
  kSyscall,  // syscall-enter-stop (the tracee was resumed with PTRACE_SYSCALL)
};

// A tracee stopped at the entry of a syscall.
struct EntryStop {
  pid_t tid = 0;
  EntryKind kind = EntryKind::kSeccomp;
  core::Abi abi = core::Abi::kX86_64;
  int nr = -1;  // in `abi`
  uint64_t args[6] = {};
  user_regs_struct regs{};  // at the stop: orig_rax = nr, rax = -ENOSYS, rip after the insn
};

// Reads the entry stop `tid` is in (PTRACE_GET_SYSCALL_INFO, PTRACE_GETREGS). Fails with EINVAL
// when it is stopped elsewhere. Preconditions: `tid` is a ptrace-stopped tracee of this thread.
core::Result<EntryStop> ReadEntry(pid_t tid);

struct ForkOptions {
  // Seccomp filters installed in the target that the caller knows (the policy's BPF): the
  // injected clone is run through them first (filters::RunBpf).
  std::vector<std::vector<sock_filter>> known_filters;
  // Also run it through the target's own filters, read with PTRACE_SECCOMP_GET_FILTER (needs
  // CAP_SYS_ADMIN; skipped silently without it).
  bool read_target_filters = true;
  // Fork a process that has children of its own: the copy has none (fork does not copy them),
  // so its wait() for them fails with ECHILD and they never see it. Refused unless set.
  bool allow_children = false;
  // The caller serves the target's USER_NOTIF listener from another thread (`explore` under a
  // policy with path rules): an injected call the filters answer with USER_NOTIF is let
  // through, and the policy's supervisor decides it as the target's own call.
  bool notify_served = false;
};

// The clone flags of the injected call.
inline constexpr uint64_t kInjectedCloneFlags = 0x00008000 /* CLONE_PARENT */ | 17 /* SIGCHLD */;

// Makes the tracee stopped at `stop` fork itself (see the top of this file). Returns the
// copy's pid. On success both stop.tid and the copy are stopped at the entry of stop's call,
// in stop.kind, with stop.regs; the copy is a child of the tracee's parent, traced by this
// thread. On failure the copy (if any) is killed and reaped when it is this thread's child,
// and the tracee is back at stop's entry when that could be done; the error says which:
//   ENOTSUP  multi-threaded target, children (unless allowed), x32 call, or the filters
//            refuse the clone
//   EPERM/... the injected clone failed with that errno (e.g. a filter's ERRNO action)
//   ESRCH    the tracee died (e.g. a filter that kills on clone)
// Preconditions: `stop` was read by ReadEntry and the tracee was not resumed since; it is
// traced with PTRACE_O_TRACEFORK and PTRACE_O_TRACESYSGOOD (TraceOptions() in tracee.h, as the
// ptrace monitor sets them); without TRACEFORK the copy would run untraced: it is killed and
// the call fails with EPROTO.
core::Result<pid_t> ForkAtStop(const EntryStop& stop, const ForkOptions& options = {});

// Runs syscall `nr` (a number of stop.abi) with `args` in the tracee stopped at `stop`, in place
// of its call, then puts it back at stop's entry (as ForkAtStop does): the tracee's registers and
// signal mask are as before; the call's effects stay. Returns its result (a negative errno when
// it failed). Checked first against the filters as the injected clone is (ENOTSUP when they
// would not let it run). Preconditions as ForkAtStop's.
core::Result<int64_t> InjectCall(const EntryStop& stop, int nr, const uint64_t (&args)[6],
                                 const ForkOptions& options = {});

// Gives the tracee stopped at `stop` the file `path` (opened in it with `flags` and `mode`) as
// its fd `fd`, in place of what `fd` was: a branch's own stdout or stderr. Injects mmap (a
// scratch page for the path, in reach of an i386 call), openat, munmap, dup3 and close. The
// injected openat passes the sandbox as the target's own would (seccomp, Landlock, DAC): it can
// fail with that errno. Preconditions as ForkAtStop's.
core::Status RedirectFd(const EntryStop& stop, int fd, const std::string& path, int flags, int mode,
                        const ForkOptions& options = {});

// Gives the tracee stopped at `stop` its own open file description for its fd `fd`, a regular
// file: the file is opened again in it (/proc/self/fd/FD, the same access and status flags,
// O_APPEND included), sought to the offset the fd had (from /proc/PID/fdinfo), and put in
// place of `fd` (dup3, close-on-exec kept). After a ForkAtStop, calling it in the copy for each
// regular file makes the branches' offsets independent. ENOTSUP for a pipe, socket or terminal
// (not reopenable: they stay shared); the injected openat passes the sandbox as the target's
// own would. Flock locks held through the old description stay with it.
// Preconditions as ForkAtStop's.
core::Status ReopenFd(const EntryStop& stop, int fd, const ForkOptions& options = {});

// The wait status a stop of `kind` at a syscall entry is reported with. A copy made by
// ForkAtStop produces no wait event of its own at its entry (the engine took its stops): a
// caller whose loop is supervisor::PtraceMonitor hands it over with
// monitor.Dispatch(copy, EntryStopStatus(kind)), and the monitor serves it from then on as a
// task stopped at that entry (observer OnEntry, then resume).
int EntryStopStatus(EntryKind kind);

// Moves a tracee at the exit of a syscall (or at any stop where its registers are those of a
// finished call) back to the entry of the call whose entry registers were `entry`: sets them
// with rip - 2 and resumes it until that entry stop (of `kind`). Signals stay blocked on the
// way (PTRACE_SETSIGMASK) and the mask it had is restored at the entry. Used by ForkAtStop;
// exposed for callers that rewind a call (e.g. to retry it with another outcome).
core::Status Reenter(pid_t tid, const EntryStop& entry);

}  // namespace pwnbox::explore
