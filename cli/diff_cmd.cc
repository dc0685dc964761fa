#include "cli/diff_cmd.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "core/decoder.h"
#include "recorder/diff.h"
#include "recorder/reader.h"
#include "recorder/recorded_memory.h"

namespace pwnbox::cli {
namespace {

using recorder::CallSummary;
using recorder::EditKind;
using recorder::kNoIndex;

constexpr uint64_t kMaxEvents = 5'000'000;
constexpr size_t kMaxHunks = 50;
constexpr size_t kMaxHunkLines = 200;
constexpr size_t kContext = 2;
constexpr size_t kMaxJsonEdits = 10'000;

struct TaskCalls {
  std::string label;  // "1", "1.2": the task's place in the process tree, as both runs share it
  pid_t pid = 0;      // its first pid in this recording
  int children = 0;
  std::vector<CallSummary> calls;
};

struct Recording {
  std::string path;
  std::vector<TaskCalls> tasks;  // in order of appearance
  std::unordered_map<pid_t, size_t> by_pid;
  std::unordered_map<pid_t, std::string> pid_label;  // every pid a task had
};

struct Pending {
  core::SyscallCall call;
  core::DecodedCall decoded;
  uint64_t seq = 0;
};

std::string Text(const core::DecodedCall& d, bool finished) {
  std::string s = d.name + "(";
  for (size_t i = 0; i < d.args.size(); ++i) {
    if (i) s += ", ";
    s += d.args[i];
  }
  return s + ") = " + (finished ? d.ret : "?");
}

class Loader {
 public:
  explicit Loader(Recording* rec) : rec_(rec), decoder_(core::DecodeOptions{}) {}

  core::Status Load() {
    PWNBOX_ASSIGN_OR_RETURN(auto reader, recorder::Reader::Open(rec_->path));
    if (reader.complete() && reader.total_events() > kMaxEvents) return TooBig();
    recorder::Event e;
    uint64_t n = 0;
    while (true) {
      PWNBOX_ASSIGN_OR_RETURN(bool more, reader.Next(&e));
      if (!more) break;
      if (++n > kMaxEvents) return TooBig();
      Add(e);
    }
    std::vector<pid_t> left;
    for (const auto& [pid, p] : pending_) left.push_back(pid);
    for (pid_t pid : left) Flush(pid, false);
    return core::Status();
  }

 private:
  core::Error TooBig() const {
    return core::Error(rec_->path + " has more than 5000000 events; diff compares recordings of "
                       "up to 5 million events (record a shorter run)");
  }

  TaskCalls& Task(pid_t pid) {
    auto it = rec_->by_pid.find(pid);
    if (it != rec_->by_pid.end()) return rec_->tasks[it->second];
    std::string label = rec_->tasks.empty() ? "1" : "?" + std::to_string(++orphans_);
    return NewTask(pid, label);
  }

  TaskCalls& NewTask(pid_t pid, const std::string& label) {
    rec_->by_pid[pid] = rec_->tasks.size();
    rec_->pid_label[pid] = label;
    rec_->tasks.push_back({label, pid, 0, {}});
    return rec_->tasks.back();
  }

  void Push(pid_t pid, std::string name, std::string text, uint64_t seq) {
    Task(pid).calls.push_back({std::move(name), "", std::move(text), seq});
  }

  // Records and forgets the call pending on `pid`; `finished` when its exit was decoded.
  void Flush(pid_t pid, bool finished) {
    auto it = pending_.find(pid);
    if (it == pending_.end()) return;
    Push(pid, it->second.decoded.name, Text(it->second.decoded, finished), it->second.seq);
    pending_.erase(it);
  }

