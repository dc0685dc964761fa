#include "cli/record_cmd.h"

#include <sys/user.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>

#include <boost/program_options.hpp>
#include <cstring>
#include <iostream>
#include <memory>
#include <set>
#include <unordered_map>

#include "cli/common.h"
#include "cli/options.h"
#include "cli/traced_policy.h"
#include "cli/traced_run.h"
#include "recorder/reader.h"
#include "recorder/recorded_memory.h"
#include "supervisor/launcher.h"
#include "recorder/writer.h"
#include "supervisor/record_observer.h"
#include "supervisor/replay_observer.h"
#include "supervisor/trace_writer.h"

namespace po = boost::program_options;

namespace pwnbox::cli {
namespace {

// Header metadata "data" of a recording made with --no-data.
constexpr char kDataShownOnly[] = "shown";

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

// Serves TraceWriter the memory and time of the event being shown.
class EventSource final : public supervisor::TraceSource {
 public:
  core::TargetMemory& Memory(supervisor::Task&, bool) override { return *memory_; }
  timespec Now() override { return now_; }
  void Set(const std::vector<recorder::MemoryBlob>& blobs, int64_t time_ns) {
    memory_ = std::make_unique<recorder::RecordedMemory>(blobs);
    now_.tv_sec = time_ns / 1000000000;
    now_.tv_nsec = time_ns % 1000000000;
  }

