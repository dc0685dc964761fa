#include "supervisor/record_observer.h"

#include <time.h>

#include <cstring>

#include "recorder/recorded_memory.h"

namespace pwnbox::supervisor {
namespace {

// Output buffers are kept whole (replay feeds them back) up to this size per call.
constexpr size_t kMaxOutBuffer = 1 << 20;

int64_t Ns(const timespec& ts) { return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec; }

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

RecordObserver::RecordObserver(recorder::Writer& writer)
    : writer_(writer), decoder_([] {
        core::DecodeOptions o;
        o.string_limit = kStringLimit;
        return o;
      }()) {}

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
  // The entry is an event of its own (returned = false), so that `show` interleaves the calls
  // of several tasks exactly as `trace` did (<unfinished ...> / <... resumed>).
  Append(p->event);
  p->event.entry_mem.clear();
}

void RecordObserver::OnExit(Task& task) {
  auto* p = static_cast<Pending*>(task.user);
  if (!task.shown || !p || p->event.nr != task.call.nr) return;
  recorder::Event& e = p->event;
  e.ret = task.call.ret;
  e.returned = true;
  e.dur_ns = NowNs() - e.time_ns;
  core::ProcessMemory live(task.tid);
  recorder::CapturingMemory cap(live, &e.exit_mem);
  decoder_.Exit(task.call, cap, &p->decoded);
  // What the kernel wrote into an output buffer, whole (the decoder read only what it shows).
  const core::SyscallSig& sig = core::Signature(p->decoded.name);
  if (task.call.ret > 0) {
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
  recorder::Event e = Base(task, recorder::Event::Kind::kExec, NowNs());
  e.args[0] = static_cast<uint64_t>(old_tid);
  Append(e);
}

void RecordObserver::OnForget(Task& task) {
  delete static_cast<Pending*>(task.user);
  task.user = nullptr;
}

}  // namespace pwnbox::supervisor