  void Add(const recorder::Event& e) {
    using K = recorder::Event::Kind;
    switch (e.kind) {
      case K::kSyscall: {
        if (!e.returned) {
          Flush(e.pid, false);
          Pending& p = pending_[e.pid];
          p.seq = e.seq;
          p.call = core::SyscallCall{};
          p.call.pid = e.pid;
          p.call.abi = static_cast<core::Abi>(e.abi);
          p.call.nr = e.nr;
          std::memcpy(p.call.args, e.args, sizeof e.args);
          recorder::RecordedMemory mem(e.entry_mem);
          decoder_.Entry(p.call, mem, &p.decoded);
          Task(e.pid);
        } else {
          auto it = pending_.find(e.pid);
          if (it == pending_.end()) break;  // an exit without its entry (attached mid-call)
          if (e.ret_unknown) {  // went on in the kernel under a policy: no result to compare
            Flush(e.pid, false);
            break;
          }
          it->second.call.ret = e.ret;
          recorder::RecordedMemory mem(e.exit_mem);
          decoder_.Exit(it->second.call, mem, &it->second.decoded);
          Flush(e.pid, true);
        }
        break;
      }
      case K::kSignal: {
        siginfo_t si{};
        std::memcpy(&si, e.data.data(), std::min(e.data.size(), sizeof si));
        // SIGCHLD lands wherever the scheduler let the child end: where it shows between the
        // parent's calls is timing, not behaviour, so it is not compared.
        if (si.si_signo == SIGCHLD) break;
        std::string name(core::SignalName(si.si_signo));
        if (name.empty()) name = std::to_string(si.si_signo);
        Push(e.pid, "---", "--- " + name + " ---", e.seq);
        break;
      }
      case K::kExit: {
        Flush(e.pid, false);
        int status = static_cast<int>(e.ret);
        std::string text;
        if (WIFSIGNALED(status)) {
          std::string sig(core::SignalName(WTERMSIG(status)));
          text = "+++ killed by " + (sig.empty() ? std::to_string(WTERMSIG(status)) : sig) +
                 (WCOREDUMP(status) ? " (core dumped)" : "") + " +++";
        } else {
          text = "+++ exited with " + std::to_string(WEXITSTATUS(status)) + " +++";
        }
        Push(e.pid, "+++", text, e.seq);
        break;
      }
      case K::kExec: {
        // A non-leader thread's execve: the task continues under the leader's pid.
        pid_t old = static_cast<pid_t>(e.args[0]);
        auto it = rec_->by_pid.find(old);
        if (old != e.pid && it != rec_->by_pid.end()) {
          rec_->by_pid[e.pid] = it->second;
          auto p = pending_.find(old);
          if (p != pending_.end()) {
            pending_[e.pid] = std::move(p->second);
            pending_.erase(old);
          }
        }
        Task(e.pid);
        break;
      }
      case K::kNewTask: {
        if (rec_->by_pid.count(e.pid)) break;
        pid_t parent = static_cast<pid_t>(e.args[0]);
        auto it = rec_->by_pid.find(parent);
        if (it == rec_->by_pid.end()) {
          Task(e.pid);
        } else {
          TaskCalls& t = rec_->tasks[it->second];
          NewTask(e.pid, t.label + "." + std::to_string(++t.children));
        }
        break;
      }
      case K::kRegs:
      case K::kSnapshot:
        break;
    }
  }

