#include "explore/explorer.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "core/decoder.h"
#include "core/fd.h"
#include "core/syscall_outcomes.h"
#include "core/syscalls.h"
#include "explore/prune.h"
#include "explore/tracee.h"
#include "filters/bpf.h"
#include "supervisor/decider.h"
#include "supervisor/enforcer.h"
#include "supervisor/glob.h"
#include "supervisor/launcher.h"
#include "supervisor/notify_monitor.h"
#include "supervisor/policy_tracer.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace pwnbox::explore {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A glob matching exactly `path` (supervisor/glob.h: metacharacters escaped).
std::string EscapeGlob(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The signal to pass on at a stop that is a signal-delivery-stop, else 0.
int DeliveredSignal(int status) {
  const int sig = WSTOPSIG(status);
  if ((status >> 16) != 0 || sig == (SIGTRAP | 0x80)) return 0;
  return sig;
}

bool ArgIsFd(std::string_view name, int arg) {
  const core::SyscallSig& sig = core::Signature(name);
  return arg < sig.nargs && sig.args[arg].kind == core::ArgKind::kFd;
}

std::string CallText(const EntryStop& stop) {
  core::Decoder dec({});
  core::SyscallCall call;
  call.pid = stop.tid;
  call.abi = stop.abi;
  call.nr = stop.nr;
  std::copy(std::begin(stop.args), std::end(stop.args), call.args);
  core::ProcessMemory mem(stop.tid);
  core::DecodedCall d;
  dec.Entry(call, mem, &d);
  std::string text = d.name + "(";
  for (size_t i = 0; i < d.entry_args && i < d.args.size(); ++i)
    text += (i ? ", " : "") + d.args[i];
  return text + ")";
}

// The USER_NOTIF listener task `pid` holds (its policy filter's, installed with
// SECCOMP_FILTER_FLAG_NEW_LISTENER), taken with pidfd_getfd. Preconditions: this thread
// traces `pid`, which is stopped.
core::Result<core::UniqueFd> TakeListener(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return core::ErrnoError(errno, "opendir " + dir);
  int found = -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[64];
    const ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n > 0 && std::string_view(target, static_cast<size_t>(n)) == "anon_inode:seccomp notify")
      found = atoi(e->d_name);
  }
  closedir(d);
  if (found < 0) return core::Error("the policy's listener is not in " + dir, ENOENT);
  core::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return core::ErrnoError(errno, "pidfd_open");
  core::UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), found, 0)));
  if (!fd) return core::ErrnoError(errno, "pidfd_getfd of the policy's listener");
  return fd;
}

// Forks and execs `argv` (a path) seized by this thread with TraceOptions(), its stdout and
// stderr on `out`/`err`, no core dumps, PDEATHSIG, under `filters` (in order). Returns its pid
// stopped at its exec. With `serve` (filters[0] is the policy's), the first filter is
// installed with SECCOMP_FILTER_FLAG_NEW_LISTENER and the listener is taken from the child at
// its execve's syscall-enter-stop and handed to `serve`, which must start serving it (the
// child stops itself before its filters; from there it is run with PTRACE_SYSCALL, whose enter
// stops come before seccomp: no call of the child needs an answer before, and its execve may
// be one that does). The listener is close-on-exec in the child.
core::Result<pid_t> Spawn(const std::vector<std::string>& argv, int out, int err,
                          const std::vector<std::vector<sock_filter>>& filters,
                          const std::function<core::Status(core::UniqueFd)>& serve = nullptr) {
  const bool want_listener = static_cast<bool>(serve);
  bool served = false;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<sock_fprog> fprogs;
  for (const auto& f : filters)
    if (!f.empty())
      fprogs.push_back({static_cast<unsigned short>(f.size()), const_cast<sock_filter*>(f.data())});
  int go[2], st[2];
  if (pipe2(go, O_CLOEXEC) != 0) return core::ErrnoError(errno, "pipe2");
  if (pipe2(st, O_CLOEXEC) != 0) {
    close(go[0]), close(go[1]);
    return core::ErrnoError(errno, "pipe2");
  }
  core::UniqueFd go_r(go[0]), go_w(go[1]), st_r(st[0]), st_w(st[1]);
  const pid_t parent = getpid();
  sigset_t empty;
  sigemptyset(&empty);
  const pid_t pid = fork();
  if (pid < 0) return core::ErrnoError(errno, "fork");
  if (pid == 0) {
    int e = 0;
    char c;
    sigprocmask(SIG_SETMASK, &empty, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (dup2(out, 1) < 0 || dup2(err, 2) < 0) e = errno;
    if (!e && read(go[0], &c, 1) != 1) e = EPIPE;
    if (!e && want_listener) kill(getpid(), SIGSTOP);  // the tracer steps from here
    if (!e && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) e = errno;
    for (size_t i = 0; !e && i < fprogs.size(); ++i) {
      const unsigned flags = i == 0 && want_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
      if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprogs[i]) < 0) e = errno;
    }
    if (!e) {
      execv(args[0], args.data());
      e = errno;
    }
    (void)!write(st[1], &e, sizeof e);
    _exit(127);
  }
  st_w.reset();
  if (ptrace(PTRACE_SEIZE, pid, 0, TraceOptions()) != 0) {
    const int e = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return core::ErrnoError(e, "ptrace(PTRACE_SEIZE)");
  }
  (void)!write(go_w.get(), "g", 1);
  bool stepping = false;
  auto fail = [&](core::Error error) -> core::Result<pid_t> {
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
    }
    return error;
  };
  for (;;) {
    int status;
    if (waitpid(pid, &status, __WALL) != pid) {
      if (errno == EINTR) continue;
      return core::ErrnoError(errno, "waitpid");
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      int e = 0;
      if (read(st_r.get(), &e, sizeof e) == sizeof e)
        return core::ErrnoError(e, "cannot execute " + argv[0]);
      return core::Error(argv[0] + " ended before its exec", ECHILD);
    }
    if ((status >> 16) == PTRACE_EVENT_EXEC) {
      if (want_listener && !served)
        return fail(core::Error("the policy's listener was not taken before the exec", EPROTO));
      return pid;
    }
    if (want_listener && !served) {
      if (!stepping && (status >> 16) == 0 && WSTOPSIG(status) == SIGSTOP) {
        stepping = true;  // its own SIGSTOP, suppressed
        ptrace(PTRACE_SYSCALL, pid, 0, 0);
        continue;
      }
      if (stepping && WSTOPSIG(status) == (SIGTRAP | 0x80)) {
        user_regs_struct regs;
        if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0)
          return fail(core::ErrnoError(errno, "ptrace(PTRACE_GETREGS)"));
        if (regs.orig_rax == SYS_execve && static_cast<int64_t>(regs.rax) == -ENOSYS) {
          auto fd = TakeListener(pid);
          if (!fd.ok()) return fail(fd.error());
          if (core::Status st = serve(std::move(*fd)); !st.ok()) return fail(st.error());
          served = true;
          stepping = false;
          ptrace(PTRACE_CONT, pid, 0, 0);
        } else {
          ptrace(PTRACE_SYSCALL, pid, 0, 0);
        }
        continue;
      }
    }
    ptrace(stepping ? PTRACE_SYSCALL : PTRACE_CONT, pid, 0, DeliveredSignal(status));
  }
}

// Whether task `tid` catches some signal it does not block (/proc/TID/status).
bool CatchesSignal(pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  uint64_t caught = 0, blocked = 0;
  while (std::getline(in, line)) {
    if (line.rfind("SigCgt:", 0) == 0) caught = std::stoull(line.substr(7), nullptr, 16);
    if (line.rfind("SigBlk:", 0) == 0) blocked = std::stoull(line.substr(7), nullptr, 16);
  }
  return (caught & ~blocked) != 0;
}

// A crash: a fatal signal of a bug, or a sanitizer report on stderr that the baseline's
// stderr (`base_err`) does not have.
bool Crashed(int status, const std::string& err, const std::string& base_err) {
  if (WIFSIGNALED(status)) {
    const int s = WTERMSIG(status);
    if (s == SIGSEGV || s == SIGABRT || s == SIGBUS || s == SIGFPE || s == SIGILL) return true;
  }
  for (const char* mark : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                           "ERROR: MemorySanitizer", "WARNING: ThreadSanitizer", "runtime error: "})
    if (err.find(mark) != std::string::npos && base_err.find(mark) == std::string::npos)
      return true;
  return false;
}

