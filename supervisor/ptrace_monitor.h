// pwnbox::supervisor::PtraceMonitor: the ptrace event loop shared by `trace`, `record` and the
// ptrace escalation backend.
//
// It follows every task of the target (forks, vforks, clones, execs), sees syscall entries
// (PTRACE_EVENT_SECCOMP stops from a SECCOMP_RET_TRACE filter, or syscall-enter stops when
// attached to a running process without a filter), their exits, signals and task exits, and
// hands each to a PtraceObserver. All ptrace calls come from the thread that calls Run*().
//
// Speed: a ptrace stop costs a wake-up of the tracer and then one of the tracee; across CPUs on
// these VMs that is ~15x dearer than on one CPU (DESIGN.md decision 2). While at most one traced
// task is runnable (the others blocked in wait4/waitid), tracer and tracees share one CPU; as
// soon as two could run in parallel, every task gets its own affinity back. The target never
// sees the pin: sched_getaffinity results are rewritten to the original mask.
//
// Nothing the target says is trusted: which calls are shown comes from the selection (syscall
// numbers), never from SECCOMP_RET_DATA (a filter the target installs can return RET_TRACE with
// any data); a clone asking for CLONE_UNTRACED has the flag cleared at its stop (the trace filter
// stops such calls), so that every task is traced, with PTRACE_O_EXITKILL. Failed ptrace calls
// that matter fail closed (the task is killed rather than let a denied call run) and are counted
// in the run's Outcome.
//
// One task is let go of: the init of a PID namespace whose instruction faults (SIGSEGV, SIGBUS,
// SIGILL, SIGFPE, no handler), which the kernel lets die of it only untraced (Release; a signal
// it queues itself that only looks like a fault is ignored, as natively, and it stays traced).
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/user.h>
#include <time.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/decoder.h"
#include "core/fd.h"
#include "core/status.h"
#include "core/syscalls.h"
#include "supervisor/outcome.h"

namespace pwnbox::supervisor {

// One traced task (thread).
struct Task {
  pid_t tid = 0;
  pid_t tgid = 0;
  bool in_syscall = false;   // between an entry we handled and its exit
  bool shown = false;        // the current syscall is one the user asked to see
  bool parked = false;       // blocked in wait4/waitid: not runnable
  core::SyscallCall call;    // the current (or last) syscall
  timespec entry_time{};
  // SECCOMP_RET_DATA of the filter that stopped the call: untrusted (any filter the target
  // installs can return RET_TRACE with any data), so nothing is decided on it.
  uint16_t trace_data = 0;
  // Set by the observer in OnEntry: the call does not run and returns `skip_ret` (a negative
  // errno for a failure).
  bool skip = false;
  int64_t skip_ret = 0;
  // Set by the observer in OnSignal: the signal is not delivered (replay delivers the recorded
  // ones itself, where the recording has them).
  bool drop_signal = false;
  // A fault the kernel would never let this task (the init of a PID namespace) die of while
  // traced: its instruction is being run again alone to see whether it faults again.
  bool fault_check = false;
  uint64_t fault_ip = 0;
  int fault_sig = 0;
  // Its creation was seen (the parent's fork/vfork/clone event, Adopt, attach). A new task may
  // report a stop, and even exit, before its parent's event is taken: it is taken up then,
  // unannounced.
  bool announced = false;
  bool served = false;          // between OnServedEntry and OnServedExit
  bool served_unknown = false;  // OnServedExit: the call went on in the kernel, result unknown
  void* user = nullptr;      // owned by the observer
};

// The register that holds argument `arg` (0-5) of a call of `abi` at a syscall stop:
// rdi, rsi, rdx, r10, r8, r9 for x86_64; ebx, ecx, edx, esi, edi, ebp for i386 (int 0x80).
unsigned long long* ArgRegister(user_regs_struct& regs, core::Abi abi, int arg);

class PtraceObserver {
 public:
  virtual ~PtraceObserver() = default;
  // A syscall entered (task.shown: one the user selected). The observer may set task.skip /
  // task.skip_ret.
  virtual void OnEntry(Task& task) = 0;
  // The syscall returned (task.call.ret is set).
  virtual void OnExit(Task& task) = 0;
  // A signal is about to be delivered to `task` (signal-delivery-stop).
  virtual void OnSignal(Task& task, const siginfo_t& si) = 0;
  // The task is gone; `status` is its wait status. Called once per task.
  virtual void OnTaskExit(Task& task, int status) = 0;
  virtual void OnNewTask(Task& /*task*/, pid_t /*parent*/) {}
  // The task called execve successfully; `old_tid` is its tid before (differs for a thread).
  virtual void OnExec(Task& /*task*/, pid_t /*old_tid*/) {}
  // The observer drops its per-task data.
  virtual void OnForget(Task& /*task*/) {}
  // Calls that never stop at the tracer: the notify loop decides and answers them (`trace
  // --policy` with path rules; USER_NOTIF outranks TRACE). OnServedEntry comes while the task
  // is still blocked in the notification (its memory holds the arguments), OnServedExit once
  // it was answered (task.call.ret; task.served_unknown when the call went on in the kernel and
  // its result is not known). By default they are shown as any entry and exit.
  virtual void OnServedEntry(Task& task) { OnEntry(task); }
  virtual void OnServedExit(Task& task) { OnExit(task); }
};

struct PtraceOptions {
  bool follow = true;     // trace children and threads
  bool pin = true;        // share one CPU while at most one task is runnable
  // Which syscalls are shown (Task::shown); null: every one.
  std::function<bool(core::Abi, int nr)> selected;
  // RunSpawned returns as soon as the main process is gone, its exit handed to the observer
  // (`run`, and `trace`/`record` by default: the caller then kills what it left with
  // KillLeftovers); otherwise it traces until no task is left (`trace --wait-all`, as strace -f).
  bool end_with_main = false;
  // Where unexpected kernel errors go (not owned; may be null).
  Outcome* outcome = nullptr;
};

class PtraceMonitor {
 public:
  PtraceMonitor(PtraceObserver& observer, PtraceOptions options);
  ~PtraceMonitor();

