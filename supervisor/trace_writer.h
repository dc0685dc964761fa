// pwnbox::supervisor::TraceWriter: prints what the PtraceMonitor sees, as strace does (text),
// as JSON lines (--json), and/or as a per-syscall summary table (-c / -C).
#pragma once

#include <time.h>

#include <bitset>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "core/decoder.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::supervisor {

struct TraceWriterOptions {
  bool json = false;
  bool trace = true;     // print the calls (false with -c)
  bool summary = false;  // -c / -C
  // -w: the summary's times are wall-clock from entry to exit stop, tracer overhead included.
  // Otherwise, as strace's default, the time the task itself ran in the call: its CPU time
  // between the entry and exit stops (/proc/TID/schedstat, ns; the task runs no user code in
  // between). A recording (`show -c`) keeps only wall-clock durations.
  bool summary_wall = false;
  int timestamps = 0;    // 0, 1 (-t), 2 (-tt), 3 (-ttt)
  bool durations = false;  // -T
  bool numbers = false;    // -n
  // Every call of every task stops at the tracer (no selection, or attached). When false (a
  // spawned target under -e trace=SET: its filter stops only the selected calls) the last call
  // the writer saw need not be the task's last: -n then reads the number a signal interrupts
  // from the kernel, and prints strace's "[????]" on an exit line it cannot know.
  bool every_call_stops = true;
  bool flush_each_line = true;  // interactive output (stderr); false for -o FILE
  bool only_main = false;  // --no-follow: print only the first task's events
  // `show --seq`: each text line starts with "#N ", N the recording's number of its event (a
  // call's lines, resumed or not, carry its entry event's number), the N `show --at` takes.
  // The rest of the line is unchanged (its padding does not count the "#N ").
  bool seq_prefix = false;
  // -e signal=SET: the signals whose "--- SIGxxx {...} ---" lines are printed (index: number).
  std::bitset<65> signals = std::bitset<65>().set();
  // -e status=SET (-z, -Z): which calls are printed, by how they ended. While not all are,
  // a call is printed whole at its exit (strace's order: by exit, not by entry).
  enum Status : unsigned {
    kSuccessful = 1, kFailed = 2, kUnfinished = 4, kUnavailable = 8, kDetached = 16,
    kAllStatuses = 31,
  };
  unsigned status = kAllStatuses;
  bool quiet_exit = false;  // -e quiet=exit, -qq: no "+++ exited with N +++" lines
  core::DecodeOptions decode;
};

// Where TraceWriter reads the target's memory and the time from: the live task and the clock
// (the default), or a recording (`pwnbox show`).
class TraceSource {
 public:
  virtual ~TraceSource() = default;
  virtual core::TargetMemory& Memory(Task& task, bool exit) = 0;
  virtual timespec Now() = 0;
};

class TraceWriter final : public PtraceObserver {
 public:
  // Writes to `fd` (not owned). `task_count` tells how many tasks are traced now (for the
  // "[pid N]" prefix, printed once more than one task is traced).
  TraceWriter(int fd, TraceWriterOptions options, std::function<size_t()> task_count);
  ~TraceWriter() override;

  void OnEntry(Task& task) override;
  void OnExit(Task& task) override;
  // A call the notify loop let go on in the kernel has no known result: shown as `= ?`, what it
  // would write as pointers (decoded as a failed call), never with a made-up value.
  void OnServedExit(Task& task) override;
  void OnSignal(Task& task, const siginfo_t& si) override;
  void OnTaskExit(Task& task, int status) override;
  void OnExec(Task& task, pid_t old_tid) override;
  void OnForget(Task& task) override;

  // Reads memory and time from `source` instead of the live task (not owned; null: live).
  void set_source(TraceSource* source) { source_ = source; }

  // The recording's number of the event the next call (OnEntry, OnExit, OnSignal, ...) shows
  // (`pwnbox show`): the JSON "seq" and the "#N" of seq_prefix; a syscall is numbered by its
  // entry event. Without it, JSON objects are numbered 1, 2, 3... in the order written.
  void set_event_seq(uint64_t seq) { event_seq_ = seq; }

  // The first task (the one --no-follow prints).
  void set_main(pid_t pid) { main_ = pid; }

  // Prints the summary table (if asked) and flushes. Call once, at the end.
  void Finish();
  void Flush();

 private:
  bool unknown_result_ = false;  // OnServedExit of a call whose result is not known
  struct Pending;
  struct Stats {
    uint64_t calls = 0;
    uint64_t errors = 0;
    uint64_t total_ns = 0;
  };
  Pending& PendingOf(Task& task);
  // Appends "#SEQ ", "[pid N] ", timestamps and "[ nr] " as asked ("[????]" for nr < 0: not
  // known); returns how many chars it wrote after "#SEQ " (the columns strace counts).
  size_t Prefix(pid_t pid, const timespec& when, int nr, uint64_t seq);
  // The number set_event_seq gave the event being handled (0: none), once.
  uint64_t TakeSeq() { return std::exchange(event_seq_, 0); }
  // The number -n prints on a signal or exit line of `task`: the task's last call.
  int LastNumber(const Task& task, bool exited) const;
  // The CPU time `task` has run, in ns (false: not readable). The task must be stopped.
  bool CpuTime(Task& task, Pending& p, uint64_t* ns);
  // Ends the line of `task`'s call: continues its open line or prints "<... NAME resumed>".
  void FinishLine(Task& task, const core::DecodedCall& d, const timespec& now);
  void CloseOpenLine();
  void Emit();
  // One syscall as a JSON line; `returned` is false for a call the task never returned from.
  void JsonSyscall(const Task& task, const core::DecodedCall& d, int64_t ns, bool returned,
                   uint64_t seq);
  timespec Now() const;
  // `seq` 0: the next number of the writer's own count.
  void JsonCommon(const char* kind, pid_t pid, const timespec& when, uint64_t seq);
  void PrintSummary();

  int fd_;
  TraceWriterOptions options_;
  std::function<size_t()> task_count_;
  core::Decoder decoder_;
  std::string out_;
  pid_t open_line_ = 0;  // the task whose "name(args" is printed without its end
  size_t open_prefix_ = 0;  // length of that line's prefix
  uint64_t seq_ = 0;
  uint64_t event_seq_ = 0;
  TraceSource* source_ = nullptr;
  pid_t main_ = 0;
  timespec last_flush_{};
  std::map<std::string, Stats> stats_;
  bool wall_fallback_ = false;  // some summary time is wall-clock: CPU time was not readable
};

}  // namespace pwnbox::supervisor
