// pwnbox::supervisor::RecordObserver: turns what the PtraceMonitor sees into recorder::Events
// (`pwnbox record`). For each syscall it keeps exactly the bytes the decoder read from the
// target at entry and at exit (and the whole of what the kernel wrote into output buffers), so
// that `pwnbox show` decodes the recorded call into the same text `pwnbox trace` prints.
// A syscall is two events: its entry (returned = false, entry_mem) and its exit (returned =
// true, ret, dur_ns, exit_mem); a call never returned from (exit_group) has only the first.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "core/decoder.h"
#include "recorder/writer.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::supervisor {

class RecordObserver final : public PtraceObserver {
 public:
  // `writer` is not owned and outlives the observer. `snapshot_every` > 0 (--snapshots):
  // registers at every syscall entry, and a snapshot of the changed pages of the process's
  // writable memory at its first and then every `snapshot_every`-th syscall entry.
  // `keep_data` false (record --no-data): only what `show` prints with its default -s 32 is
  // kept, not the whole buffers the kernel filled (which replay feeds back).
  explicit RecordObserver(recorder::Writer& writer, uint64_t snapshot_every = 0,
                          bool keep_data = true);
  ~RecordObserver() override;

  void OnEntry(Task& task) override;
  void OnExit(Task& task) override;
  // A call the notify loop answered; one it let go on in the kernel (task.served_unknown) is
  // recorded as returned with an unknown result (Event::ret_unknown), decoded as a failed call
  // (nothing it wrote is read), never with a made-up value.
  void OnServedExit(Task& task) override;
  void OnSignal(Task& task, const siginfo_t& si) override;
  void OnTaskExit(Task& task, int status) override;
  void OnNewTask(Task& task, pid_t parent) override;
  void OnExec(Task& task, pid_t old_tid) override;
  void OnForget(Task& task) override;

  // Decode limit used while recording: `show -s N` shows strings up to this many bytes (with
  // keep_data false: kShownStringLimit, strace's default -s).
  static constexpr size_t kStringLimit = 4096;
  static constexpr size_t kShownStringLimit = 32;

 private:
  struct Pending;
  recorder::Event Base(const Task& task, recorder::Event::Kind kind, int64_t time_ns);
  void Append(recorder::Event& e);

  void Snapshot(const Task& task);

  recorder::Writer& writer_;
  core::Decoder decoder_;
  uint64_t seq_ = 0;
  uint64_t snapshot_every_;
  bool keep_data_;
  struct ProcessState {
    uint64_t entries = 0;
    std::unordered_map<uint64_t, uint64_t> page_hash;  // page address -> content hash
  };
  std::unordered_map<pid_t, ProcessState> processes_;  // by tgid
};

}  // namespace pwnbox::supervisor
