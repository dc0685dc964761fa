// pwnbox::supervisor::ReplayObserver: re-executes a recorded program and feeds it the recorded
// results of the calls that bring data in from outside (reads, receives, randomness, time, ids,
// file metadata, ...), so that it computes what it computed at record time even after its
// inputs changed. Every other call runs for real. The first call that differs from the
// recording (another syscall than the recorded one, or a call past the recording's end) is a
// divergence: the run is stopped there and reported. A task the recording shows killed by
// SIGKILL is killed where it was.
//
// A read from a pipe or socket the replayed program made itself (pipe, pipe2, socketpair) is
// run for real and then given its recorded result: the program sees what it saw at record time,
// and the pipe is drained in step with it, so that a replayed writer on the other end never
// blocks on a pipe a fed reader would leave full (it deadlocked before). Such a read returns
// as soon as the replayed writer has written (it may take fewer bytes than the recording says;
// the next reads take the rest).
//
// Signals that came from outside the program at record time (a timer's SIGALRM, SIGCHLD, a
// kill from another process) are delivered again at the same call: after the call they
// followed, or, when the recording shows that call interrupted by them (EINTR or a restart
// code), at its entry, so that it is interrupted again instead of waiting for a signal nothing
// sends. Their live counterparts (the children's SIGCHLD, timers' signals) are dropped, and
// alarm, setitimer and timer_settime are fed back (the real timers are never armed). Signals
// that arrived between two calls are delivered at the next call: without hardware counters the
// exact instruction cannot be found. The program's own signals (faults, kill of itself,
// SIGPIPE) happen again by themselves.
//
// Tasks are matched by order: the first task with the recording's first, the N-th task created
// with the N-th task the recording saw created. Deterministic single-threaded programs and
// process trees replay; threads racing each other may not (docs/trace-format.md says more).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "recorder/event.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::supervisor {

// One recorded syscall: its entry event and, when it returned, its exit event.
struct RecordedCall {
  recorder::Event entry;
  std::optional<recorder::Event> exit;
  // The signals delivered to the task after this call and before its next one, as recorded.
  std::vector<siginfo_t> signals_after;
};

struct Divergence {
  uint64_t seq = 0;          // the recording's event number where replay diverged (0: past end)
  pid_t pid = 0;             // the replayed task
  std::string expected;      // the recorded call, decoded
  std::string actual;        // the call the program made, decoded
};

class ReplayObserver final : public PtraceObserver {
 public:
  // `calls[i]` are the i-th recorded task's calls, in order. `until`: stop before the call
  // whose entry event number exceeds it (0: no limit). `killed[i]`: the i-th recorded task was
  // killed by SIGKILL (a leftover pwnbox killed when the main process ended, or a kill from
  // outside): it is killed at the same point, when it enters a call past its last recorded one
  // or its last recorded call, cut short by the kill (replay then waits for every task).
  ReplayObserver(std::vector<std::vector<RecordedCall>> calls, uint64_t until,
                 std::vector<bool> killed = {});

  void OnEntry(Task& task) override;
  void OnExit(Task& task) override;
  // Signals from outside the program (timers, SIGCHLD, another process's kill) are delivered
  // where the recording has them (see the top of this file); live ones of those kinds are
  // dropped.
  void OnSignal(Task& task, const siginfo_t& si) override;
  void OnTaskExit(Task& task, int status) override;
  void OnNewTask(Task& task, pid_t parent) override;

  const std::optional<Divergence>& divergence() const { return divergence_; }
  // A task died of SIGINT, SIGTERM, SIGHUP or SIGQUIT (Ctrl-C, a kill from outside) where the
  // recording shows it going on: the replay was interrupted, not diverged. The signal, or 0.
  int interrupted() const { return interrupted_; }
  uint64_t interrupted_at() const { return interrupted_at_; }  // the next recorded event
  bool stopped_at_until() const { return stopped_; }
  uint64_t fed() const { return fed_; }  // calls answered from the recording

  // Whether calls of syscall `name` are fed from the recording rather than run.
  static bool IsInput(std::string_view name);

 private:
  struct Cursor {
    size_t task = 0;   // index into calls_
    size_t next = 0;   // next call to match
    const RecordedCall* current = nullptr;  // between entry and exit, when fed
    bool drained = false;  // `current` ran for real (a read of an internal pipe): set its result
    const RecordedCall* last = nullptr;  // the call entered last (its signals follow it)
    bool signalled = false;              // `last`'s signals were sent at its entry
  };
  // Whether a recorded or live signal is one replay delivers itself (see the top of this file).
  bool Replays(const siginfo_t& si) const;
  // Sends `rec`'s replayed signals to the task.
  void Deliver(const Task& task, const RecordedCall& rec) const;
  void Stop(Task& task);
  // The live pid of the replayed task that had `pid` at record time (or has it now: fork's
  // result is live), or 0 when no task of the replayed program is meant.
  pid_t LivePid(pid_t pid) const;
  // Calls that name processes (the kill family, pidfd_open, kcmp, process_vm_*, prlimit64, the
  // sched_* calls, getpgid/getsid/setpgid, wait4/waitid, get/setpriority, ioprio_*,
  // fcntl(F_SETOWN), ...) hold the recorded ids the replay fed back (getpid, gettid): they are
  // rewritten to the live ones. A
  // process outside the replayed program is never reached: the call is fed its recorded result
  // instead (task.skip). False when the call was skipped.
  bool MapPids(Task& task, const RecordedCall& rec);
  // Paths under /proc/PID/ (PID a fed-back id of a replayed task) are rewritten to the live
  // pid: the new path is written below the task's stack pointer and the argument pointed at it.
  void MapProcPaths(Task& task);
  // pipe, pipe2, socketpair returned: their inodes are the program's own.
  void NoteInternalPipes(const Task& task);
  // Whether the fd a read-like call reads from is one of the program's own pipes or sockets.
  bool ReadsInternalPipe(const Task& task) const;

  std::vector<std::vector<RecordedCall>> calls_;
  uint64_t until_;
  std::vector<bool> killed_;
  std::unordered_map<pid_t, Cursor> cursors_;
  size_t next_task_ = 1;  // index the next created task gets
  std::optional<Divergence> divergence_;
  bool stopped_ = false;
  int interrupted_ = 0;
  uint64_t interrupted_at_ = 0;
  uint64_t fed_ = 0;
  std::unordered_set<uint64_t> internal_;  // inodes of pipes/sockets the program made
  std::unordered_set<pid_t> recorded_ids_;  // every pid and tid of the recording
};

}  // namespace pwnbox::supervisor