// A pruning window being recorded in a task (explore/prune.h): the parent's after point
// `point` (branch -1), or branch `branch`'s after its own point.
struct Watch {
  int point = 0;
  int branch = -1;
  bool skip_exit = true;  // the point's call itself is not in the window
  CallWindow calls;
};

// A filter returning SECCOMP_RET_TRACE for the x86-64 calls `x86_64` and the i386 calls
// `i386`, allowing every other call: the architecture is tested once, then the numbers (for
// every call of the target, cheaper than RuleFilter's test of both per rule).
std::vector<sock_filter> TraceFilter(const std::set<int>& x86_64, const std::set<int>& i386) {
  std::vector<sock_filter> prog;
  auto list = [&](const std::set<int>& nrs) {  // (nr loaded)
    if (nrs.size() > 250) {  // a jump offset is 8 bits: one RET per number
      for (int nr : nrs) {
        prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
        prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
      }
      prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
      return;
    }
    size_t left = nrs.size();  // each match jumps to the TRACE at the end of the list
    for (int nr : nrs) {
      --left;
      prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr),
                              static_cast<uint8_t>(left + 1), 0));
    }
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
  };
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 1));
  const size_t to_x86_64 = prog.size();
  prog.push_back(BPF_STMT(BPF_JMP | BPF_JA | BPF_K, 0));  // patched below
  prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0));
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  list(i386);
  prog[to_x86_64].k = static_cast<uint32_t>(prog.size() - to_x86_64 - 1);
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  list(x86_64);
  return prog;
}

// Stops `tid` (a traced task at a stop) from stopping at the trace filter's calls, when that
// filter is the only one it has (no policy, no filter of its own: /proc/PID/status
// Seccomp_filters 1) and pwnbox may (PTRACE_O_SUSPEND_SECCOMP needs CAP_SYS_ADMIN): its seccomp
// filtering is suspended, for it and the children it starts. A filter it installs later is
// suspended too. Returns whether it did.
bool SuspendTraceFilter(pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  int filters = -1;
  while (std::getline(in, line))
    if (line.rfind("Seccomp_filters:", 0) == 0) filters = std::atoi(line.c_str() + 16);
  if (filters != 1) return false;
  return ptrace(PTRACE_SETOPTIONS, tid, 0, TraceOptions() | PTRACE_O_SUSPEND_SECCOMP) == 0;
}

// One traced task.
struct Task {
  int branch = -1;  // -1: the baseline
  enum class State : uint8_t { kRunning, kParked, kAwaitExit } state = State::kRunning;
  EntryStop entry;         // kParked: its stop
  AppliedOutcome applied;  // kAwaitExit
  std::vector<Watch> watches;  // non-empty: resumed with PTRACE_SYSCALL (every call stops)
};

// The parent's window after a point, which its branches' windows are compared with.
struct PointWindow {
  bool done = false;      // recorded (at its end or at the task's end)
  bool provable = true;   // false: it forked or exec'ed, or its state could not be read
  bool ended = false;     // the task ended within the window (`status`)
  int status = 0;
  int calls = 0;
  uint64_t hash = 0;
  TaskDigest state;       // at the window's end (not ended)
};

// What selection and the reproducers' counts know of one run's history (the baseline's, or a
// branch's: its parent's up to the branch point, then its own).
struct RunState {
  std::vector<uint64_t> matched;           // per selector: matching calls seen (for #K)
  std::set<std::string> sites;             // default sites seen
  std::map<std::string, uint64_t> counts;  // reproducer-rule key -> calls seen
};

struct Branch {
  int depth = 1;
  RunState state;    // its run's history (depth < --depth: it branches too)
  int point = 0;     // index in report.points
  size_t index = 0;  // in that point's branches
  pid_t root = 0;
  CallOutcome outcome;
  std::set<pid_t> tids;
  Clock::time_point start, deadline;
  bool running = false, done = false, hung = false, pruned = false;
  bool policy_killed = false;  // the policy's supervisor part killed it (SIGKILL)
  // A re-run (the target could not be forked at the call): a fresh run of the command whose
  // `occurrence`-th call with reproducer key `key` gets the outcome.
  bool rerun = false, applied = false;
  std::string key;
  uint64_t occurrence = 0, seen = 0;
};

// The reproducer rule's key of a call: its syscall and its path, or its fd (arg0), or the
// syscall alone (its rule then matches, and its `when` counts, every call of the syscall).
std::string CallKey(const std::string& name, const std::string& path, const EntryStop& stop) {
  if (!path.empty()) return name + "\npath\n" + path;
  if (ArgIsFd(name, 0)) return name + "\nfd\n" + std::to_string(static_cast<int>(stop.args[0]));
  return name;
}

bool IsSystemRuntimeFile(const std::string& path) {
  static constexpr const char* kGlobs[] = {"/etc/ld.so.*",
                                           "/**/*.so",
                                           "/**/*.so.*",
                                           "/usr/lib/locale/**",
                                           "/usr/share/locale/**",
                                           "/usr/lib/x86_64-linux-gnu/gconv/**",
                                           "/usr/share/zoneinfo/**",
                                           "/etc/locale.alias"};
  for (const char* g : kGlobs)
    if (supervisor::GlobMatch(g, path)) return true;
  return false;
}

constexpr const char* kDecidedByPolicy =
    "the policy decides this call itself (its supervisor denies, answers or kills it): not a "
    "branch point";

// The policy's answer (SECCOMP_RET_* action) to the call of `stop`, as its filter gives it.
uint32_t PolicyAction(const std::vector<sock_filter>& bpf, const EntryStop& stop, int nr) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = stop.abi == core::Abi::kI386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
  d.instruction_pointer = stop.regs.rip;
  for (int i = 0; i < 6; ++i) d.args[i] = stop.args[i];
  return filters::RunBpf(bpf, d) & SECCOMP_RET_ACTION_FULL;
}

// ApplyAtEntry, also at a syscall-enter-stop of a task under seccomp (a call the policy serves
// through notify, stopped before the filters: docs/explore.md). There a skipped call cannot be
// -1 (the filters would judge syscall -1, and a policy may kill it): it becomes getpid, which
// the policy must allow and the explorer does not stop at, and its result is set at its exit
// as a skipped call's is.
core::Result<AppliedOutcome> ApplyOutcome(const EntryStop& stop, const CallOutcome& outcome,
                                          const std::vector<sock_filter>& policy_bpf,
                                          const std::set<int>& traced) {
  if (stop.kind != EntryKind::kSyscall || outcome.kind == CallOutcome::Kind::kOk ||
      outcome.kind == CallOutcome::Kind::kShort)
    return ApplyAtEntry(stop, outcome);
  const int substitute = stop.abi == core::Abi::kI386 ? 20 : SYS_getpid;
  const uint32_t action =
      policy_bpf.empty() ? SECCOMP_RET_ALLOW : PolicyAction(policy_bpf, stop, substitute);
  if ((action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG) ||
      (stop.abi == core::Abi::kX86_64 && traced.count(substitute) != 0))
    return core::Error("outcome " + outcome.ToString() +
                           " at a syscall-enter-stop needs getpid in its place, which the "
                           "policy does not allow",
                       ENOTSUP);
  EntryStop as_seccomp = stop;
  as_seccomp.kind = EntryKind::kSeccomp;  // (ApplyAtEntry then skips it with -1)
  PWNBOX_ASSIGN_OR_RETURN(AppliedOutcome a, ApplyAtEntry(as_seccomp, outcome));
  a.entry.kind = stop.kind;
  if (!a.skipped) return a;
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, stop.tid, 0, &regs) != 0)
    return core::ErrnoError(errno, "ptrace(PTRACE_GETREGS)");
  regs.orig_rax = static_cast<uint64_t>(substitute);
  if (ptrace(PTRACE_SETREGS, stop.tid, 0, &regs) != 0)
    return core::ErrnoError(errno, "ptrace(PTRACE_SETREGS)");
  return a;
}