 private:
  std::unique_ptr<recorder::RecordedMemory> memory_;
  timespec now_{};
};

timespec ToTimespec(int64_t ns) {
  timespec ts;
  ts.tv_sec = ns / 1000000000;
  ts.tv_nsec = ns % 1000000000;
  return ts;
}

// `show --at N [--regs] [--mem ADDR:LEN]...`: the state of event N's task, rebuilt from the
// snapshots up to N and the kernel's writes (calls' exit memory) after them; each --mem range
// is dumped in the order given.
int ShowAt(recorder::Reader& reader, const std::string& path, uint64_t at, bool regs,
           const std::vector<std::string>& mems) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // (addr, len)
  for (const auto& mem : mems) {
    // A whole number, C-style (0x.. hex, 0.. octal); `end` must point into a live string.
    auto number = [](const std::string& text, uint64_t* v) {
      char* end = nullptr;
      errno = 0;
      *v = std::strtoull(text.c_str(), &end, 0);
      return !text.empty() && *end == '\0' && errno == 0;
    };
    uint64_t addr = 0, len = 0;
    const size_t colon = mem.find(':');
    if (colon == std::string::npos || !number(mem.substr(0, colon), &addr) ||
        !number(mem.substr(colon + 1), &len) || len == 0 || len > (1 << 20) ||
        addr + len < addr)
      return Fail("--mem " + mem + ": give ADDR:LEN, e.g. 0x7ffff7dd3000:64 (LEN at most 1 MiB)");
    ranges.emplace_back(addr, len);
  }
  std::unordered_map<pid_t, std::map<uint64_t, std::string>> pages;  // by tgid
  std::unordered_map<pid_t, std::string> last_regs;                   // by pid
  auto apply = [&](pid_t tgid, uint64_t a, const std::string& bytes) {
    auto& img = pages[tgid];
    for (size_t i = 0; i < bytes.size();) {
      const uint64_t page = (a + i) & ~uint64_t{4095};
      auto it = img.find(page);
      const size_t off = (a + i) - page, n = std::min<size_t>(4096 - off, bytes.size() - i);
      if (it != img.end()) it->second.replace(off, n, bytes, i, n);
      i += n;
    }
  };
  // Per process: the entry event the latest snapshot was taken at (it precedes that entry), and
  // whether the process entered another call since (then it ran code of its own in between,
  // whose stores no snapshot holds).
  struct SnapshotAt {
    uint64_t entry = 0;
    bool pending = false;  // the snapshot's entry event is still to come
    bool stale = false;
  };
  std::unordered_map<pid_t, SnapshotAt> snapshot_at;  // by tgid
  recorder::Event e, target;
  bool found = false, any_snapshot = false;
  while (true) {
    auto more = reader.Next(&e);
    if (!more.ok()) return Fail(more.error());
    if (!*more || e.seq > at) break;
    using K = recorder::Event::Kind;
    if (e.kind == K::kSnapshot) {
      any_snapshot = true;
      snapshot_at[e.tgid] = SnapshotAt{0, true, false};
      auto& img = pages[e.tgid];
      for (size_t off = 0; off + 8 + 4096 <= e.data.size(); off += 8 + 4096) {
        uint64_t page;
        std::memcpy(&page, e.data.data() + off, 8);
        img[page] = e.data.substr(off + 8, 4096);
      }
    } else if (e.kind == K::kRegs) {
      last_regs[e.pid] = e.data;
    } else if (e.kind == K::kSyscall) {
      if (e.returned) {
        for (const auto& b : e.exit_mem) apply(e.tgid, b.addr, b.bytes);
      } else if (auto it = snapshot_at.find(e.tgid); it != snapshot_at.end()) {
        if (it->second.pending) {
          it->second.entry = e.seq;
          it->second.pending = false;
        } else {
          it->second.stale = true;
        }
      }
    }
    if (e.seq == at) {
      target = e;
      found = true;
    }
  }
  if (!found) return Fail(path + " has no event " + std::to_string(at));
  std::printf("event %llu: pid %d\n", static_cast<unsigned long long>(at), target.pid);
  if (regs) {
    auto it = last_regs.find(target.pid);
    if (it == last_regs.end() || it->second.size() < sizeof(user_regs_struct))
      return Fail(path + " has no registers for pid " + std::to_string(target.pid) +
                  " up to event " + std::to_string(at) + ": record with --snapshots");
    user_regs_struct r;
    std::memcpy(&r, it->second.data(), sizeof r);
    const std::pair<const char*, unsigned long long> rows[] = {
        {"rax", r.rax}, {"rbx", r.rbx}, {"rcx", r.rcx}, {"rdx", r.rdx}, {"rsi", r.rsi},
        {"rdi", r.rdi}, {"rbp", r.rbp}, {"rsp", r.rsp}, {"r8", r.r8}, {"r9", r.r9},
        {"r10", r.r10}, {"r11", r.r11}, {"r12", r.r12}, {"r13", r.r13}, {"r14", r.r14},
        {"r15", r.r15}, {"rip", r.rip}, {"eflags", r.eflags}, {"orig_rax", r.orig_rax},
        {"fs_base", r.fs_base}, {"gs_base", r.gs_base}};
    for (const auto& [name, v] : rows) std::printf("%-8s 0x%016llx\n", name, v);
  }
  if (!ranges.empty() && !any_snapshot)
    return Fail(path + " has no memory snapshots up to event " + std::to_string(at) +
                ": record with --snapshots");
  if (!ranges.empty()) {
    // Said on stderr, so that stdout stays the dump.
    auto it = snapshot_at.find(target.tgid);
    if (it == snapshot_at.end())
      std::fprintf(stderr,
                   "pwnbox: note: no snapshot of pid %d's process up to event %llu: its memory "
                   "shows as ??\n",
                   target.pid, static_cast<unsigned long long>(at));
    else if (it->second.stale)
      std::fprintf(stderr,
                   "pwnbox: note: the memory is the snapshot taken at event %llu with the "
                   "kernel's writes since; what the program stored itself after event %llu is "
                   "not in the recording (record with --snapshots=1 for every call)\n",
                   static_cast<unsigned long long>(it->second.entry),
                   static_cast<unsigned long long>(it->second.entry));
  }
  for (const auto& [addr, len] : ranges) {
    const auto& img = pages[target.tgid];
    for (uint64_t row = addr; row < addr + len; row += 16) {
      std::string hex, text;
      for (uint64_t a = row; a < row + 16 && a < addr + len; ++a) {
        auto it = img.find(a & ~uint64_t{4095});
        char cell[4];
        if (it == img.end()) {
          hex += "?? ";
          text += '?';
          continue;
        }
        const unsigned char c = static_cast<unsigned char>(it->second[a & 4095]);
        std::snprintf(cell, sizeof cell, "%02x ", c);
        hex += cell;
        text += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
      }
      std::printf("%016llx  %-48s %s\n", static_cast<unsigned long long>(row), hex.c_str(),
                  text.c_str());
    }
  }
  return 0;
}

}  // namespace