  Recording* rec_;
  core::Decoder decoder_;
  std::unordered_map<pid_t, Pending> pending_;
  int orphans_ = 0;
};

// Calls whose text carries pids (arguments or result): those are replaced by the task's label.
bool CarriesPids(const std::string& name) {
  static const std::set<std::string> kNames = {
      "getpid", "gettid", "getppid", "set_tid_address", "clone", "clone3", "fork", "vfork",
      "wait4", "waitid", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
      "pidfd_open", "pidfd_send_signal", "getpgid", "setpgid", "getsid", "getpgrp", "setsid",
      "sched_setaffinity", "sched_getaffinity", "sched_setscheduler", "sched_getscheduler",
      "sched_setparam", "sched_getparam", "sched_setattr", "sched_getattr", "prlimit64",
      "process_vm_readv", "process_vm_writev", "ptrace", "kcmp", "ioprio_get", "ioprio_set",
      "get_robust_list", "perf_event_open", "capget", "capset", "waitpid"};
  return kNames.count(name) > 0;
}

// Calls that return the time: two runs never agree on it.
bool ReadsClock(const std::string& name) {
  return name == "clock_gettime" || name == "gettimeofday" || name == "time" ||
         name == "clock_gettime64";
}

// Addresses become "0x?"; in calls that carry pids (and in /proc/PID paths), pids of the
// recording's tasks become "<task LABEL>" and getppid's foreign result "<pid>". The numbers of
// calls that read the clock are noise: "N". The bytes getrandom returned are compared (a
// program's choices follow from them: Python's hash seed, mkstemp's names), unless
// `ignore_random`: then "\"?\"".
std::string Normalise(const CallSummary& c, const Recording& rec, bool ignore_random) {
  std::string text = recorder::NormaliseAddresses(c.text);
  if (ignore_random && c.name == "getrandom" && text.compare(0, 11, "getrandom(\"") == 0) {
    size_t i = 11;
    while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    if (i < text.size()) text = "getrandom(\"?" + text.substr(i);
  }
  if (ReadsClock(c.name)) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
        out += text[i];
      } else if (out.empty() || out.back() != 'N') {
        out += 'N';
      }
    }
    return out;
  }
  bool pids = CarriesPids(c.name);
  bool proc = text.find("/proc/") != std::string::npos;
  if (!pids && !proc) return text;
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool boundary = i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) ||
                                text[i - 1] == '_' || text[i - 1] == '\\');
    if (boundary && std::isdigit(static_cast<unsigned char>(text[i]))) {
      size_t j = i;
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      bool word_end = j == text.size() || !std::isalnum(static_cast<unsigned char>(text[j]));
      bool in_proc = i >= 6 && text.compare(i - 6, 6, "/proc/") == 0;
      if (word_end && (pids || in_proc)) {
        long v = std::strtol(text.substr(i, j - i).c_str(), nullptr, 10);
        auto it = rec.pid_label.find(static_cast<pid_t>(v));
        if (it != rec.pid_label.end() && v > 0) {
          out += "<task " + it->second + ">";
          i = j;
          continue;
        }
        if (c.name == "getppid" && text.compare(0, 12, "getppid() = ") == 0 && i == 12) {
          out += "<pid>";
          i = j;
          continue;
        }
      }
      out.append(text, i, j - i);
      i = j;
      continue;
    }
    out += text[i++];
  }
  return out;
}

core::Status LoadRecording(Recording* rec, bool ignore_random) {
  Loader loader(rec);
  PWNBOX_RETURN_IF_ERROR(loader.Load());
  for (auto& t : rec->tasks)
    for (auto& c : t.calls) c.key = Normalise(c, *rec, ignore_random);
  return core::Status();
}

struct TaskPair {
  std::string label;
  const TaskCalls* a = nullptr;
  const TaskCalls* b = nullptr;
  recorder::TaskAlignment alignment;
};

const std::vector<CallSummary>& CallsOf(const TaskCalls* t) {
  static const std::vector<CallSummary> kNone;
  return t ? t->calls : kNone;
}

std::vector<TaskPair> Pair(const Recording& a, const Recording& b) {
  std::vector<TaskPair> pairs;
  std::unordered_map<std::string, size_t> by_label;
  for (const auto& t : a.tasks) {
    by_label[t.label] = pairs.size();
    pairs.push_back({t.label, &t, nullptr, {}});
  }
  for (const auto& t : b.tasks) {
    auto it = by_label.find(t.label);
    if (it != by_label.end()) {
      pairs[it->second].b = &t;
    } else {
      by_label[t.label] = pairs.size();
      pairs.push_back({t.label, nullptr, &t, {}});
    }
  }
  for (auto& p : pairs) p.alignment = recorder::AlignCalls(CallsOf(p.a), CallsOf(p.b));
  return pairs;
}

struct Divergence {
  const TaskPair* pair = nullptr;
  size_t edit = 0;
};

// The earliest difference by position in A's event stream (an insertion sits just after the A
// call before it).
std::optional<Divergence> FirstDivergence(const std::vector<TaskPair>& pairs) {
  std::optional<Divergence> best;
  uint64_t best_pos = 0;
  for (const auto& p : pairs) {
    const auto& edits = p.alignment.edits;
    const auto& ca = CallsOf(p.a);
    uint64_t prev = 0;
    for (size_t i = 0; i < edits.size(); ++i) {
      if (edits[i].kind == EditKind::kSame) {
        prev = ca[edits[i].a].seq * 2 + 1;
        continue;
      }
      uint64_t pos = edits[i].a != kNoIndex ? ca[edits[i].a].seq * 2 : prev;
      if (!best || pos < best_pos) {
        best = Divergence{&p, i};
        best_pos = pos;
      }
      break;
    }
  }
  return best;
}