// The part of the user's policy that runs in user space (docs/explore.md, "Policies served by
// the supervisor"), for the baseline and every branch: one Decider, a PolicyTracer for the calls the policy routes through ptrace (asked by the
// explorer's loop, on its thread), and one thread per spawned run serving the USER_NOTIF
// listener of its policy filter (NotifyMonitor::ServeOnly: it reaps nothing; forked branches
// share their run's listener). Reports (log rules) go to `report_fd`.
//
// Occurrence counts (`when` rules): one supervisor::OccurrenceCounts per run (the baseline, each
// branch, each re-run), the Decider told each task's (Decider::set_counts_of). A run's tasks
// are assigned to it as they appear (Assign: the root when spawned or forked, its children at
// their fork events, before they run); a branch's set is a copy of its parent's as it was just
// before the policy decided the branch point's call (Snapshot), since the reproducer's rule,
// which comes before the policy's, takes that call from the policy's `when` rules. The calls
// the explorer injects (the clone at the branch point, RedirectFd's and ReopenFd's) are made
// while their task is assigned to no run: they are counted nowhere and no `when` rule takes
// them (OccurrenceCounts::Uncounted), as they are no calls of the program.
class PolicyService {
 public:
  PolicyService(const config::Policy& policy, const std::vector<sock_filter>& bpf, int report_fd)
      : policy_(policy),
        bpf_(bpf),
        report_fd_(report_fd),
        decider_(policy, false),
        reporter_(report_fd, policy),
        tracer_(decider_, &reporter_, nullptr, &outcome_) {
    tracer_.set_on_kill([this](pid_t tid) { NoteKill(tid); });
    counting_ = std::any_of(policy.rules.begin(), policy.rules.end(),
                            [](const config::Rule& r) { return r.when.has_value(); });
    if (counting_)
      decider_.set_counts_of([this](pid_t tid) -> supervisor::OccurrenceCounts* {
        std::lock_guard<std::mutex> lock(counts_mu_);
        auto it = counts_of_.find(tid);
        return it == counts_of_.end() ? uncounted_.get() : it->second;
      });
  }

  // Occurrence counts (see above); all no-ops for a policy without `when`.
  // Run `run` (-1 the baseline, else a branch's id) starts: with zero counts (`from` null, a
  // spawned run) or a copy of `*from`. Its tasks are not assigned yet.
  void NewRun(int run, const supervisor::OccurrenceCounts* from) {
    if (!counting_) return;
    auto set = from != nullptr ? std::make_unique<supervisor::OccurrenceCounts>(*from)
                               : std::make_unique<supervisor::OccurrenceCounts>(
                                     policy_.rules.size());
    std::lock_guard<std::mutex> lock(counts_mu_);
    runs_[run] = std::move(set);
  }
  // Task `tid`'s calls count in run `run`'s set from now on (run < -1: in none).
  void Assign(pid_t tid, int run) {
    if (!counting_) return;
    std::lock_guard<std::mutex> lock(counts_mu_);
    auto it = runs_.find(run);
    if (it == runs_.end())
      counts_of_.erase(tid);
    else
      counts_of_[tid] = it->second.get();
  }
  // Task `child` counts where `parent` does (a fork or clone event, before the child runs).
  void Inherit(pid_t child, pid_t parent) {
    if (!counting_) return;
    std::lock_guard<std::mutex> lock(counts_mu_);
    auto it = counts_of_.find(parent);
    if (it != counts_of_.end()) counts_of_[child] = it->second;
  }
  // Remembers the counts of `tid`'s run as they are now: at an entry stop, before the policy
  // decides the call (AtEntry, WouldRun). Snapshotted() is what a branch forked there starts
  // with.
  void Snapshot(pid_t tid) {
    if (!counting_) return;
    std::lock_guard<std::mutex> lock(counts_mu_);
    auto it = counts_of_.find(tid);
    snapshot_.reset(it == counts_of_.end() ? nullptr
                                           : new supervisor::OccurrenceCounts(*it->second));
    snapshot_tid_ = tid;
  }
  const supervisor::OccurrenceCounts* Snapshotted(pid_t tid) const {
    return snapshot_tid_ == tid ? snapshot_.get() : nullptr;
  }
  // The counts of run `run` (null: none, or a policy without `when`).
  const supervisor::OccurrenceCounts* RunCounts(int run) {
    std::lock_guard<std::mutex> lock(counts_mu_);
    auto it = runs_.find(run);
    return it == runs_.end() ? nullptr : it->second.get();
  }
  ~PolicyService() { StopAll(); }

  // Serves `listener` on a thread of its own until StopAll().
  core::Status Serve(core::UniqueFd listener) {
    auto server = std::make_unique<Server>();
    server->stop.reset(eventfd(0, EFD_CLOEXEC));
    if (!server->stop) return core::ErrnoError(errno, "eventfd");
    server->reporter = std::make_unique<supervisor::Reporter>(report_fd_, policy_);
    server->monitor = std::make_unique<supervisor::NotifyMonitor>(decider_, *server->reporter,
                                                                  nullptr, &outcome_);
    server->monitor->set_on_kill([this](pid_t tid) { NoteKill(tid); });
    Server* raw = server.get();
    // The thread inherits this thread's signal mask: SIGCHLD stays blocked (the loop's).
    server->thread = std::thread([raw, fd = std::move(listener)]() mutable {
      raw->status = raw->monitor->ServeOnly(std::move(fd), raw->stop.get());
    });
    servers_.push_back(std::move(server));
    return core::Status::Ok();
  }

  // Stops and joins every server (the calls still in flight are cancelled).
  void StopAll() {
    for (auto& s : servers_) {
      const uint64_t one = 1;
      (void)!write(s->stop.get(), &one, sizeof one);
      if (s->thread.joinable()) s->thread.join();
    }
    servers_.clear();
  }

