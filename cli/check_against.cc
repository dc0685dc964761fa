#include "cli/check_against.h"

#include <fcntl.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "cli/common.h"
#include "core/decoder.h"
#include "core/syscalls.h"
#include "filters/filters.h"
#include "profile/call.h"
#include "recorder/reader.h"
#include "recorder/recorded_memory.h"
#include "supervisor/decider.h"
#include "supervisor/path_args.h"

namespace pwnbox::cli {
namespace {

using supervisor::PathView;
using supervisor::ResolveOptions;
using supervisor::Verdict;

// "/a/./b/../c/" -> "/a/c" (absolute input; ".." at the root stays at the root).
std::string Fold(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j;
  }
  std::string out;
  for (std::string_view p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

// What the run's tasks had: their working directory and the paths of their fds ("" unknown).
struct Process {
  std::string cwd;
  std::map<int, std::string> fds;
};

class RunState {
 public:
  explicit RunState(std::string cwd) : start_cwd_(std::move(cwd)) {}

  // A task first seen without its creation (an strace log prints a child's first calls before
  // its parent's clone returns) starts with the state of the task seen last, most likely its
  // parent; the first task, with the starting directory.
  Process& Of(pid_t pid) {
    auto it = procs_.find(pid);
    if (it == procs_.end()) {
      auto last = procs_.find(last_);
      Process p = last != procs_.end() ? last->second : Process{start_cwd_, {}};
      it = procs_.emplace(pid, std::move(p)).first;
    }
    return it->second;
  }
  void Seen(pid_t pid) {
    Of(pid);
    last_ = pid;
  }

  // A task `child` created by `parent` starts with a copy of its state (fork; threads share
  // theirs, which a copy approximates).
  void Created(pid_t parent, pid_t child) {
    if (procs_.count(child) == 0) procs_[child] = Of(parent);
  }

  // The path a call of `pid` names, as the run named it (see check_against.h); ENOENT when the
  // directory it is relative to is not known.
  core::Result<PathView> Resolve(pid_t pid, int dirfd, std::string_view raw,
                                 const ResolveOptions& options) {
    Process& p = Of(pid);
    std::string base;
    if (!raw.empty() && raw[0] == '/') {
      base = "/";
    } else if (dirfd == AT_FDCWD) {
      base = p.cwd;
    } else if (auto it = p.fds.find(dirfd); it != p.fds.end()) {
      base = it->second;
    }
    if (base.empty()) return core::Error("the directory the path is relative to is unknown", ENOENT);
    if (raw.empty() && !options.empty_path) return core::Error("empty path", ENOENT);
    PathView v;
    v.path = Fold(base + "/" + std::string(raw));
    v.trailing_slash = !raw.empty() && raw.back() == '/';
    return v;
  }

  // Follows what a call that returned `ret` changed: fds, the working directory, tasks.
  void After(pid_t pid, std::string_view name, const uint64_t args[6], int64_t ret,
             const std::vector<std::string>& paths) {
    Process& p = Of(pid);
    const int a0 = static_cast<int>(args[0]);
    if (ret < 0) return;
    if (name == "open" || name == "openat" || name == "openat2" || name == "creat") {
      if (!paths.empty()) p.fds[static_cast<int>(ret)] = paths[0];
    } else if (name == "chdir") {
      if (!paths.empty()) p.cwd = paths[0];
    } else if (name == "fchdir") {
      auto it = p.fds.find(a0);
      p.cwd = it != p.fds.end() ? it->second : "";
    } else if (name == "dup" || (name == "fcntl" && (args[1] == F_DUPFD || args[1] == F_DUPFD_CLOEXEC))) {
      Copy(p, a0, static_cast<int>(ret));
    } else if (name == "dup2" || name == "dup3") {
      Copy(p, a0, static_cast<int>(args[1]));
    } else if (name == "close") {
      p.fds.erase(a0);
    } else if (name == "close_range") {
      const unsigned first = static_cast<unsigned>(args[0]), last = static_cast<unsigned>(args[1]);
      for (auto it = p.fds.lower_bound(static_cast<int>(first));
           it != p.fds.end() && static_cast<unsigned>(it->first) <= last;)
        it = p.fds.erase(it);
    } else if ((name == "clone" || name == "clone3" || name == "fork" || name == "vfork") && ret > 0) {
      Created(pid, static_cast<pid_t>(ret));
    }
  }

 private:
  static void Copy(Process& p, int from, int to) {
    auto it = p.fds.find(from);
    if (it != p.fds.end()) p.fds[to] = it->second;
    else p.fds.erase(to);
  }

  std::string start_cwd_;
  std::unordered_map<pid_t, Process> procs_;
  pid_t last_ = -1;
};

// Reads strings put at made-up addresses (an strace log has the paths, not the pointers).
class StringsMemory final : public core::TargetMemory {
 public:
  static constexpr uint64_t kBase = 0x10000, kStride = 0x10000;
  explicit StringsMemory(const std::vector<std::string>& strings) : strings_(strings) {}
  ssize_t Read(uint64_t addr, void* buf, size_t len) override {
    if (addr < kBase || (addr - kBase) % kStride != 0) return -1;
    const size_t k = (addr - kBase) / kStride;
    if (k >= strings_.size()) return -1;
    const size_t n = std::min(len, strings_[k].size() + 1);
    std::memcpy(buf, strings_[k].c_str(), n);
    return static_cast<ssize_t>(n);
  }

 private:
  const std::vector<std::string>& strings_;
};

bool Denies(const Verdict& v) {
  if (v.foreign_abi) return true;
  switch (v.kind) {
    case Verdict::Kind::kFail: return !v.resolution_failed && !v.undecided;
    case Verdict::Kind::kKillProcess:
    case Verdict::Kind::kKillThread:
    case Verdict::Kind::kTrap: return true;
    default: return false;
  }
}

class Checker {
 public:
  Checker(const config::Policy& policy, std::string cwd)
      : policy_(policy), decider_(policy, /*complain=*/false), state_(std::move(cwd)) {
    decider_.set_path_resolver([this](pid_t pid, int dirfd, std::string_view raw,
                                      const ResolveOptions& o) {
      return state_.Resolve(pid, dirfd, raw, o);
    });
  }

  // Decides one call; `line` is how it is shown if it is the first denial.
  void Decide(const core::SyscallCall& call, core::TargetMemory& mem, bool returned, int64_t ret,
              const std::function<std::string()>& line, const std::string& where) {
    ++calls_;
    state_.Seen(call.pid);
    Verdict v = decider_.Decide(call, mem);
    PerRule& r = per_rule_[v.foreign_abi ? -2 : v.rule];
    ++r.calls;
    if (v.kind == Verdict::Kind::kFail && (v.resolution_failed || v.undecided)) ++undecided_;
    if (Denies(v)) {
      ++r.denied;
      ++denied_;
      if (!first_) first_ = First{where, line(), Explain(v)};
    }
    const std::string_view name = core::SyscallName(call.nr, call.abi);
    if (returned) {
      // The paths as this call named them (for open's fd, chdir's directory).
      std::vector<std::string> paths;
      uint64_t args[6];
      std::memcpy(args, call.args, sizeof args);
      for (const auto& arg : supervisor::PathArgsOf(name, call.abi)) {
        if (!supervisor::IsPathInCall(arg, args)) continue;
        char buf[4096];
        ssize_t n = args[arg.path] ? mem.Read(args[arg.path], buf, sizeof buf) : -1;
        if (n <= 0) continue;
        const size_t len = strnlen(buf, static_cast<size_t>(n));
        if (len == static_cast<size_t>(n)) continue;
        const int dirfd = arg.dirfd >= 0 ? static_cast<int>(args[arg.dirfd]) : AT_FDCWD;
        auto view = state_.Resolve(call.pid, dirfd, std::string_view(buf, len), ResolveOptions{});
        if (view.ok()) paths.push_back(view->path);
      }
      state_.After(call.pid, name, call.args, ret, paths);
    }
  }

  void Created(pid_t parent, pid_t child) { state_.Created(parent, child); }

  int Report(const std::string& policy_path, const std::string& run, bool summary) const {
    if (first_) {
      std::printf("%s: %s: %s\n  would be denied: %s\n", run.c_str(), first_->where.c_str(),
                  first_->line.c_str(), first_->why.c_str());
      std::printf("%s would deny %llu of the run's %llu calls\n", policy_path.c_str(),
                  static_cast<unsigned long long>(denied_), static_cast<unsigned long long>(calls_));
    } else {
      std::printf("%s allows every call of %s (%llu calls)\n", policy_path.c_str(), run.c_str(),
                  static_cast<unsigned long long>(calls_));
    }
    if (undecided_)
      std::printf("%llu call%s undecided: a path relative to a directory the run does not show "
                  "(an strace log needs --cwd; fds opened before the run are unknown), or a "
                  "tcp_ports rule, which needs the live socket\n",
                  static_cast<unsigned long long>(undecided_), undecided_ == 1 ? "" : "s");
    if (summary) {
      std::printf("%8s %8s  %s\n", "calls", "denied", "rule");
      for (const auto& [rule, r] : per_rule_) {
        std::string what;
        if (rule >= 0) {
          const config::Rule& pr = policy_.rules[static_cast<size_t>(rule)];
          what = "rule " + std::to_string(rule + 1) + " (" + pr.Location() + ") -> " +
                 pr.action.ToString();
        } else if (rule == -1) {
          what = "default -> " + policy_.default_action.ToString();
        } else if (rule == -2) {
          what = "an ABI the policy does not list -> kill";
        } else {
          what = "a pwnbox guard";
        }
        std::printf("%8llu %8llu  %s\n", static_cast<unsigned long long>(r.calls),
                    static_cast<unsigned long long>(r.denied), what.c_str());
      }
    }
    return first_ ? 1 : 0;
  }

 private:
  std::string Explain(const Verdict& v) const {
    if (v.foreign_abi) return "its ABI is not in the policy's options.abi (killed)";
    std::string action;
    switch (v.kind) {
      case Verdict::Kind::kFail:
        action = "errno " + std::string(core::ErrnoName(static_cast<int>(v.value)));
        break;
      case Verdict::Kind::kKillProcess: action = "kill"; break;
      case Verdict::Kind::kKillThread: action = "kill-thread"; break;
      case Verdict::Kind::kTrap: action = "trap (SIGSYS)"; break;
      default: action = "?"; break;
    }
    if (v.rule >= 0)
      return action + " by rule " + std::to_string(v.rule + 1) + " (" +
             policy_.rules[static_cast<size_t>(v.rule)].Location() + ")";
    if (v.rule == -1) return action + " by the default action";
    return action + " by a pwnbox guard";
  }

  struct PerRule {
    uint64_t calls = 0, denied = 0;
  };
  struct First {
    std::string where, line, why;
  };
  const config::Policy& policy_;
  supervisor::Decider decider_;
  RunState state_;
  std::map<int, PerRule> per_rule_;
  uint64_t calls_ = 0, denied_ = 0, undecided_ = 0;
  std::optional<First> first_;
};

std::string Decoded(const recorder::Event& entry, bool returned, int64_t ret, bool ret_unknown,
                    const recorder::Event* exit) {
  core::Decoder d{core::DecodeOptions{}};
  core::SyscallCall call;
  call.pid = entry.pid;
  call.abi = static_cast<core::Abi>(entry.abi);
  call.nr = entry.nr;
  std::memcpy(call.args, entry.args, sizeof call.args);
  core::DecodedCall out;
  recorder::RecordedMemory entry_mem(entry.entry_mem);
  d.Entry(call, entry_mem, &out);
  if (!returned || ret_unknown) return out.EntryText() + "...) = ?";
  call.ret = ret;
  static const std::vector<recorder::MemoryBlob> kNone;
  recorder::RecordedMemory exit_mem(exit ? exit->exit_mem : kNone);
  d.Exit(call, exit_mem, &out);
  return out.Line();
}

int AgainstRecording(Checker& checker, const std::string& policy_path, const AgainstOptions& o) {
  auto reader = recorder::Reader::Open(o.run);
  if (!reader.ok()) return Fail(reader.error());
  (void)policy_path;
  std::unordered_map<pid_t, recorder::Event> pending;  // entries whose exit is not read yet
  auto decide = [&](const recorder::Event& entry, const recorder::Event* exit) {
    core::SyscallCall call;
    call.pid = entry.pid;
    call.abi = static_cast<core::Abi>(entry.abi);
    call.nr = entry.nr;
    std::memcpy(call.args, entry.args, sizeof call.args);
    recorder::RecordedMemory mem(entry.entry_mem);
    const bool returned = exit != nullptr && !exit->ret_unknown;
    const int64_t ret = exit ? exit->ret : 0;
    checker.Decide(
        call, mem, returned, ret,
        [&] { return Decoded(entry, exit != nullptr, ret, exit && exit->ret_unknown, exit); },
        "event " + std::to_string(entry.seq) + " (pid " + std::to_string(entry.pid) + ")");
  };
  auto flush = [&](pid_t pid) {
    auto it = pending.find(pid);
    if (it == pending.end()) return;
    decide(it->second, nullptr);
    pending.erase(it);
  };
  recorder::Event e;
  while (true) {
    auto more = reader->Next(&e);
    if (!more.ok()) return Fail(more.error());
    if (!*more) break;
    using K = recorder::Event::Kind;
    if (e.kind == K::kNewTask) {
      checker.Created(static_cast<pid_t>(e.args[0]), e.pid);
    } else if (e.kind == K::kSyscall) {
      if (!e.returned) {
        flush(e.pid);
        pending[e.pid] = e;
      } else if (auto it = pending.find(e.pid); it != pending.end() && it->second.nr == e.nr) {
        decide(it->second, &e);
        pending.erase(it);
      } else {
        flush(e.pid);
        decide(e, &e);  // an exit whose entry is not in the file: its arguments are the call's
      }
    }
  }
  std::vector<pid_t> left;
  for (const auto& [pid, entry] : pending) left.push_back(pid);
  for (pid_t pid : left) flush(pid);
  return -1;
}

int AgainstStraceLog(Checker& checker, const AgainstOptions& o) {
  uint64_t n = 0;
  auto st = profile::ReadStraceLog(o.run, [&](const profile::Call& c) {
    ++n;
    if (c.nr < 0) return;
    core::SyscallCall call;
    call.pid = c.pid;
    call.abi = c.abi;
    call.nr = c.nr;
    std::memcpy(call.args, c.args, sizeof call.args);
    // The paths, at made-up addresses in their arguments.
    size_t k = 0;
    for (const auto& arg : supervisor::PathArgsOf(c.name, c.abi)) {
      if (!supervisor::IsPathInCall(arg, call.args)) continue;
      call.args[arg.path] = k < c.paths.size() ? StringsMemory::kBase + k * StringsMemory::kStride : 0;
      ++k;
    }
    StringsMemory mem(c.paths);
    checker.Decide(
        call, mem, c.returned, c.ret,
        [&] {
          std::string line = c.name + "(";
          for (size_t i = 0; i < c.paths.size(); ++i)
            line += (i ? ", " : "") + core::QuoteString(c.paths[i], 4096);
          line += c.paths.empty() ? ")" : ", ...)";
          if (c.returned) line += " = " + std::to_string(c.ret);
          return line;
        },
        "call " + std::to_string(n) + (c.pid ? " (pid " + std::to_string(c.pid) + ")" : ""));
  });
  if (!st.ok()) return Fail(st.error());
  return -1;
}

}  // namespace

int CheckAgainst(const config::Policy& policy, const std::string& policy_path,
                 const AgainstOptions& options) {
  // A recording names its starting directory; an strace log only through --cwd.
  std::string cwd = options.cwd;
  bool recording = false;
  if (FILE* f = std::fopen(options.run.c_str(), "rb")) {
    char magic[4] = {};
    recording = std::fread(magic, 1, 4, f) == 4 && std::memcmp(magic, "PWNR", 4) == 0;
    std::fclose(f);
  } else {
    return Fail("cannot open " + options.run + ": " + std::strerror(errno));
  }
  if (recording && cwd.empty()) {
    auto reader = recorder::Reader::Open(options.run);
    if (!reader.ok()) return Fail(reader.error());
    if (auto it = reader->header().metadata.find("cwd"); it != reader->header().metadata.end())
      cwd = it->second;
  }
  if (!cwd.empty() && cwd[0] != '/')
    return Fail("--cwd " + cwd + ": give the run's starting directory as an absolute path");
  Checker checker(policy, cwd);
  const int rc = recording ? AgainstRecording(checker, policy_path, options)
                           : AgainstStraceLog(checker, options);
  if (rc >= 0) return rc;
  return checker.Report(policy_path, options.run, options.summary);
}

}  // namespace pwnbox::cli