std::string PidText(const TaskCalls* t) { return t ? std::to_string(t->pid) : "-"; }

const char* OpName(EditKind k) {
  switch (k) {
    case EditKind::kSame: return "same";
    case EditKind::kRemove: return "remove";
    case EditKind::kInsert: return "insert";
    case EditKind::kChange: return "change";
  }
  return "?";
}

void PrintText(const Recording& ra, const Recording& rb, const std::vector<TaskPair>& pairs,
               const Divergence& first) {
  std::string out;
  const TaskPair& fp = *first.pair;
  const recorder::Edit& fe = fp.alignment.edits[first.edit];
  auto event = [](const TaskCalls* t, size_t i) {
    return i == kNoIndex ? std::string("-") : std::to_string(t->calls[i].seq);
  };
  out += "--- " + ra.path + "\n+++ " + rb.path + "\n";
  out += "first divergence: task " + fp.label + " (pid " + PidText(fp.a) + " in A, pid " +
         PidText(fp.b) + " in B), event " + event(fp.a, fe.a) + " in A, event " +
         event(fp.b, fe.b) + " in B\n";
  if (fe.a != kNoIndex) out += "-" + fp.a->calls[fe.a].text + "\n";
  if (fe.b != kNoIndex) out += "+" + fp.b->calls[fe.b].text + "\n";
  out += "summary:\n";
  for (const auto& p : pairs) {
    const auto& al = p.alignment;
    out += "  task " + p.label + " (pid " + PidText(p.a) + " / " + PidText(p.b) + "): " +
           std::to_string(CallsOf(p.a).size()) + " / " + std::to_string(CallsOf(p.b).size()) +
           " calls, ";
    if (al.same()) {
      out += "same\n";
      continue;
    }
    out += std::to_string(al.inserted) + " inserted, " + std::to_string(al.removed) +
           " removed, " + std::to_string(al.changed) + " changed" +
           (al.too_different ? " (more than " + std::to_string(recorder::kDefaultMaxEdits) +
                                   " edits apart: not aligned beyond the common prefix and suffix)"
                             : "") +
           "\n";
  }
  size_t shown = 0, total = 0;
  for (const auto& p : pairs) {
    auto hunks = recorder::MakeHunks(p.alignment, kContext);
    total += hunks.size();
    const auto& ca = CallsOf(p.a);
    const auto& cb = CallsOf(p.b);
    for (const auto& h : hunks) {
      if (shown == kMaxHunks) break;
      ++shown;
      std::string ea = "-", eb = "-";
      for (size_t i = h.begin; i < h.end; ++i) {
        const auto& e = p.alignment.edits[i];
        if (e.a != kNoIndex && ea == "-") ea = std::to_string(ca[e.a].seq);
        if (e.b != kNoIndex && eb == "-") eb = std::to_string(cb[e.b].seq);
      }
      out += "@@ task " + p.label + ": A from event " + ea + ", B from event " + eb + " @@\n";
      size_t lines = 0;
      for (size_t i = h.begin; i < h.end; ++i) {
        if (lines >= kMaxHunkLines) {
          out += "  ... " + std::to_string(h.end - i) + " more calls in this hunk\n";
          break;
        }
        const auto& e = p.alignment.edits[i];
        if (e.kind == EditKind::kSame) {
          out += " " + ca[e.a].text + "\n";
          ++lines;
          continue;
        }
        if (e.a != kNoIndex) out += "-" + ca[e.a].text + "\n", ++lines;
        if (e.b != kNoIndex) out += "+" + cb[e.b].text + "\n", ++lines;
      }
    }
  }
  if (total > shown) out += "(" + std::to_string(total - shown) + " more hunks not shown)\n";
  std::cout << out << std::flush;
}