  // At a PTRACE_EVENT_SECCOMP stop: when the policy's filter answers the call with TRACE, the
  // policy decides it first (PolicyTracer, as `run` under the ptrace backend). Returns true
  // when the call goes on (its arguments possibly rewritten by a modify or redirect rule), false
  // when the policy answered it (skipped, its result set) or killed its process.
  bool AtEntry(const EntryStop& stop) {
    Snapshot(stop.tid);
    if (PolicyAction(bpf_, stop, stop.nr) != SECCOMP_RET_TRACE) return true;
    supervisor::Task& t = tasks_[stop.tid];
    t.tid = stop.tid;
    if (t.tgid == 0) t.tgid = Tgid(stop.tid);
    t.call = core::SyscallCall{};
    t.call.pid = stop.tid;
    t.call.abi = stop.abi;
    t.call.nr = stop.nr;
    std::copy(std::begin(stop.args), std::end(stop.args), t.call.args);
    t.call.sp = stop.regs.rsp;
    t.skip = false;
    t.skip_ret = 0;
    const uint64_t kills = kills_.load();
    tracer_.OnEntry(t);
    awaiting_exit_.insert(stop.tid);
    if (kills_.load() != kills) return false;  // killed (NoteKill)
    if (!t.skip) return true;
    user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, stop.tid, 0, &regs) == 0) {
      regs.orig_rax = static_cast<uint64_t>(-1);  // skipped: the call does not run
      regs.rax = static_cast<uint64_t>(t.skip_ret);
      if (ptrace(PTRACE_SETREGS, stop.tid, 0, &regs) == 0) return false;
    }
    // Fails closed: a call the policy answered must not run.
    if (errno != ESRCH) outcome_.KernelError("PTRACE_SETREGS (skipping a denied call)", errno);
    kill(stop.tid, SIGKILL);
    return false;
  }
  // At a syscall-enter-stop of a call the policy's filter sends to USER_NOTIF: whether the
  // policy will let it run (allow, on its path or redirected, or proxied), decided now as the
  // notify thread will decide it once the call reaches the filter; `when` rules count it in a
  // copy of the task's counts (the notify thread counts it when it decides it). Denied,
  // answered or killed calls are no branch points, as at a seccomp stop.
  bool WouldRun(const EntryStop& stop) {
    Snapshot(stop.tid);
    core::SyscallCall call;
    call.pid = stop.tid;
    call.abi = stop.abi;
    call.nr = stop.nr;
    std::copy(std::begin(stop.args), std::end(stop.args), call.args);
    call.sp = stop.regs.rsp;
    core::ProcessMemory mem(stop.tid);
    // (A task of no run has no snapshot: it counts nowhere.)
    std::unique_ptr<supervisor::OccurrenceCounts> scratch;
    if (const supervisor::OccurrenceCounts* now = Snapshotted(stop.tid))
      scratch = std::make_unique<supervisor::OccurrenceCounts>(*now);
    const supervisor::Verdict v =
        scratch ? decider_.Decide(call, mem, scratch.get()) : decider_.Decide(call, mem);
    using K = supervisor::Verdict::Kind;
    return v.kind == K::kContinue || v.kind == K::kRedirect || v.kind == K::kProxy ||
           v.kind == K::kModify;
  }
  bool AwaitsExit(pid_t tid) const { return awaiting_exit_.count(tid) != 0; }
  // At the syscall-exit-stop of a call AtEntry saw: its result, then the report.
  void AtExit(pid_t tid) {
    awaiting_exit_.erase(tid);
    auto it = tasks_.find(tid);
    if (it == tasks_.end()) return;
    supervisor::Task& t = it->second;
    user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0) return;
    if (t.skip && static_cast<int64_t>(regs.rax) != t.skip_ret) {
      regs.rax = static_cast<uint64_t>(t.skip_ret);
      ptrace(PTRACE_SETREGS, tid, 0, &regs);
    }
    t.call.ret = static_cast<int64_t>(regs.rax);
    tracer_.OnExit(t);
  }
  // At a signal-delivery-stop of SIGSYS: a trap verdict's signal gets the kernel's siginfo.
  void AtSignal(pid_t tid) {
    siginfo_t si{};
    if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0) {
      supervisor::Enforcer enforcer(&outcome_);
      enforcer.FixTrapSignal(tid, si);
    }
  }
  void Forget(pid_t tid, int status) {
    Assign(tid, -2);
    auto it = tasks_.find(tid);
    if (it != tasks_.end()) {
      tracer_.OnTaskExit(it->second, status);
      tasks_.erase(it);
    } else {
      supervisor::Enforcer::Forget(tid);
    }
    awaiting_exit_.erase(tid);
  }
  // Whether the policy (either backend) killed the process of `tid`.
  bool Killed(pid_t tid) {
    std::lock_guard<std::mutex> lock(mu_);
    return killed_.count(tid) != 0;
  }
  supervisor::Outcome& outcome() { return outcome_; }

 private:
  struct Server {
    core::UniqueFd stop;
    std::unique_ptr<supervisor::Reporter> reporter;
    std::unique_ptr<supervisor::NotifyMonitor> monitor;
    std::thread thread;
    core::Status status;
  };
  static pid_t Tgid(pid_t tid) {
    std::ifstream in("/proc/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Tgid:", 0) == 0) return static_cast<pid_t>(std::stol(line.substr(5)));
    return tid;
  }
  void NoteKill(pid_t tid) {
    const pid_t tgid = Tgid(tid);
    std::lock_guard<std::mutex> lock(mu_);
    killed_.insert(tid);
    killed_.insert(tgid);
    ++kills_;
  }

  const config::Policy& policy_;
  const std::vector<sock_filter>& bpf_;
  int report_fd_;
  supervisor::Outcome outcome_;
  supervisor::Decider decider_;
  supervisor::Reporter reporter_;
  supervisor::PolicyTracer tracer_;
  std::map<pid_t, supervisor::Task> tasks_;
  std::set<pid_t> awaiting_exit_;
  std::mutex mu_;
  std::set<pid_t> killed_;
  std::atomic<uint64_t> kills_{0};
  std::vector<std::unique_ptr<Server>> servers_;
  // Occurrence counts (when the policy has `when` rules): per run, each task's, guarded by
  // counts_mu_ (the serving threads ask). snapshot_: of snapshot_tid_'s run (explorer thread).
  bool counting_ = false;
  std::mutex counts_mu_;
  std::map<int, std::unique_ptr<supervisor::OccurrenceCounts>> runs_;
  std::unordered_map<pid_t, supervisor::OccurrenceCounts*> counts_of_;
  std::unique_ptr<supervisor::OccurrenceCounts> snapshot_;
  pid_t snapshot_tid_ = 0;
  // Where a task of no run counts: nowhere (its `when` rules pass every call on).
  std::unique_ptr<supervisor::OccurrenceCounts> uncounted_ =
      supervisor::OccurrenceCounts::Uncounted();
};

// The reproducer rule giving the call of `pt` the outcome `outcome` at its `n`-th occurrence;
// a comment line for outcomes the policy approximates goes to *comment.
std::string ReproRule(const PointReport& pt, const std::string& outcome, uint64_t n,
                      std::string* comment) {
  auto oc = ParseOutcome(outcome);
  std::string action;
  switch (oc.ok() ? oc->kind : CallOutcome::Kind::kOk) {
    case CallOutcome::Kind::kErrno:
      action = "action = \"errno:" + outcome + "\"\n";
      break;
    case CallOutcome::Kind::kEof:
      action = "action = \"return\"\nvalue = 0\n";
      break;
    case CallOutcome::Kind::kEintr:
      action = "action = \"errno:EINTR\"\n";
      *comment = "# eintr: the policy fails the call with EINTR; no signal handler runs first\n";
      break;
    case CallOutcome::Kind::kShort:
      action = "action = \"modify\"\nset = { arg2 = " +
               std::to_string(std::max<uint64_t>(1, pt.count / 2)) + " }\n";
      *comment = "# short: the count halved as explore did\n";
      break;
    case CallOutcome::Kind::kOk:
      action = "action = \"allow\"\n";
      break;
  }
  std::string rule = "[[rule]]\nsyscalls = [\"" + pt.syscall + "\"]\n";
  if (!pt.path.empty())
    rule += "paths = [" + config::TomlString(EscapeGlob(pt.path)) + "]\n";
  else if (pt.fd >= 0)
    rule += "args = [\"arg0 == " + std::to_string(pt.fd) + "\"]\n";
  return rule + "when = \"" + std::to_string(n) + "\"\n" + action;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kCrash:
      return "crash";
    case Verdict::kHang:
      return "hang";
    case Verdict::kKilledByPolicy:
      return "killed-by-policy";
    case Verdict::kDifferentExit:
      return "different-exit";
    case Verdict::kDifferentOutput:
      return "different-output";
    case Verdict::kSame:
      return "same";
    case Verdict::kPruned:
      return "pruned";
    case Verdict::kNotRun:
      return "not-run";
  }
  return "?";
}

bool ExploreReport::Findings() const {
  for (const PointReport& p : points)
    for (const BranchReport& b : p.branches)
      if (b.verdict == Verdict::kCrash || b.verdict == Verdict::kHang) return true;
  return false;
}

int ExploreReport::Pruned() const {
  int n = 0;
  for (const PointReport& p : points)
    for (const BranchReport& b : p.branches) n += !b.pruned.empty();
  return n;
}

