#include "supervisor/record_observer.h"

#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <string_view>

#include <cstring>

#include "recorder/recorded_memory.h"

namespace pwnbox::supervisor {
namespace {

// Output buffers are kept whole (replay feeds them back) up to this size per call.
constexpr size_t kMaxOutBuffer = 1 << 20;

// --snapshots skips writable mappings larger than this (docs/trace-format.md).
constexpr unsigned long kMaxSnapshotMapping = 1ul << 30;

// Times are kept to the microsecond, as strace prints them: whole microseconds cost the format
// a byte or two less per event (docs/trace-format.md).
int64_t Ns(const timespec& ts) {
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec / 1000 * 1000;
}

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Ns(ts);
}

}  // namespace

// Per task: the call between its entry and exit events.
struct RecordObserver::Pending {
  recorder::Event event;
  core::DecodedCall decoded;
};

RecordObserver::RecordObserver(recorder::Writer& writer, uint64_t snapshot_every, bool keep_data)
    : writer_(writer),
      decoder_([keep_data] {
        core::DecodeOptions o;
        o.string_limit = keep_data ? kStringLimit : kShownStringLimit;
        return o;
      }()),
      snapshot_every_(snapshot_every),
      keep_data_(keep_data) {}

RecordObserver::~RecordObserver() = default;

recorder::Event RecordObserver::Base(const Task& task, recorder::Event::Kind kind,
                                     int64_t time_ns) {
  recorder::Event e;
  e.kind = kind;
  e.pid = task.tid;
  e.tgid = task.tgid;
  e.time_ns = time_ns;
  return e;
}

void RecordObserver::Append(recorder::Event& e) {
  e.seq = ++seq_;
  writer_.Append(e);
}

void RecordObserver::OnEntry(Task& task) {
  if (!task.shown) return;
  auto* p = static_cast<Pending*>(task.user);
  if (!p) task.user = p = new Pending();
  p->event = Base(task, recorder::Event::Kind::kSyscall, Ns(task.entry_time));
  p->event.abi = static_cast<uint8_t>(task.call.abi);
  p->event.nr = task.call.nr;
  std::memcpy(p->event.args, task.call.args, sizeof p->event.args);
  core::ProcessMemory live(task.tid);
  recorder::CapturingMemory cap(live, &p->event.entry_mem);
  decoder_.Entry(task.call, cap, &p->decoded);
  // Registers past the syscall's arguments hold whatever the program left there: keeping them
  // would cost more than a tenth of a recording (--snapshots keeps every register anyway).
  for (int i = core::Signature(p->decoded.name).nargs; i < 6; ++i) p->event.args[i] = 0;
  // State first (--snapshots), so that `show --at N` of this call's entry event includes it.
  if (snapshot_every_ != 0) {
    user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, task.tid, 0, &regs) == 0) {
      recorder::Event r = Base(task, recorder::Event::Kind::kRegs, p->event.time_ns);
      r.data.assign(reinterpret_cast<const char*>(&regs), sizeof regs);
      Append(r);
    }
    // Never at an exec: that address space is about to go (and before the first exec it is
    // pwnbox's own forked copy). The new image's first call gets a whole snapshot (OnExec).
    const bool exec = p->decoded.name == "execve" || p->decoded.name == "execveat";
    ProcessState& ps = processes_[task.tgid];
    if (!exec && ps.entries++ % snapshot_every_ == 0) Snapshot(task);
  }
  // The entry is an event of its own (returned = false), so that `show` interleaves the calls
  // of several tasks exactly as `trace` did (<unfinished ...> / <... resumed>).
  Append(p->event);
  p->event.entry_mem.clear();
}

