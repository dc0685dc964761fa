#include "supervisor/trace_writer.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/fd.h"
#include "core/syscalls.h"

namespace pwnbox::supervisor {
namespace {

constexpr size_t kFlushAt = 1 << 16;
constexpr int64_t kFlushEveryNs = 100'000'000;

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

double Seconds(const timespec& ts) { return ts.tv_sec + ts.tv_nsec / 1e9; }

int64_t NanosBetween(const timespec& a, const timespec& b) {
  return (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
}

}  // namespace

struct TraceWriter::Pending {
  core::DecodedCall decoded;
  bool unfinished = false;  // its entry text was cut by another line
  uint64_t seq = 0;         // its entry event's number (set_event_seq), 0 if none
  core::UniqueFd schedstat;  // /proc/TID/schedstat, for -c's CPU times
  bool cpu_at_entry_ok = false;
  uint64_t cpu_at_entry = 0;
};

TraceWriter::TraceWriter(int fd, TraceWriterOptions options, std::function<size_t()> task_count)
    : fd_(fd), options_(std::move(options)), task_count_(std::move(task_count)),
      decoder_(options_.decode) {
  out_.reserve(kFlushAt * 2);
}

TraceWriter::~TraceWriter() { Flush(); }

TraceWriter::Pending& TraceWriter::PendingOf(Task& task) {
  if (!task.user) task.user = new Pending();
  return *static_cast<Pending*>(task.user);
}

void TraceWriter::OnForget(Task& task) {
  if (open_line_ == task.tid) CloseOpenLine();
  delete static_cast<Pending*>(task.user);
  task.user = nullptr;
}

void TraceWriter::Flush() {
  size_t off = 0;
  while (off < out_.size()) {
    ssize_t n = write(fd_, out_.data() + off, out_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // the reader went away (EPIPE) or the disk is full: drop, as strace does
    }
    off += static_cast<size_t>(n);
  }
  out_.clear();
}

void TraceWriter::Emit() {
  if (options_.flush_each_line) {
    if (!out_.empty()) Flush();
    return;
  }
  // A file gets large writes, but never lags more than kFlushEveryNs behind the target: a
  // `tail -f` follows it, and a SIGKILLed pwnbox loses at most that much.
  timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  if (out_.size() >= kFlushAt || NanosBetween(last_flush_, now) >= kFlushEveryNs) {
    Flush();
    last_flush_ = now;
  }
}

timespec TraceWriter::Now() const {
  if (source_) return source_->Now();
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return now;
}

size_t TraceWriter::Prefix(pid_t pid, const timespec& when, int nr, uint64_t seq) {
  char buf[64];
  if (options_.seq_prefix && seq) {
    // Outside strace's columns: without it, the line is the one `show` prints.
    snprintf(buf, sizeof buf, "#%" PRIu64 " ", seq);
    out_ += buf;
  }
  const size_t start = out_.size();
  if (!options_.only_main && task_count_() > 1) {
    snprintf(buf, sizeof buf, "[pid %5d] ", pid);
    out_ += buf;
  }
  if (options_.timestamps) {
    if (options_.timestamps == 3) {
      snprintf(buf, sizeof buf, "%lld.%06ld ", static_cast<long long>(when.tv_sec),
               when.tv_nsec / 1000);
    } else {
      tm local;
      time_t secs = when.tv_sec;
      localtime_r(&secs, &local);
      size_t n = strftime(buf, sizeof buf, "%H:%M:%S", &local);
      if (options_.timestamps == 2) snprintf(buf + n, sizeof buf - n, ".%06ld", when.tv_nsec / 1000);
      strcat(buf, " ");
    }
    out_ += buf;
  }
  if (options_.numbers) {
    if (nr < 0) out_ += "[????] ";  // strace's mark for a number it does not know
    else {
      snprintf(buf, sizeof buf, "[%4d] ", nr);
      out_ += buf;
    }
  }
  return out_.size() - start;
}

int TraceWriter::LastNumber(const Task& task, bool exited) const {
  if (options_.every_call_stops || source_) return task.call.nr;
  if (task.in_syscall) return task.call.nr;  // stopped at its entry: it is the last one
  if (exited || !options_.numbers) return -1;
  // A signal-delivery-stop: orig_rax still holds the call the signal interrupted or followed
  // (-1 when it came while the task ran its own code).
  char path[64], buf[64];
  snprintf(path, sizeof path, "/proc/%d/syscall", task.tid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char* end = nullptr;
  const long nr = strtol(buf, &end, 10);
  return end != buf && nr >= 0 && nr < 100000 ? static_cast<int>(nr) : -1;
}

bool TraceWriter::CpuTime(Task& task, Pending& p, uint64_t* ns) {
  // The first field of schedstat is the task's sum_exec_runtime: exact for a task that is off
  // the CPU, as a stopped tracee is once ptrace has looked at it.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!p.schedstat) {
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/schedstat", task.tid);
      p.schedstat.reset(open(path, O_RDONLY | O_CLOEXEC));
      if (!p.schedstat) return false;
    }
    char buf[96];
    const ssize_t n = pread(p.schedstat.get(), buf, sizeof buf - 1, 0);
    if (n > 0) {
      buf[n] = '\0';
      char* end = nullptr;
      *ns = strtoull(buf, &end, 10);
      return end != buf;
    }
    p.schedstat.reset();  // a thread that exec'd has its leader's tid now: open it again
  }
  return false;
}

void TraceWriter::CloseOpenLine() {
  if (!open_line_) return;
  out_ += " <unfinished ...>\n";
  open_line_ = 0;
}

void TraceWriter::OnEntry(Task& task) {
  const uint64_t seq = TakeSeq();
  if (!task.shown || (options_.only_main && task.tid != main_)) return;
  Pending& p = PendingOf(task);
  p.seq = seq;
  core::ProcessMemory live(task.tid);
  decoder_.Entry(task.call, source_ ? source_->Memory(task, false) : live, &p.decoded);
  p.unfinished = false;
  if (options_.summary && !options_.summary_wall && !source_)
    p.cpu_at_entry_ok = CpuTime(task, p, &p.cpu_at_entry);
  if (!options_.trace || options_.json) return;
  // Filtered by status: nothing is known to print before the exit.
  if (options_.status != TraceWriterOptions::kAllStatuses) return;
  CloseOpenLine();
  open_prefix_ = Prefix(task.tid, task.entry_time, task.call.nr, p.seq);
  out_ += p.decoded.EntryText();
  open_line_ = task.tid;
}

void TraceWriter::OnServedExit(Task& task) {
  unknown_result_ = task.served_unknown;
  if (unknown_result_) task.call.ret = -EFAULT;
  OnExit(task);
  unknown_result_ = false;
}

void TraceWriter::OnExit(Task& task) {
  const uint64_t exit_seq = TakeSeq();
  if (!task.shown || (options_.only_main && task.tid != main_)) return;
  Pending& p = PendingOf(task);
  if (!p.seq) p.seq = exit_seq;  // (an exit whose entry was not seen)
  core::ProcessMemory live(task.tid);
  decoder_.Exit(task.call, source_ ? source_->Memory(task, true) : live, &p.decoded);
  if (unknown_result_) {
    p.decoded.ret.assign(1, '?');  // (operator= of a literal trips GCC 12 -Wrestrict)
    p.decoded.error.clear();
  }
  const timespec now = Now();
  const int64_t ns = NanosBetween(task.entry_time, now);
  if (options_.summary) {
    Stats& s = stats_[p.decoded.name];
    ++s.calls;
    if (!p.decoded.error.empty()) ++s.errors;
    uint64_t spent = static_cast<uint64_t>(std::max<int64_t>(ns, 0));
    if (!options_.summary_wall && !source_) {
      uint64_t cpu = 0;
      if (p.cpu_at_entry_ok && CpuTime(task, p, &cpu) && cpu >= p.cpu_at_entry)
        spent = cpu - p.cpu_at_entry;
      else
        wall_fallback_ = true;
      p.cpu_at_entry_ok = false;
    }
    s.total_ns += spent;
  }
  if (!options_.trace) return;
  if (options_.status != TraceWriterOptions::kAllStatuses) {
    const unsigned status = unknown_result_ ? TraceWriterOptions::kUnavailable
                            : p.decoded.error.empty() ? TraceWriterOptions::kSuccessful
                                                      : TraceWriterOptions::kFailed;
    if (!(options_.status & status)) return;
  }
  if (options_.json) {
    JsonSyscall(task, p.decoded, ns, true, p.seq);
    Emit();
    return;
  }
  FinishLine(task, p.decoded, now);
  if (options_.durations) {
    char buf[48];
    snprintf(buf, sizeof buf, " <%" PRId64 ".%06" PRId64 ">", ns / 1000000000, (ns / 1000) % 1000000);
    out_ += buf;
  }
  out_ += '\n';
  Emit();
}

void TraceWriter::FinishLine(Task& task, const core::DecodedCall& d, const timespec& now) {
  if (options_.status != TraceWriterOptions::kAllStatuses) {
    // Filtered by status: the whole line, at the exit (its entry printed nothing).
    CloseOpenLine();
    const size_t col = Prefix(task.tid, task.entry_time, task.call.nr, PendingOf(task).seq);
    out_ += d.Line(col);
    return;
  }
  if (open_line_ == task.tid) {
    // Continue the line opened at entry: the rest of the arguments and the result, padded as
    // strace pads (its column counts the prefix too).
    const std::string line = d.Line(open_prefix_);
    const size_t done = std::min(d.EntryText().size(), line.size());
    out_ += std::string_view(line).substr(done);
  } else {
    CloseOpenLine();
    size_t col = Prefix(task.tid, now, task.call.nr, PendingOf(task).seq);
    out_ += "<... ";
    out_ += d.name;
    out_ += " resumed>";
    col += d.name.size() + 14;
    out_ += d.ResumedText(col);
  }
  open_line_ = 0;
}

void TraceWriter::JsonSyscall(const Task& task, const core::DecodedCall& d, int64_t ns,
                              bool returned, uint64_t seq) {
  JsonCommon("syscall", task.tid, task.entry_time, seq);
  out_ += ",\"syscall\":";
  AppendJsonString(out_, d.name);
  char buf[64];
  snprintf(buf, sizeof buf, ",\"nr\":%d,\"args\":[", task.call.nr);
  out_ += buf;
  for (size_t i = 0; i < d.args.size(); ++i) {
    if (i) out_ += ',';
    AppendJsonString(out_, d.args[i]);
  }
  // Six values, as SPEC.md shows; registers past the syscall's own arguments hold leftovers
  // and are written as 0 (a recording does not keep them either).
  out_ += "],\"raw_args\":[";
  const int nargs = core::Signature(d.name).nargs;
  for (int i = 0; i < 6; ++i) {
    snprintf(buf, sizeof buf, i ? ",%" PRIu64 : "%" PRIu64, i < nargs ? task.call.args[i] : 0);
    out_ += buf;
  }
  // As in the text: a failed call returns -1 and names its errno.
  if (!returned || unknown_result_) out_ += "],\"ret\":null";
  else {
    snprintf(buf, sizeof buf, "],\"ret\":%" PRId64, d.error.empty() ? task.call.ret : -1);
    out_ += buf;
  }
  out_ += ",\"error\":";
  if (d.error.empty()) out_ += "null";
  else AppendJsonString(out_, d.error);
  // dur_us of a call that never returned (exit_group) runs until the task was gone.
  snprintf(buf, sizeof buf, ",\"time\":%.6f,\"dur_us\":%.1f}\n", Seconds(task.entry_time),
           ns / 1000.0);
  out_ += buf;
}

void TraceWriter::JsonCommon(const char* kind, pid_t pid, const timespec& when, uint64_t seq) {
  char buf[96];
  ++seq_;
  snprintf(buf, sizeof buf, "{\"seq\":%" PRIu64 ",\"pid\":%d", seq ? seq : seq_, pid);
  out_ += buf;
  if (kind[0] != 's' || kind[1] != 'y') {
    out_ += ",\"event\":\"";
    out_ += kind;
    out_ += '"';
  }
  if (kind[0] != 's' || kind[1] != 'y') {
    snprintf(buf, sizeof buf, ",\"time\":%.6f", Seconds(when));
    out_ += buf;
  }
}

void TraceWriter::OnSignal(Task& task, const siginfo_t& si) {
  const uint64_t seq = TakeSeq();
  if (options_.only_main && task.tid != main_) return;
  if (!options_.trace) return;
  if (si.si_signo > 0 && si.si_signo < 65 && !options_.signals.test(si.si_signo)) return;
  const timespec now = Now();
  std::string info = core::FormatSiginfo(si, options_.decode.xlat);
  std::string_view name = core::SignalName(si.si_signo);
  if (options_.json) {
    JsonCommon("signal", task.tid, now, seq);
    out_ += ",\"signal\":";
    AppendJsonString(out_, name);
    out_ += ",\"siginfo\":";
    AppendJsonString(out_, info);
    out_ += "}\n";
  } else {
    CloseOpenLine();
    Prefix(task.tid, now, LastNumber(task, false), seq);
    out_ += "--- ";
    out_ += name;
    out_ += ' ';
    out_ += info;
    out_ += " ---\n";
  }
  Emit();
}

void TraceWriter::OnExec(Task& task, pid_t old_tid) {
  const uint64_t seq = TakeSeq();
  if (options_.only_main && task.tid != main_) return;
  if (!options_.trace || !options_.json) return;
  const timespec now = Now();
  JsonCommon("exec", task.tid, now, seq);
  char buf[48];
  snprintf(buf, sizeof buf, ",\"old_pid\":%d}\n", old_tid);
  out_ += buf;
  Emit();
}

void TraceWriter::OnTaskExit(Task& task, int status) {
  const uint64_t seq = TakeSeq();
  if (options_.only_main && task.tid != main_) return;
  if (!options_.trace) return;
  const timespec now = Now();
  Pending* p = static_cast<Pending*>(task.user);
  // A call the task never returned from (exit_group, or a death in the call) is "unfinished".
  const bool show_call = options_.status & TraceWriterOptions::kUnfinished;
  if (task.in_syscall && task.shown && p && show_call && options_.json)
    JsonSyscall(task, p->decoded, NanosBetween(task.entry_time, now), false, p->seq);
  if (task.in_syscall && task.shown && p && show_call && !options_.json) {
    // exit/exit_group (or a call cut short by the task's death): strace prints "= ?", after
    // " <unfinished ...>" when the call had arguments left to print at its exit (a killed
    // "clock_nanosleep(..., {tv_sec=100, tv_nsec=0},  <unfinished ...>) = ?").
    p->decoded.ret.assign(1, '?');  // (operator= of a literal trips GCC 12 -Wrestrict)
    if (p->decoded.entry_args < static_cast<size_t>(core::Signature(p->decoded.name).nargs)) {
      p->decoded.args.resize(std::min(p->decoded.entry_args, p->decoded.args.size()));
      p->decoded.entry_suffix = open_line_ == task.tid && p->decoded.entry_sep ? ", " : "";
      p->decoded.entry_suffix += " <unfinished ...>";
    }
    FinishLine(task, p->decoded, now);
    out_ += '\n';
  }
  if (options_.json) {
    JsonCommon("exit", task.tid, now, seq);
    char buf[64];
    if (WIFSIGNALED(status)) {
      out_ += ",\"signal\":";
      AppendJsonString(out_, core::SignalName(WTERMSIG(status)));
      out_ += WCOREDUMP(status) ? ",\"core_dumped\":true}\n" : "}\n";
    } else {
      snprintf(buf, sizeof buf, ",\"status\":%d}\n", WEXITSTATUS(status));
      out_ += buf;
    }
  } else if (WIFSIGNALED(status) || !options_.quiet_exit) {
    // (-e quiet=exit hides only "exited with": strace prints "killed by" whatever the quiet set.)
    CloseOpenLine();
    Prefix(task.tid, now, LastNumber(task, true), seq);
    char buf[64];
    if (WIFSIGNALED(status)) {
      out_ += "+++ killed by ";
      out_ += core::SignalName(WTERMSIG(status));
      out_ += WCOREDUMP(status) ? " (core dumped) +++\n" : " +++\n";
    } else {
      snprintf(buf, sizeof buf, "+++ exited with %d +++\n", WEXITSTATUS(status));
      out_ += buf;
    }
  }
  Emit();
}

void TraceWriter::PrintSummary() {
  struct Row {
    std::string name;
    Stats s;
  };
  std::vector<Row> rows;
  Stats total;
  for (const auto& [name, s] : stats_) {
    rows.push_back({name, s});
    total.calls += s.calls;
    total.errors += s.errors;
    total.total_ns += s.total_ns;
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.s.total_ns != b.s.total_ns) return a.s.total_ns > b.s.total_ns;
    return a.s.calls > b.s.calls;
  });
  char buf[160];
  out_ += "% time     seconds  usecs/call     calls    errors syscall\n";
  out_ += "------ ----------- ----------- --------- --------- ----------------\n";
  auto row = [&](const std::string& name, const Stats& s) {
    double pct = total.total_ns ? 100.0 * s.total_ns / total.total_ns : 0.0;
    uint64_t usecs = s.calls ? s.total_ns / 1000 / s.calls : 0;
    int n = snprintf(buf, sizeof buf, "%6.2f %11.6f %11" PRIu64 " %9" PRIu64 " ", pct,
                     s.total_ns / 1e9, usecs, s.calls);
    if (s.errors) snprintf(buf + n, sizeof buf - n, "%9" PRIu64 " %s\n", s.errors, name.c_str());
    else snprintf(buf + n, sizeof buf - n, "%9s %s\n", "", name.c_str());
    out_ += buf;
  };
  for (const auto& r : rows) row(r.name, r.s);
  out_ += "------ ----------- ----------- --------- --------- ----------------\n";
  row("total", total);
  if (wall_fallback_)
    out_ += "(some times are wall-clock: the task's CPU time was not readable in /proc)\n";
}

void TraceWriter::Finish() {
  CloseOpenLine();
  if (options_.summary) PrintSummary();
  Flush();
}

}  // namespace pwnbox::supervisor