void PrintJson(const Recording& ra, const Recording& rb, const std::vector<TaskPair>& pairs,
               const std::optional<Divergence>& first) {
  using nlohmann::json;
  auto side = [](const TaskCalls* t, size_t i, json& obj, const char* ev, const char* text) {
    if (i == kNoIndex) {
      obj[ev] = nullptr;
      obj[text] = nullptr;
    } else {
      obj[ev] = t->calls[i].seq;
      obj[text] = t->calls[i].text;
    }
  };
  auto pid = [](const TaskCalls* t) { return t ? json(t->pid) : json(nullptr); };
  json doc;
  doc["a"] = ra.path;
  doc["b"] = rb.path;
  doc["same"] = !first.has_value();
  if (first) {
    const auto& e = first->pair->alignment.edits[first->edit];
    json f;
    f["task"] = first->pair->label;
    f["a_pid"] = pid(first->pair->a);
    f["b_pid"] = pid(first->pair->b);
    f["op"] = OpName(e.kind);
    side(first->pair->a, e.a, f, "a_event", "a_call");
    side(first->pair->b, e.b, f, "b_event", "b_call");
    doc["first_divergence"] = f;
  } else {
    doc["first_divergence"] = nullptr;
  }
  json tasks = json::array();
  for (const auto& p : pairs) {
    const auto& al = p.alignment;
    json t;
    t["task"] = p.label;
    t["a_pid"] = pid(p.a);
    t["b_pid"] = pid(p.b);
    t["a_calls"] = CallsOf(p.a).size();
    t["b_calls"] = CallsOf(p.b).size();
    t["inserted"] = al.inserted;
    t["removed"] = al.removed;
    t["changed"] = al.changed;
    t["too_different"] = al.too_different;
    json edits = json::array();
    size_t omitted = 0;
    for (const auto& e : al.edits) {
      if (e.kind == EditKind::kSame) continue;
      if (edits.size() == kMaxJsonEdits) {
        ++omitted;
        continue;
      }
      json j;
      j["op"] = OpName(e.kind);
      side(p.a, e.a, j, "a_event", "a_call");
      side(p.b, e.b, j, "b_event", "b_call");
      edits.push_back(std::move(j));
    }
    t["edits"] = std::move(edits);
    t["edits_omitted"] = omitted;
    tasks.push_back(std::move(t));
  }
  doc["tasks"] = std::move(tasks);
  std::cout << doc.dump(-1, ' ', false, json::error_handler_t::replace) << "\n" << std::flush;
}

}  // namespace

int DiffCommand(int argc, char** argv) {
  std::vector<std::string> files;
  bool json = false, ignore_random = false;
  constexpr const char* kUsage = "usage: pwnbox diff A.pwnr B.pwnr [--json] [--ignore-random]";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "--ignore-random") {
      ignore_random = true;
    } else if (arg == "-h" || arg == "--help") {
      std::cout << kUsage << "\n"
                   "Aligns the two recordings' syscalls per task; exit 0 same, 1 different.\n"
                   "Addresses, clock readings and the recordings' own pids are not compared;\n"
                   "the bytes getrandom returned are (two runs of a program that seeds from\n"
                   "them differ there first).\n"
                   "  --json           one JSON document\n"
                   "  --ignore-random  getrandom's bytes are not compared either\n";
      return 0;
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "--") {
      return Fail("diff: unknown option " + arg + " (" + kUsage + ")");
    } else if (arg != "--") {
      files.push_back(arg);
    }
  }
  if (files.size() != 2)
    return Fail(std::string("diff needs two recordings: ") + kUsage);
  Recording a, b;
  a.path = files[0];
  b.path = files[1];
  if (auto s = LoadRecording(&a, ignore_random); !s.ok()) return Fail(s.error());
  if (auto s = LoadRecording(&b, ignore_random); !s.ok()) return Fail(s.error());
  auto pairs = Pair(a, b);
  auto first = FirstDivergence(pairs);
  if (json) PrintJson(a, b, pairs, first);
  else if (first) PrintText(a, b, pairs, *first);
  return first ? 1 : 0;
}

}  // namespace pwnbox::cli