// The pages of the writable private mappings whose content changed since the last snapshot
// of this process (hashes, as there are no soft-dirty bits on this kernel).
void RecordObserver::Snapshot(const Task& task) {
  constexpr size_t kPage = 4096, kBatch = 64;
  ProcessState& ps = processes_[task.tgid];
  recorder::Event e = Base(task, recorder::Event::Kind::kSnapshot, NowNs());
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", task.tid);
  FILE* maps = fopen(path, "re");
  if (!maps) return;
  char line[512];
  std::string buf(kPage * kBatch, '\0');
  while (fgets(line, sizeof line, maps)) {
    unsigned long start, end;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3) continue;
    if (perms[0] != 'r' || perms[1] != 'w' || perms[3] != 'p') continue;
    if (strstr(line, "[vvar]") || strstr(line, "[vsyscall]")) continue;
    // Huge reservations (ASan's shadow, a runtime's heap arena) are mostly untouched: reading
    // and hashing them would take minutes for nothing.
    if (end - start > kMaxSnapshotMapping) continue;
    for (uint64_t at = start; at < end; at += kPage * kBatch) {
      const size_t len = std::min<uint64_t>(kPage * kBatch, end - at);
      iovec local{buf.data(), len};
      iovec remote{reinterpret_cast<void*>(at), len};
      ssize_t n = process_vm_readv(task.tid, &local, 1, &remote, 1, 0);
      for (ssize_t off = 0; off + static_cast<ssize_t>(kPage) <= n; off += kPage) {
        const std::string_view page(buf.data() + off, kPage);
        const uint64_t h = std::hash<std::string_view>{}(page);
        auto [it, inserted] = ps.page_hash.try_emplace(at + off, h);
        if (!inserted && it->second == h) continue;
        it->second = h;
        const uint64_t addr = at + static_cast<uint64_t>(off);
        e.data.append(reinterpret_cast<const char*>(&addr), sizeof addr);
        e.data.append(page);
      }
    }
  }
  fclose(maps);
  if (!e.data.empty()) Append(e);
}

void RecordObserver::OnExit(Task& task) {
  auto* p = static_cast<Pending*>(task.user);
  if (!task.shown || !p || p->event.nr != task.call.nr) return;
  recorder::Event& e = p->event;
  e.ret = e.ret_unknown ? 0 : task.call.ret;
  e.returned = true;
  e.dur_ns = NowNs() - e.time_ns;  // whole microseconds, as both times are
  core::ProcessMemory live(task.tid);
  recorder::CapturingMemory cap(live, &e.exit_mem);
  decoder_.Exit(task.call, cap, &p->decoded);
  // What the kernel wrote into an output buffer, whole (the decoder read only what it shows).
  const core::SyscallSig& sig = core::Signature(p->decoded.name);
  if (keep_data_ && task.call.ret > 0) {
    for (int i = 0; i < sig.nargs; ++i) {
      if (sig.args[i].kind != core::ArgKind::kOutBuf || task.call.args[i] == 0) continue;
      const size_t want = std::min<size_t>(static_cast<size_t>(task.call.ret), kMaxOutBuffer);
      bool have = false;  // the decoder read it all already
      for (const auto& b : e.exit_mem)
        have = have || (b.addr == task.call.args[i] && b.bytes.size() >= want);
      if (have) continue;
      std::string bytes(want, '\0');
      ssize_t n = cap.Read(task.call.args[i], bytes.data(), bytes.size());
      (void)n;
    }
  }
  Append(e);
  e = recorder::Event{};
}

void RecordObserver::OnServedExit(Task& task) {
  if (!task.served_unknown) return OnExit(task);
  auto* p = static_cast<Pending*>(task.user);
  if (!task.shown || !p || p->event.nr != task.call.nr) return;
  const int64_t ret = task.call.ret;
  task.call.ret = -EFAULT;  // no output is read for it, as for TraceWriter's `= ?`
  p->event.ret_unknown = true;
  OnExit(task);
  task.call.ret = ret;
}

void RecordObserver::OnSignal(Task& task, const siginfo_t& si) {
  recorder::Event e = Base(task, recorder::Event::Kind::kSignal, NowNs());
  e.data.assign(reinterpret_cast<const char*>(&si), sizeof si);
  Append(e);
}

void RecordObserver::OnTaskExit(Task& task, int status) {
  // A call the task never returned from (exit_group) has its entry event and no exit event.
  recorder::Event e = Base(task, recorder::Event::Kind::kExit, NowNs());
  e.ret = status;
  Append(e);
}

void RecordObserver::OnNewTask(Task& task, pid_t parent) {
  recorder::Event e = Base(task, recorder::Event::Kind::kNewTask, NowNs());
  e.args[0] = static_cast<uint64_t>(parent);
  Append(e);
}

void RecordObserver::OnExec(Task& task, pid_t old_tid) {
  processes_.erase(task.tgid);  // a new address space: its first snapshot is whole
  recorder::Event e = Base(task, recorder::Event::Kind::kExec, NowNs());
  e.args[0] = static_cast<uint64_t>(old_tid);
  Append(e);
}

void RecordObserver::OnForget(Task& task) {
  delete static_cast<Pending*>(task.user);
  task.user = nullptr;
}

}  // namespace pwnbox::supervisor