int RecordToFile(const std::vector<std::string>& command, const std::string& output,
                 const RecordSettings& settings, bool* recorded) {
  const std::string& policy = settings.policy;
  const uint64_t snapshot_every = settings.snapshot_every;
  *recorded = false;
  // A command that cannot be started leaves no recording behind (one that looked valid).
  if (auto resolved = supervisor::ResolveCommand(command.at(0)); !resolved.ok()) {
    const int err = resolved.error().sys_errno();
    Fail(resolved.error());
    return err == ENOENT ? kExitNotFound : err == EACCES ? kExitCannotExec : kExitFailure;
  }
  recorder::Header header;
  header.command_line = Join(command);
  header.metadata["pwnbox"] = "0.1.0";
  // The exact argv and where it ran, for `replay`.
  header.metadata["argc"] = std::to_string(command.size());
  for (size_t i = 0; i < command.size(); ++i)
    header.metadata["argv." + std::to_string(i)] = command[i];
  if (char* cwd = getcwd(nullptr, 0)) {
    header.metadata["cwd"] = cwd;
    free(cwd);
  }
  header.metadata["aslr"] = "off";
  if (!policy.empty()) header.metadata["policy"] = policy;
  if (snapshot_every) header.metadata["snapshots"] = std::to_string(snapshot_every);
  if (!settings.keep_data) header.metadata["data"] = kDataShownOnly;
  auto writer = recorder::Writer::Create(output, header);
  if (!writer.ok()) return Fail(writer.error());
  supervisor::RecordObserver recorder_obs(**writer, snapshot_every, settings.keep_data);
  std::unique_ptr<TracedPolicy> traced_policy;
  if (!policy.empty()) {
    auto tp = TracedPolicy::Load(policy, recorder_obs, STDERR_FILENO);
    if (!tp.ok()) {
      (void)(*writer)->Finish();
      unlink(output.c_str());
      return Fail(tp.error());
    }
    traced_policy = std::move(*tp);
  }
  supervisor::PtraceObserver& observer =
      traced_policy ? traced_policy->observer()
                    : static_cast<supervisor::PtraceObserver&>(recorder_obs);
  supervisor::PtraceMonitor monitor(observer, supervisor::PtraceOptions{});
  filters::TraceSelection all;
  core::Status finished;
  bool started = false;
  int code = RunTraced(command, all, traced_policy.get(), monitor, [&](pid_t) { started = true; },
                       [&] { finished = (*writer)->Finish(); }, /*no_aslr=*/true,
                       settings.wait_all);
  if (!finished.ok()) return Fail(finished.error());
  *recorded = started;
  if (!started) unlink(output.c_str());  // nothing ran: no recording that looks valid
  return code;
}

int RecordCommand(int argc, char** argv) {
  SplitArgs split = SplitCommand(argc, argv, 1, {"-o", "--output", "--policy"});
  po::options_description desc("pwnbox record options");
  std::string output;
  RecordSettings settings;
  desc.add_options()
      ("help,h", "show this help")
      ("output,o", po::value(&output), "the recording to write (FILE.pwnr)")
      ("policy", po::value(&settings.policy), "enforce POLICY while recording")
      ("wait-all", po::bool_switch(&settings.wait_all),
       "wait for every process the command started, as strace -f does; by default pwnbox ends "
       "with the command and kills what it left behind")
      ("snapshots", po::value<std::string>()->implicit_value(""),
       "memory snapshots every EVERY syscalls")
      ("no-data", "keep only what `show` prints, not the whole buffers the kernel filled (much "
       "smaller for programs that read a lot; `replay` then refuses the recording)");
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(split.options), desc, &vm, "record"))
    return kExitFailure;
  if (vm.count("help")) {
    std::cout << "usage: pwnbox record -o FILE.pwnr [--policy FILE] [--snapshots[=EVERY]] "
                 "[--no-data] [--wait-all] -- CMD\n"
              << desc;
    return 0;
  }
  if (output.empty()) return Fail("record needs -o FILE.pwnr");
  if (split.command.empty()) return Fail("no command to record: pwnbox record -o FILE.pwnr -- CMD");
  uint64_t& snapshot_every = settings.snapshot_every;
  settings.keep_data = !vm.count("no-data");
  if (vm.count("snapshots")) {
    const std::string v = vm["snapshots"].as<std::string>();
    snapshot_every = 1000;
    if (!v.empty()) {
      char* end = nullptr;
      snapshot_every = std::strtoull(v.c_str(), &end, 10);
      if (*end || snapshot_every == 0)
        return Fail("--snapshots=" + v + ": EVERY must be a positive number of syscalls");
    }
  }

  bool recorded = false;
  return RecordToFile(split.command, output, settings, &recorded);
}