core::Result<ExploreReport> Explorer::Run() {
  ExploreReport report;
  const ExploreOptions& o = options_;
  if (o.command.empty()) return core::Error("nothing to run", EINVAL);
  PWNBOX_ASSIGN_OR_RETURN(std::string exe, supervisor::ResolveCommand(o.command[0]));
  std::vector<std::string> argv = o.command;
  argv[0] = exe;
  report.out_dir = o.out_dir;
  for (const std::string& sub :
       {std::string(), std::string("/baseline"), std::string("/branches"), std::string("/repro")})
    if (mkdir((o.out_dir + sub).c_str(), 0755) != 0 && errno != EEXIST)
      return core::ErrnoError(errno, "mkdir " + o.out_dir + sub);

  // The calls to stop at: the selectors' syscalls, or every syscall with default outcomes.
  std::set<int> traced;
  if (!o.selectors.empty()) {
    for (const Selector& s : o.selectors)
      for (const std::string& n : s.names)
        if (auto nr = core::SyscallNumber(n)) traced.insert(*nr);
  } else {
    const core::SyscallGroup* memory = core::FindGroup("memory");
    for (const core::SyscallOutcomes& e : core::AllSyscallOutcomes()) {
      if (memory != nullptr && std::find(memory->members.begin(), memory->members.end(),
                                         std::string_view(e.syscall)) != memory->members.end())
        continue;  // not a default site (below): no stop
      if (auto nr = core::SyscallNumber(e.syscall)) traced.insert(*nr);
    }
  }
  // The same calls of the i386 ABI (`int 0x80`), by name: a policy listing abi i386 lets them
  // run, and they are branch points as x86-64 calls are (a policy that does not list i386
  // kills them first: seccomp takes the most restrictive answer).
  std::set<int> traced_i386;
  for (int nr : traced)
    if (auto n = core::SyscallNumber(core::SyscallName(nr), core::Abi::kI386))
      traced_i386.insert(*n);
  const std::vector<sock_filter> trace_filter = TraceFilter(traced, traced_i386);
  ForkOptions fopts;
  if (!o.policy_bpf.empty()) fopts.known_filters.push_back(o.policy_bpf);
  fopts.known_filters.push_back(trace_filter);
  fopts.notify_served = o.policy != nullptr && o.policy_notify;

  const std::string base_out = o.out_dir + "/baseline/stdout",
                    base_err = o.out_dir + "/baseline/stderr";
  core::UniqueFd out_fd(open(base_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  core::UniqueFd err_fd(open(base_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out_fd || !err_fd) return core::ErrnoError(errno, "open " + base_out);

  // SIGCHLD blocked: the loop waits for it with sigtimedwait (deadlines).
  sigset_t chld, old_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, &old_mask);
  struct MaskRestore {
    sigset_t m;
    ~MaskRestore() { pthread_sigmask(SIG_SETMASK, &m, nullptr); }
  } restore{old_mask};

  std::vector<std::vector<sock_filter>> filters;
  if (!o.policy_bpf.empty()) filters.push_back(o.policy_bpf);
  filters.push_back(trace_filter);
  // The policy's user-space part (PolicyService), when it has one. Created after SIGCHLD was
  // blocked: its threads inherit the mask.
  std::unique_ptr<PolicyService> policy;
  core::UniqueFd policy_log;
  const bool serve_notify = o.policy != nullptr && o.policy_notify && !o.policy_bpf.empty();
  if (o.policy != nullptr && (o.policy_notify || o.policy_trace) && !o.policy_bpf.empty()) {
    policy_log.reset(open((o.out_dir + "/policy.log").c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
    if (!policy_log) return core::ErrnoError(errno, "open " + o.out_dir + "/policy.log");
    policy = std::make_unique<PolicyService>(*o.policy, o.policy_bpf, policy_log.get());
  }
  // Syscall-enter-stops for every task (at_enter_stop below).
  const bool enter_stops = serve_notify;
  const auto kResume = enter_stops ? PTRACE_SYSCALL : PTRACE_CONT;
  std::function<core::Status(core::UniqueFd)> serve;
  if (serve_notify) serve = [&](core::UniqueFd fd) { return policy->Serve(std::move(fd)); };
  PWNBOX_ASSIGN_OR_RETURN(const pid_t root,
                          Spawn(argv, out_fd.get(), err_fd.get(), filters, serve));
  out_fd.reset();
  err_fd.reset();
  if (policy) {  // (before it runs: it is stopped at its execve)
    policy->NewRun(-1, nullptr);
    policy->Assign(root, -1);
  }

  std::map<pid_t, Task> tasks;
  tasks[root].branch = -1;
  ptrace(kResume, root, 0, 0);  // from its exec stop
  std::set<pid_t> orphans;      // stopped before the fork event that names them
  std::vector<Branch> branches;
  std::map<int, PointWindow> windows;  // per point (its index): the parent's pruning window
  std::deque<int> parked;
  int running = 0, total = 0;
  const Clock::time_point t0 = Clock::now();
  Clock::time_point base_deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(o.timeout_sec));
  bool base_done = false;
  std::set<pid_t> base_tids = {root};
  RunState base_state;
  base_state.matched.assign(o.selectors.size(), 0);
  std::vector<bool> ever_matched(o.selectors.size(), false);
  const core::SyscallGroup* const kMemoryGroup = core::FindGroup("memory");

  auto kill_all = [&](const std::set<pid_t>& tids) {
    for (pid_t t : tids) kill(t, SIGKILL);
  };
  auto resume = [&](pid_t tid, int sig) {
    auto it = tasks.find(tid);
    const auto req = enter_stops ||
                             (it != tasks.end() && (it->second.state == Task::State::kAwaitExit ||
                                                    !it->second.watches.empty())) ||
                             (policy && policy->AwaitsExit(tid))
                         ? PTRACE_SYSCALL
                         : PTRACE_CONT;
    ptrace(req, tid, 0, sig);
  };
  std::function<void(int)> start_branch = [&](int id) {
    Branch& b = branches[id];
    BranchReport& br = report.points[b.point].branches[b.index];
    if (b.rerun) {
      // A fresh run, to the call (see the SECCOMP stops in the loop).
      core::UniqueFd bo(
          open((br.dir + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      core::UniqueFd be(
          open((br.dir + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      // A fresh run: a filter, and a listener (served by a thread of its own), of its own.
      auto pid = bo && be ? Spawn(argv, bo.get(), be.get(), filters, serve)
                          : core::Result<pid_t>(core::ErrnoError(errno, "open " + br.dir));
      if (!pid.ok()) {
        br.verdict = Verdict::kNotRun;
        br.error = pid.error().message();
        b.done = true;
        return;
      }
      b.root = *pid;
      b.tids = {*pid};
      tasks[*pid].branch = id;
      if (policy) {  // a run of its own: its counts start at 0
        policy->NewRun(id, nullptr);
        policy->Assign(*pid, id);
      }
      b.running = true;
      ++running;
      b.start = Clock::now();
      b.deadline = b.start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(o.timeout_sec));
      ptrace(kResume, *pid, 0, 0);
      return;
    }
    Task& t = tasks[b.root];
    // Its own stdout and stderr, set up now rather than at the branch point, where the parent
    // waits for every copy (its regular files' offsets were taken there: ReopenFd).
    core::Status st =
        RedirectFd(t.entry, 1, br.dir + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644, fopts);
    if (st.ok())
      st = RedirectFd(t.entry, 2, br.dir + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0644, fopts);
    if (!st.ok()) {
      // The copy could not be given its own output (the policy denies an injected call): at
      // depth 1 the outcome is tried by a re-run instead, else it is not run.
      KillTracee(b.root);
      tasks.erase(b.root);
      b.root = 0;
      b.tids.clear();
      if (b.depth == 1) {
        br.rerun = true;
        br.note = "not forked: " + st.error().message();
        b.rerun = true;
        start_branch(id);
      } else {
        br.verdict = Verdict::kNotRun;
        br.error = st.error().message();
        b.done = true;
      }
      return;
    }
    auto applied = ApplyOutcome(t.entry, b.outcome, o.policy_bpf, traced);
    if (!applied.ok()) {
      br.verdict = Verdict::kNotRun;
      br.error = applied.error().message();
      b.done = true;
      KillTracee(b.root);
      tasks.erase(b.root);
      return;
    }
    t.applied = *applied;
    t.state = Task::State::kAwaitExit;
    // Its calls count in its own set from here on (RedirectFd's were the explorer's).
    if (policy) policy->Assign(b.root, id);
    if (windows.count(b.point)) t.watches.push_back({b.point, id});  // prune.h
    // A branch that makes no points of its own needs no more seccomp stops.
    if (b.depth >= o.depth && o.policy_bpf.empty()) SuspendTraceFilter(b.root);
    b.running = true;
    ++running;
    b.start = Clock::now();
    b.deadline = b.start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o.timeout_sec));
    ptrace(PTRACE_SYSCALL, b.root, 0, 0);
  };
  auto fill_slots = [&] {
    // Branches start once the baseline has ended: it runs undisturbed by what they do to the
    // file system (the baseline is what they are compared with), and with --depth 2 its branch
    // points take the budget first, the points inside branches what is left.
    if (!base_done) return;
    while (running < o.jobs && !parked.empty()) {
      const int id = parked.front();
      parked.pop_front();
      start_branch(id);
    }
  };

  // A task of run `parent` (-1: the baseline, else a branch of depth < --depth) at the entry
  // stop `stop`: branch there when it is selected.
  auto at_entry = [&](const EntryStop& stop, int parent) {
    const std::string name(core::SyscallName(stop.nr, stop.abi));
    if (stop.abi == core::Abi::kX32 || name.empty()) return;  // (ForkAtStop refuses x32)
    std::string raw;
    const std::string path = CallPath(stop, &raw);
    RunState& rs = parent < 0 ? base_state : branches[parent].state;
    const int depth = parent < 0 ? 1 : branches[parent].depth + 1;
    // The reproducer's rule and its count.
    const std::string key = CallKey(name, path, stop);
    ++rs.counts[name];  // every call of the syscall (the key of a rule without paths or args)
    const uint64_t occurrence = key == name ? rs.counts[name] : ++rs.counts[key];
    std::string why;
    for (size_t i = 0; i < o.selectors.size(); ++i) {
      const Selector& s = o.selectors[i];
      if (!s.Matches(name, stop.args, path)) continue;
      const uint64_t n = ++rs.matched[i];
      if (s.occurrence != 0 && n != s.occurrence) continue;
      ever_matched[i] = true;
      if (why.empty()) why = s.text;
    }
    if (o.selectors.empty()) {
      // Memory management (brk, mmap, mprotect, ...) is not a default site: failing it
      // mostly crashes the dynamic loader; `--at mmap` asks for it.
      if (kMemoryGroup != nullptr &&
          std::find(kMemoryGroup->members.begin(), kMemoryGroup->members.end(), name) !=
              kMemoryGroup->members.end())
        return;
      // Nor are the dynamic loader's and libc's own files (shared objects, ld.so.cache, locale
      // and gconv data): their failures are the loader's; `--at` reaches them.
      if (!path.empty() && IsSystemRuntimeFile(path)) return;
      if (path.empty() && raw.starts_with('/') && IsSystemRuntimeFile(raw)) return;
      if (path.empty() && ArgIsFd(name, 0)) {
        char target[4096];
        const std::string link = "/proc/" + std::to_string(stop.tid) + "/fd/" +
                                 std::to_string(static_cast<int>(stop.args[0]));
        const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
        if (n > 0 && IsSystemRuntimeFile(std::string(target, static_cast<size_t>(n)))) return;
      }
      // A path that does not resolve is a site by its spelling.
      std::string site = key;
      if (path.empty() && !raw.empty()) site = name + "\nraw\n" + raw;
      if (!rs.sites.insert(site).second) return;
      why = "site";
    }
    if (why.empty()) return;
    std::vector<CallOutcome> outs = o.outcomes;
    if (outs.empty()) {
      // The call's default outcomes; at a default site only its first error and the
      // non-errno outcomes (short, eof, eintr), so that a run's sites fit the budget.
      bool first_error = true;
      for (const std::string& w : core::DefaultOutcomes(name)) {
        auto c = ParseOutcome(w);
        if (!c.ok()) continue;
        if (o.selectors.empty() && c->kind == CallOutcome::Kind::kErrno) {
          if (!first_error) continue;
          first_error = false;
        }
        outs.push_back(*c);
      }
    }
    // `eintr` where no handler can run is not a branch unless asked for (ApplyAtEntry refuses
    // it: reported as not-run).
    const bool catches = o.outcomes.empty() && CatchesSignal(stop.tid);
    std::erase_if(outs, [&](const CallOutcome& c) {
      return c.kind == CallOutcome::Kind::kOk ||
             (o.outcomes.empty() && c.kind == CallOutcome::Kind::kEintr && !catches);
    });
    if (outs.empty()) return;
    if (total >= o.max_branches) {
      report.skipped_for_budget += static_cast<int>(outs.size());
      return;
    }
    PointReport pt;
    pt.selector = why;
    pt.call = CallText(stop);
    pt.syscall = name;
    pt.abi = std::string(core::AbiName(stop.abi));
    pt.path = path;
    pt.pid = stop.tid;
    pt.occurrence = occurrence;
    pt.parent = parent + 1;
    pt.depth = depth;
    if (path.empty() && ArgIsFd(name, 0)) pt.fd = static_cast<int>(stop.args[0]);
    pt.count = stop.args[2];
    const int point = static_cast<int>(report.points.size());
    report.points.push_back(pt);
    const RunState history = rs;  // (rs may live in `branches`, which grows below)
    bool forked_any = false;
    for (const CallOutcome& c : outs) {
      if (total >= o.max_branches) {
        ++report.skipped_for_budget;
        continue;
      }
      // The injected clone is no call of the program's: its task counts in no run meanwhile.
      if (policy) policy->Assign(stop.tid, -2);
      auto copy = ForkAtStop(stop, fopts);
      if (policy) policy->Assign(stop.tid, parent);
      if (!copy.ok()) {
        // Not forkable here (threads, children, a filter refusing the clone): each outcome
        // is tried by a fresh run instead, stopped at the same occurrence of the call.
        report.points[point].refused = copy.error().message();
        if (parent >= 0) break;  // (re-runs with two faults: not done)
        for (const CallOutcome& rc : outs) {
          if (total >= o.max_branches) {
            ++report.skipped_for_budget;
            continue;
          }
          const int rid = static_cast<int>(branches.size());
          ++total;
          BranchReport br;
          br.id = rid + 1;
          br.outcome = rc.ToString();
          br.rerun = true;
          br.dir = o.out_dir + "/branches/" + std::to_string(br.id);
          mkdir(br.dir.c_str(), 0755);
          Branch b;
          b.point = point;
          b.index = report.points[point].branches.size();
          b.outcome = rc;
          b.rerun = true;
          b.key = key;
          b.occurrence = occurrence;
          report.points[point].branches.push_back(br);
          branches.push_back(b);
          parked.push_back(rid);
        }
        break;
      }
      const int id = static_cast<int>(branches.size());
      ++total;
      BranchReport br;
      br.id = id + 1;
      br.outcome = c.ToString();
      br.dir = o.out_dir + "/branches/" + std::to_string(br.id);
      mkdir(br.dir.c_str(), 0755);
      Branch b;
      b.point = point;
      b.index = report.points[point].branches.size();
      b.root = *copy;
      b.outcome = c;
      b.tids = {*copy};
      b.depth = depth;
      b.state = history;
      b.key = key;  // (for a re-run, should its set-up fail when it starts)
      b.occurrence = occurrence;
      tasks[*copy].branch = id;
      tasks[*copy].state = Task::State::kParked;
      // Its counts: its parent's before the policy decided this call (PolicyService).
      if (policy) policy->NewRun(id, policy->Snapshotted(stop.tid));
      auto cstop = ReadEntry(*copy);
      core::Status st = cstop.ok() ? core::Status() : core::Status(cstop.error());
      if (st.ok()) {
        // Its own offsets in the regular files it has open (the original goes on reading),
        // stdin (`< FILE`) included; stdout and stderr get files of their own when it starts.
        const std::string fd_dir = "/proc/" + std::to_string(*copy) + "/fd";
        if (DIR* d = opendir(fd_dir.c_str())) {
          std::vector<int> fds;
          while (dirent* e = readdir(d))
            if (e->d_name[0] != '.') fds.push_back(atoi(e->d_name));
          closedir(d);
          for (int fd : fds) {
            struct stat sb;
            if (fd == 1 || fd == 2 ||
                stat((fd_dir + "/" + std::to_string(fd)).c_str(), &sb) != 0 || !S_ISREG(sb.st_mode))
              continue;
            (void)ReopenFd(*cstop, fd, fopts);
          }
        }
      }
      report.points[point].branches.push_back(br);
      branches.push_back(b);
      if (!st.ok()) {
        // The copy cannot be read (it is gone): at depth 1 the outcome is tried by a re-run
        // instead, else it is not run.
        KillTracee(*copy);
        tasks.erase(*copy);
        BranchReport& r = report.points[point].branches.back();
        Branch& nb = branches.back();
        if (parent < 0) {
          r.rerun = true;
          r.note = "not forked: " + st.error().message();
          nb.rerun = true;
          nb.root = 0;
          nb.tids.clear();
          nb.key = key;
          nb.occurrence = occurrence;
          parked.push_back(id);
        } else {
          r.verdict = Verdict::kNotRun;
          r.error = st.error().message();
          nb.done = true;
        }
        continue;
      }
      tasks[*copy].entry = *cstop;
      parked.push_back(id);
      forked_any = true;
    }
    // The parent's window after the point, which its branches are compared with (prune.h).
    if (forked_any && o.prune) {
      windows[point];
      tasks[stop.tid].watches.push_back({point, -1});
    }
  };

  // Pruning (explore/prune.h, docs/explore.md "Pruning").
  // Branch `id` is its parent from here on: with `stop`, it is killed (kPruned); either way
  // its own points are not explored (their branches not yet started are dropped).
  auto prune_branch = [&](int id, const std::string& why, bool stop) {
    Branch& b = branches[id];
    BranchReport& br = report.points[b.point].branches[b.index];
    br.pruned = why;
    if (stop) {
      b.pruned = true;
      br.verdict = Verdict::kPruned;
      kill_all(b.tids);
    }
    for (PointReport& pt : report.points) {
      if (pt.parent != id + 1) continue;
      for (BranchReport& sbr : pt.branches) {
        Branch& sb = branches[sbr.id - 1];
        if (sb.running || sb.done) continue;
        sb.done = true;
        sbr.verdict = Verdict::kPruned;
        sbr.pruned = "its parent branch #" + std::to_string(id + 1) + " was pruned";
        if (sb.root > 0) kill(sb.root, SIGKILL);  // reaped by the loop (on_exit)
        std::erase(parked, sbr.id - 1);
      }
    }
  };
  // The end of window `w` of task `tid`: at the entry of its (kPruneWindow + 1)-th call, or
  // at the task's end (`ended`, wait status `status`).
  auto end_watch = [&](pid_t tid, Watch& w, bool ended, int status) {
    if (ended) w.calls.End(status);
    auto pit = windows.find(w.point);
    if (pit == windows.end()) return;
    PointWindow& pw = pit->second;
    if (w.branch < 0) {
      pw.done = true;
      pw.calls = w.calls.calls();
      pw.hash = w.calls.hash();
      pw.ended = ended;
      pw.status = status;
      if (!ended && pw.provable) {
        auto d = DigestTask(tid, o.out_dir);
        if (d.ok())
          pw.state = std::move(*d);
        else
          pw.provable = false;
      }
      return;
    }
    Branch& b = branches[w.branch];
    if (!pw.done || !pw.provable || b.done || b.hung || pw.ended != ended ||
        pw.calls != w.calls.calls() || pw.hash != w.calls.hash())
      return;
    const std::string n = std::to_string(pw.calls);
    if (ended) {
      prune_branch(w.branch, "ended after its parent's " + n + " calls with its exit status",
                   false);
      return;
    }
    auto d = DigestTask(tid, o.out_dir);
    if (d.ok() && DigestDifference(pw.state, *d).empty())
      prune_branch(w.branch,
                   "its parent's " + n + " calls after the point, then its parent's state "
                   "(registers, memory, mappings, files, signals)",
                   true);
  };
  // A syscall stop of a task with windows.
  auto on_syscall_stop = [&](pid_t tid) {
    Task& t = tasks[tid];
    __ptrace_syscall_info info{};
    const bool got = ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) > 0;
    if (got && info.op == PTRACE_SYSCALL_INFO_ENTRY) {
      for (Watch& w : t.watches)
        if (w.calls.calls() >= kPruneWindow) end_watch(tid, w, false, 0);
      std::erase_if(t.watches, [](const Watch& w) { return w.calls.calls() >= kPruneWindow; });
      if (StartsOrReplacesProcess(info.arch, info.entry.nr)) {
        // The digest covers one task and one program: nothing to prove.
        for (Watch& w : t.watches)
          if (w.branch < 0) windows[w.point].done = true, windows[w.point].provable = false;
        t.watches.clear();
        return;
      }
      uint64_t args[6];
      std::copy(std::begin(info.entry.args), std::end(info.entry.args), args);
      for (Watch& w : t.watches) w.calls.Entry(info.arch, info.entry.nr, args);
    } else if (got && info.op == PTRACE_SYSCALL_INFO_EXIT) {
      for (Watch& w : t.watches) {
        if (w.skip_exit)
          w.skip_exit = false;
        else
          w.calls.Exit(tid, info.exit.rval);
      }
    } else if (!got) {
      for (Watch& w : t.watches)
        if (w.branch < 0) windows[w.point].done = true, windows[w.point].provable = false;
      t.watches.clear();
    }
  };

  auto on_exit = [&](pid_t tid, int status) {
    if (policy) policy->Forget(tid, status);
    auto it = tasks.find(tid);
    if (it == tasks.end()) return;
    for (Watch& w : it->second.watches) end_watch(tid, w, true, status);
    const int bid = it->second.branch;
    if (policy && bid >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
        policy->Killed(tid))
      branches[bid].policy_killed = true;
    tasks.erase(it);
    if (bid < 0) {
      base_tids.erase(tid);
      if (tid == root) {
        base_done = true;
        report.baseline_status = status;
        report.baseline_seconds = Seconds(t0, Clock::now());
        kill_all(base_tids);
        fill_slots();
      }
      return;
    }
    Branch& b = branches[bid];
    b.tids.erase(tid);
    if (tid != b.root || b.done) return;
    b.done = true;
    if (b.running) --running;
    BranchReport& br = report.points[b.point].branches[b.index];
    br.wait_status = status;
    br.seconds = Seconds(b.start, Clock::now());
    if (b.hung) br.verdict = Verdict::kHang;
    kill_all(b.tids);
    fill_slots();
  };

  // A task of re-run `bid` at the entry stop `stop`: its calls are counted as the baseline's
  // were, up to the branch's one.
  auto rerun_at_entry = [&](const EntryStop& stop, int bid) {
    Branch& b = branches[bid];
    const pid_t tid = stop.tid;
    if (stop.abi != core::Abi::kX32) {
      const std::string name(core::SyscallName(stop.nr, stop.abi));
      const bool counted = b.key == name || CallKey(name, CallPath(stop), stop) == b.key;
      if (counted && ++b.seen == b.occurrence) {
        b.applied = true;
        auto applied = ApplyOutcome(stop, b.outcome, o.policy_bpf, traced);
        if (applied.ok()) {
          tasks[tid].applied = *applied;
          tasks[tid].state = Task::State::kAwaitExit;
        } else {
          BranchReport& br = report.points[b.point].branches[b.index];
          br.error = applied.error().message();
          kill_all(b.tids);
        }
      }
    }
  };

  // A call the policy decided itself (denied, answered or killed: no branch point) made by a
  // task of run `bid`: when an --at selector matches it, it is reported as a point without
  // branches, once per run and call site (never silently skipped). Default sites are not.
  std::set<std::string> decided_seen;
  auto policy_decided = [&](const EntryStop& stop, int bid) {
    // Counted for the reproducers' rules all the same: they come before the policy's, so they
    // count the calls the policy decides too.
    if (stop.abi != core::Abi::kX32) {
      const std::string cname(core::SyscallName(stop.nr, stop.abi));
      if (!cname.empty()) {
        const std::string key = CallKey(cname, CallPath(stop), stop);
        if (bid >= 0 && branches[bid].rerun) {
          Branch& b = branches[bid];
          if (!b.applied && (b.key == cname || key == b.key)) ++b.seen;
        } else {
          RunState& rs = bid < 0 ? base_state : branches[bid].state;
          ++rs.counts[cname];
          if (key != cname) ++rs.counts[key];
        }
      }
    }
    if (o.selectors.empty() || stop.abi != core::Abi::kX86_64) return;
    if (bid >= 0 && (branches[bid].rerun || branches[bid].depth >= o.depth)) return;
    const std::string name(core::SyscallName(stop.nr, stop.abi));
    if (name.empty()) return;
    const std::string path = CallPath(stop);
    std::string why;
    for (size_t i = 0; i < o.selectors.size() && why.empty(); ++i)
      if (o.selectors[i].Matches(name, stop.args, path)) {
        ever_matched[i] = true;
        why = o.selectors[i].text;
      }
    if (why.empty()) return;
    if (!decided_seen.insert(std::to_string(bid) + "\n" + why + "\n" + CallKey(name, path, stop))
             .second)
      return;
    PointReport pt;
    pt.selector = why;
    pt.call = CallText(stop);
    pt.syscall = name;
    pt.path = path;
    pt.pid = stop.tid;
    pt.parent = bid + 1;
    pt.depth = bid < 0 ? 1 : branches[bid].depth + 1;
    pt.refused = kDecidedByPolicy;
    report.points.push_back(pt);
  };

  // With a policy that serves calls through notify, every task runs under PTRACE_SYSCALL: the
  // selected calls the policy sends to USER_NOTIF (which outranks the explorer's TRACE) are
  // taken at their syscall-enter-stop, before the filters (docs/explore.md).
  auto at_enter_stop = [&](const EntryStop& stop, int bid) {
    if (stop.abi != core::Abi::kX86_64 || traced.count(stop.nr) == 0) return;
    if (PolicyAction(o.policy_bpf, stop, stop.nr) != SECCOMP_RET_USER_NOTIF) return;
    if (!policy->WouldRun(stop)) {  // the policy first
      policy_decided(stop, bid);
      return;
    }
    if ((bid < 0 && !report.baseline_hung) ||
        (bid >= 0 && !branches[bid].rerun && !branches[bid].hung && !branches[bid].pruned &&
         branches[bid].depth < o.depth)) {
      at_entry(stop, bid);
      fill_slots();
    } else if (bid >= 0 && branches[bid].rerun && !branches[bid].applied) {
      rerun_at_entry(stop, bid);
    }
  };

  auto all_done = [&] {
    if (!base_done) return false;
    for (const Branch& b : branches)
      if (!b.done) return false;
    return true;
  };

  while (!all_done()) {
    int status;
    const pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);
    if (tid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing left to wait for
    }
    if (tid == 0) {
      // Deadlines.
      const Clock::time_point now = Clock::now();
      Clock::time_point next = now + std::chrono::milliseconds(200);
      if (!base_done) {
        if (now >= base_deadline && !report.baseline_hung) {
          report.baseline_hung = true;
          kill_all(base_tids);
        }
        next = std::min(next, base_deadline);
      }
      for (Branch& b : branches) {
        if (!b.running || b.done) continue;
        if (now >= b.deadline && !b.hung) {
          b.hung = true;
          kill_all(b.tids);
        }
        next = std::min(next, b.deadline);
      }
      auto wait = std::max<Clock::duration>(next - now, std::chrono::milliseconds(1));
      timespec ts{};
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
      ts.tv_sec = ns / 1000000000;
      ts.tv_nsec = ns % 1000000000;
      sigtimedwait(&chld, nullptr, &ts);
      continue;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      on_exit(tid, status);
      continue;
    }
    auto it = tasks.find(tid);
    if (it == tasks.end()) {
      orphans.insert(tid);  // resumed when its parent's fork event names it
      continue;
    }
    const int event = status >> 16;
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
      unsigned long child = 0;
      ptrace(PTRACE_GETEVENTMSG, tid, 0, &child);
      const pid_t c = static_cast<pid_t>(child);
      const int bid = it->second.branch;
      tasks[c].branch = bid;
      if (policy) policy->Inherit(c, tid);
      if (bid < 0)
        base_tids.insert(c);
      else
        branches[bid].tids.insert(c);
      if (orphans.erase(c)) ptrace(kResume, c, 0, 0);
      resume(tid, 0);
      continue;
    }
    if (event == PTRACE_EVENT_SECCOMP && policy) {
      // The policy first (docs/explore.md): a call it answers or kills is no branch point.
      auto pstop = ReadEntry(tid);
      if (pstop.ok() && !policy->AtEntry(*pstop)) {
        policy_decided(*pstop, it->second.branch);
        resume(tid, 0);
        continue;
      }
    }
    if (event == PTRACE_EVENT_SECCOMP) {
      const int bid = it->second.branch;
      if ((bid < 0 && !report.baseline_hung) ||
          (bid >= 0 && !branches[bid].rerun && !branches[bid].hung && !branches[bid].pruned &&
           branches[bid].depth < o.depth)) {
        auto stop = ReadEntry(tid);
        if (stop.ok()) at_entry(*stop, bid);
        fill_slots();
      } else if (bid >= 0 && branches[bid].rerun && !branches[bid].applied) {
        auto stop = ReadEntry(tid);
        if (stop.ok()) rerun_at_entry(*stop, bid);
      }
      resume(tid, 0);
      continue;
    }
    if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
      Task& t = it->second;
      if (enter_stops && t.state != Task::State::kAwaitExit && !policy->AwaitsExit(tid)) {
        auto stop = ReadEntry(tid);  // fails at a syscall-exit-stop
        if (stop.ok() && stop->kind == EntryKind::kSyscall) {
          // The call is in the windows already open (a point made here opens its own after).
          if (!t.watches.empty()) on_syscall_stop(tid);
          at_enter_stop(*stop, t.branch);
          resume(tid, 0);
          continue;
        }
      }
      if (t.state == Task::State::kAwaitExit) {
        (void)FinishAtExit(t.applied);
        t.state = Task::State::kRunning;
      }
      if (policy && policy->AwaitsExit(tid)) policy->AtExit(tid);
      if (!t.watches.empty()) on_syscall_stop(tid);
      resume(tid, 0);
      continue;
    }
    if (policy && DeliveredSignal(status) == SIGSYS) policy->AtSignal(tid);
    resume(tid, DeliveredSignal(status));
  }

  // Nothing survives: whatever is left (parked branches, leftovers) is killed and waited for.
  for (auto& [tid, t] : tasks) kill(tid, SIGKILL);
  for (pid_t tid : orphans) kill(tid, SIGKILL);
  while (!tasks.empty()) {
    int status;
    const pid_t tid = waitpid(-1, &status, __WALL);
    if (tid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) tasks.erase(tid);
  }
  while (waitpid(-1, nullptr, __WALL | WNOHANG) > 0) {
  }
  if (policy) {
    policy->StopAll();  // every notification is gone with its task: the servers end
    if (policy->outcome().kernel_errors() > 0)
      report.policy_errors = std::to_string(policy->outcome().kernel_errors()) +
                             " unexpected kernel error(s) serving the policy, the first: " +
                             policy->outcome().first_error();
  }

  for (size_t i = 0; i < o.selectors.size(); ++i)
    if (!ever_matched[i]) report.unmatched.push_back(o.selectors[i].text);

  // Classify against the baseline; write the reproducers.
  const std::string bout = ReadAll(base_out), berr = ReadAll(base_err);
  for (PointReport& pt : report.points) {
    for (BranchReport& br : pt.branches) {
      if (br.verdict == Verdict::kNotRun || br.verdict == Verdict::kPruned) continue;
      if (br.rerun && (!branches[br.id - 1].applied || !br.error.empty())) {
        br.verdict = Verdict::kNotRun;
        if (br.error.empty()) br.error = "the re-run ended before that call";
        continue;
      }
      const std::string out = ReadAll(br.dir + "/stdout"), err = ReadAll(br.dir + "/stderr");
      br.stdout_differs = out != bout;
      br.stderr_differs = err != berr;
      if (br.verdict != Verdict::kHang) {
        const int s = br.wait_status;
        if (Crashed(s, err, berr))
          br.verdict = Verdict::kCrash;
        else if (WIFSIGNALED(s) && (WTERMSIG(s) == SIGSYS ||
                                    (WTERMSIG(s) == SIGKILL && branches[br.id - 1].policy_killed)))
          br.verdict = Verdict::kKilledByPolicy;
        else if (s != report.baseline_status)
          br.verdict = Verdict::kDifferentExit;
        else if (br.stdout_differs || br.stderr_differs)
          br.verdict = Verdict::kDifferentOutput;
        else
          br.verdict = Verdict::kSame;
      }
      if (br.verdict == Verdict::kSame) continue;
      // The reproducer: the rules of the decisions on the way (the ancestors' first), then
      // the user's policy.
      std::vector<std::pair<const PointReport*, const BranchReport*>> path = {{&pt, &br}};
      for (int up = pt.parent; up > 0;) {
        const Branch& ab = branches[up - 1];
        const PointReport& ap = report.points[ab.point];
        path.insert(path.begin(), {&ap, &ap.branches[ab.index]});
        up = ap.parent;
      }
      std::string rules, comments, calls;
      for (size_t k = 0; k < path.size(); ++k) {
        const PointReport& rp = *path[k].first;
        uint64_t n = rp.occurrence;
        // A call an earlier rule decides does not reach this one: not counted by its `when`.
        for (size_t e = 0; e < k; ++e)
          if (path[e].first->syscall == rp.syscall && path[e].first->path == rp.path &&
              path[e].first->fd == rp.fd)
            --n;
        std::string comment;
        rules += "\n" + ReproRule(rp, path[k].second->outcome, n, &comment);
        comments += comment;
        calls += (k ? ", then " : "") + rp.call + " -> " + path[k].second->outcome;
      }
      br.repro = o.out_dir + "/repro/" + std::to_string(br.id) + ".toml";
      std::string policy = "# pwnbox explore reproducer: branch " + std::to_string(br.id) + ", " +
                           calls + " (" + std::string(VerdictName(br.verdict)) + ")\n" + comments;
      if (o.policy_path.empty()) {
        policy += "default = \"allow\"\n";
        // A call made through `int 0x80`: the rules apply to i386 by name once it is listed.
        if (std::any_of(path.begin(), path.end(),
                        [](const auto& p) { return p.first->abi == "i386"; }))
          policy += "\n[options]\nabi = [\"x86_64\", \"i386\"]\n";
      } else
        policy += "include = [" + config::TomlString(o.policy_path) + "]\n";
      policy += rules;
      std::ofstream(br.repro) << policy;
    }
  }
  return report;
}

}  // namespace pwnbox::explore