  // PTRACE_O_* the launcher must pass to PTRACE_SEIZE.
  unsigned SeizeOptions() const;
  // The CPU the launcher pins the child to (-1: none). Pins the calling thread to it.
  int PrepareSpawn();

  // Traces a child already seized by the launcher (its filters include SECCOMP_RET_TRACE for the
  // selected syscalls) until no traced task is left. Returns the wait status of `pid`.
  core::Result<int> RunSpawned(pid_t pid);
  // Attaches to every thread of a running process (and its future children when following)
  // and traces until it ends or RequestDetach() is called, then detaches, leaving it running.
  // Returns the wait status when the process ended, or 0 when detached.
  core::Result<int> RunAttached(pid_t pid);

  // For a caller that runs its own loop (the notify backend): takes the seized child `pid` as
  // the main task, then hands every waitpid(-1, ..., __WALL) result to Dispatch().
  void Adopt(pid_t pid);
  void Dispatch(pid_t tid, int status);
  // The notify loop received `call` of task `call.pid` (before answering it) / answered it
  // (`ret`: its result; nullopt when it continued in the kernel or the answer was lost): hands
  // them to the observer's OnServedEntry / OnServedExit. Unknown tasks are ignored.
  void ServedEntry(const core::SyscallCall& call);
  void ServedExit(pid_t tid, std::optional<int64_t> ret);
  bool main_done() const { return main_done_; }
  int main_status() const { return main_status_; }

  // Async-signal-safe: asks RunAttached to detach from everything and return.
  void RequestDetach() { detach_requested_.store(true, std::memory_order_relaxed); }
  size_t task_count() const { return tasks_.size(); }
  // The tids of every traced task (for killing what the target left).
  std::vector<pid_t> Tids() const;
  // SIGKILLs the processes the monitor let go of (Release) that may still live.
  void KillReleased();
  // Replaces PtraceOptions::selected (before Run*).
  void set_selected(std::function<bool(core::Abi, int nr)> selected) {
    options_.selected = std::move(selected);
  }
  // Replaces PtraceOptions::end_with_main (before Run*).
  void set_end_with_main(bool end) { options_.end_with_main = end; }
  bool ever_multiple() const { return ever_multiple_; }

 private:
  class Pinner;
  Task& AddTask(pid_t tid, pid_t tgid);
  void HandleStop(pid_t tid, int status);
  void HandleSyscallStop(Task& task);
  void HandleGone(pid_t tid, int status);
  void Resume(Task& task, int sig);
  // Detaches `task` at its signal-delivery-stop of `sig`, a fault it can die of only untraced
  // (the init of a PID namespace; its instruction was seen to fault again), and forgets it;
  // keeps a pidfd of its process in released_.
  void Release(Task& task, int sig);
  // Clears CLONE_UNTRACED from a clone/clone3 at its entry stop; false when it could not.
  bool StripUntraced(Task& task);
  // Kills `task`'s process after `what` failed with `err` (recorded unless the task is gone).
  void FailClosed(Task& task, const char* what, int err);
  void KernelError(const char* what, int err);
  void DetachAll();
  core::Result<int> Loop(pid_t main_pid);

  PtraceObserver& observer_;
  PtraceOptions options_;
  std::unordered_map<pid_t, std::unique_ptr<Task>> tasks_;
  // Tasks that exited before their parent's fork event was taken: the event must not bring
  // them back (a task that never goes away: the run would wait for it, and KillLeftovers would
  // signal whatever process gets its pid next).
  std::unordered_set<pid_t> gone_unannounced_;
  std::unique_ptr<Pinner> pinner_;
  bool attached_ = false;  // attach mode: no filter, syscall stops
  bool ever_multiple_ = false;
  int main_status_ = 0;
  bool main_done_ = false;
  pid_t main_pid_ = 0;
  std::atomic<bool> detach_requested_{false};
  std::vector<core::UniqueFd> released_;  // pidfds of the processes Release let go of
};

}  // namespace pwnbox::supervisor