int ShowCommand(int argc, char** argv) {
  po::options_description desc("pwnbox show options");
  std::string path;
  desc.add_options()
      ("help,h", "show this help")
      ("file", po::value(&path), "the recording")
      ("json", "one JSON object per line, as trace --json")
      ("seq", "start each line with \"#N \", N its event's number in the recording (a call's "
       "lines carry its entry event's): the N that --at takes")
      ("summary-only,c", "the per-syscall summary table (its times are the calls' recorded "
       "wall-clock durations, as trace -c -w)")
      ("at", po::value<uint64_t>(), "the state at event N (needs --snapshots)")
      ("regs", "with --at: the registers of event N's task (at its last syscall entry up to N)")
      ("mem", po::value<std::vector<std::string>>(),
       "with --at: LEN bytes of memory from ADDR (ADDR:LEN), as a hex dump; more than once for "
       "more ranges, dumped in order");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  // (Boost skips argv[0], the subcommand name.)
  if (!ParseOptions(po::command_line_parser(argc, argv), desc, &vm, "show", &pos))
    return kExitFailure;
  if (vm.count("help")) {
    std::cout << "usage: pwnbox show FILE.pwnr [--json] [--seq] [-c] [--at N [--regs] [--mem ADDR:LEN]...]\n"
              << desc;
    return 0;
  }
  if (path.empty()) return Fail("show needs a recording: pwnbox show FILE.pwnr");
  if ((vm.count("regs") || vm.count("mem")) && !vm.count("at"))
    return Fail("--regs and --mem show the state at an event: give --at N");

  auto reader = recorder::Reader::Open(path);
  if (!reader.ok()) return Fail(reader.error());
  if (vm.count("at")) {
    std::vector<std::string> mems;
    if (vm.count("mem")) mems = vm["mem"].as<std::vector<std::string>>();
    return ShowAt(*reader, path, vm["at"].as<uint64_t>(), vm.count("regs") > 0, mems);
  }

  supervisor::TraceWriterOptions wopts;
  wopts.json = vm.count("json") > 0;
  wopts.summary = vm.count("summary-only") > 0;
  wopts.trace = !wopts.summary;
  wopts.flush_each_line = false;
  wopts.seq_prefix = vm.count("seq") > 0;
  std::unordered_map<pid_t, std::unique_ptr<supervisor::Task>> tasks;
  std::set<pid_t> live;
  supervisor::TraceWriter writer(STDOUT_FILENO, wopts, [&live] { return live.size(); });
  EventSource source;
  writer.set_source(&source);
  auto task_of = [&](const recorder::Event& e) -> supervisor::Task& {
    auto& t = tasks[e.pid];
    if (!t) {
      t = std::make_unique<supervisor::Task>();
      t->tid = e.pid;
      t->tgid = e.tgid;
      t->shown = true;
    }
    live.insert(e.pid);
    return *t;
  };

  recorder::Event e;
  while (true) {
    auto more = reader->Next(&e);
    if (!more.ok()) {
      writer.Finish();
      return Fail(more.error());
    }
    if (!*more) break;
    using K = recorder::Event::Kind;
    writer.set_event_seq(e.seq);  // (a call's exit is numbered by its entry: the writer knows)
    switch (e.kind) {
      case K::kSyscall: {
        supervisor::Task& t = task_of(e);
        t.call.pid = e.pid;
        t.call.abi = static_cast<core::Abi>(e.abi);
        t.call.nr = e.nr;
        std::memcpy(t.call.args, e.args, sizeof e.args);
        if (!e.returned) {
          t.entry_time = ToTimespec(e.time_ns);
          t.in_syscall = true;
          source.Set(e.entry_mem, e.time_ns);
          writer.OnEntry(t);
        } else {
          t.call.ret = e.ret;
          t.in_syscall = false;
          source.Set(e.exit_mem, e.time_ns + e.dur_ns);
          // A call the supervisor let go on in the kernel: `= ?`, as trace --policy shows it.
          t.served_unknown = e.ret_unknown;
          if (e.ret_unknown) writer.OnServedExit(t);
          else writer.OnExit(t);
          t.served_unknown = false;
        }
        break;
      }
      case K::kSignal: {
        siginfo_t si{};
        std::memcpy(&si, e.data.data(), std::min(e.data.size(), sizeof si));
        source.Set({}, e.time_ns);
        writer.OnSignal(task_of(e), si);
        break;
      }
      case K::kExit: {
        supervisor::Task& t = task_of(e);
        source.Set({}, e.time_ns);
        writer.OnTaskExit(t, static_cast<int>(e.ret));
        writer.OnForget(t);
        live.erase(e.pid);
        tasks.erase(e.pid);
        break;
      }
      case K::kExec:
        source.Set({}, e.time_ns);
        writer.OnExec(task_of(e), static_cast<pid_t>(e.args[0]));
        break;
      case K::kNewTask:
        task_of(e);
        break;
      case K::kRegs:
      case K::kSnapshot:
        break;  // state for --at
    }
  }
  writer.Finish();
  if (!reader->complete())
    std::fprintf(stderr, "pwnbox: %s ends early (the recording was cut short); %llu events shown\n",
                 path.c_str(), static_cast<unsigned long long>(reader->events_read()));
  return 0;
}

int ReplayCommand(int argc, char** argv) {
  po::options_description desc("pwnbox replay options");
  std::string path, policy;
  uint64_t until = 0;
  desc.add_options()
      ("help,h", "show this help")
      ("file", po::value(&path), "the recording")
      ("until", po::value(&until), "stop before the call whose event number exceeds N")
      ("policy", po::value(&policy),
       "enforce POLICY on the replayed program (confine a recording you did not make)");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!ParseOptions(po::command_line_parser(argc, argv), desc, &vm, "replay", &pos))
    return kExitFailure;
  if (vm.count("help")) {
    std::cout << "usage: pwnbox replay FILE.pwnr [--until N] [--policy FILE]\n"
                 "Runs the recorded command again (the argv and directory the recording names)\n"
                 "and feeds it the recorded results of its input calls (reads, randomness, time,\n"
                 "ids). Every other call really happens: writes, unlinks, connects and execs have\n"
                 "their real effects. Replaying a recording is running its program: replay only\n"
                 "recordings you trust, or confine the replay with --policy (a recording names\n"
                 "the policy file it was made under, but does not hold the policy).\n"
              << desc;
    return 0;
  }
  if (path.empty()) return Fail("replay needs a recording: pwnbox replay FILE.pwnr");
  auto reader = recorder::Reader::Open(path);
  if (!reader.ok()) return Fail(reader.error());
  const auto& meta = reader->header().metadata;
  if (auto d = meta.find("data"); d != meta.end() && d->second == kDataShownOnly)
    return Fail(path + " was recorded with --no-data: it holds what `show` prints, not the data "
                "replay feeds back; record the run again without --no-data");
  auto argc_it = meta.find("argc");
  if (argc_it == meta.end()) return Fail(path + " does not say how its program was started");
  // The header is the recording's (untrusted) word: a count that is not a small number is a
  // corrupt file, not an exception.
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(argc_it->second.c_str(), &end, 10);
  if (argc_it->second.empty() || *end != '\0' || errno != 0 || n == 0 || n > meta.size())
    return Fail(path + ": its header is corrupt (argc " +
                core::QuoteString(argc_it->second, 64) + ")");
  std::vector<std::string> command;
  for (size_t i = 0; i < n; ++i) {
    auto a = meta.find("argv." + std::to_string(i));
    if (a == meta.end()) return Fail(path + ": its command line is incomplete");
    command.push_back(a->second);
  }

  // The recorded calls, per task in the order the tasks appeared.
  std::vector<std::vector<supervisor::RecordedCall>> calls;
  std::vector<bool> killed;  // per task: its recorded end is SIGKILL
  std::unordered_map<pid_t, size_t> task_index;
  recorder::Event e;
  while (true) {
    auto more = reader->Next(&e);
    if (!more.ok()) return Fail(more.error());
    if (!*more) break;
    if (task_index.empty() || e.kind == recorder::Event::Kind::kNewTask) {
      if (!task_index.count(e.pid)) {
        task_index[e.pid] = calls.size();
        calls.emplace_back();
        killed.push_back(false);
      }
    }
    auto it = task_index.find(e.pid);
    if (it != task_index.end() && e.kind == recorder::Event::Kind::kExit)
      killed[it->second] = WIFSIGNALED(e.ret) && WTERMSIG(e.ret) == SIGKILL;
    if (e.kind == recorder::Event::Kind::kSignal && it != task_index.end() &&
        !calls[it->second].empty() && e.data.size() >= sizeof(siginfo_t)) {
      siginfo_t si;
      std::memcpy(&si, e.data.data(), sizeof si);
      calls[it->second].back().signals_after.push_back(si);
    }
    if (e.kind != recorder::Event::Kind::kSyscall) continue;
    if (it == task_index.end()) continue;
    auto& list = calls[it->second];
    if (!e.returned) list.push_back({e, std::nullopt});
    else if (!list.empty() && !list.back().exit) list.back().exit = e;
  }
  if (!reader->complete())
    std::fprintf(stderr, "pwnbox: %s was cut short: replaying the %llu events it has\n",
                 path.c_str(), static_cast<unsigned long long>(reader->events_read()));
  auto cwd = meta.find("cwd");
  // (The directory comes from the file: quoted and escaped, as every string from a file.)
  if (cwd != meta.end() && chdir(cwd->second.c_str()) != 0)
    std::fprintf(stderr, "pwnbox: cannot enter the recorded directory %s; replaying here\n",
                 core::QuoteString(cwd->second, 4096).c_str());

  supervisor::ReplayObserver replay(std::move(calls), until, std::move(killed));
  // Under --policy the policy decides first (PolicyTracer, as `record --policy`): a call it
  // denies never runs, whatever the recording says; replay then only changes what a skipped
  // input call returns.
  std::unique_ptr<TracedPolicy> traced_policy;
  if (!policy.empty()) {
    auto tp = TracedPolicy::Load(policy, replay, STDERR_FILENO);
    if (!tp.ok()) return Fail(tp.error());
    traced_policy = std::move(*tp);
  }
  supervisor::PtraceObserver& observer =
      traced_policy ? traced_policy->observer() : static_cast<supervisor::PtraceObserver&>(replay);
  supervisor::PtraceMonitor monitor(observer, supervisor::PtraceOptions{});
  filters::TraceSelection all;
  // Every task runs to its recorded end (the observer kills those the recording shows killed).
  int code = RunTraced(command, all, traced_policy.get(), monitor, [](pid_t) {}, [] {},
                       /*no_aslr=*/true, /*wait_all=*/true);
  if (const auto& d = replay.divergence()) {
    std::fprintf(stderr,
                 "pwnbox: replay diverged from %s at event %llu (pid %d):\n"
                 "  recorded: %s\n  replayed: %s\n",
                 path.c_str(), static_cast<unsigned long long>(d->seq), d->pid,
                 d->expected.c_str(), d->actual.c_str());
    return 1;
  }
  if (int sig = replay.interrupted()) {
    // Ctrl-C (or a kill from outside): no divergence; pwnbox ends as the target did, so that a
    // shell loop stops (main's ExitLikeTarget).
    std::fprintf(stderr, "pwnbox: replay interrupted by %s before event %llu\n",
                 std::string(core::SignalName(sig)).c_str(),
                 static_cast<unsigned long long>(replay.interrupted_at()));
    return code == 128 + sig ? code : 128 + sig;
  }
  if (replay.stopped_at_until()) {
    std::fprintf(stderr, "pwnbox: replay stopped after event %llu (--until)\n",
                 static_cast<unsigned long long>(until));
    return 0;
  }
  return code;
}

}  // namespace pwnbox::cli
