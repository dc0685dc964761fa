// bench_mechanisms: per-call cost of getppid(2) under each syscall interception mechanism (and
// of kill(self, 0) where named: the cost of Landlock's signal scoping).
//
// Every measurement runs in a fresh forked child (a seccomp filter cannot be removed once
// installed), so this is a plain driver rather than a Google Benchmark binary. Mechanisms are
// interleaved: one warm-up/calibration round, then --reps rounds of every mechanism in turn
// (A B C A B C ...), so that drift in the machine's speed hits them all alike. Prints a Markdown
// table: mechanism, median ns/call, min, max, ratio against native.

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace pwnbox::bench {
namespace {

constexpr long kStopMagic = 0x5057'4e42'4f58;  // getppid(kStopMagic) ends a notify loop.
constexpr long kFillerArgBase = 0x7fff'0000;   // filler rules match arg0 values nobody passes.
constexpr int kTargetCpu = 0;
constexpr int kHelperCpu = 1;
constexpr int kChildTimeoutSeconds = 120;

enum class Kind { kNative, kFilter, kNotify, kPtraceSyscall, kSeccompTrace, kCommand, kLandlock };
// The call the loop makes: getppid, or kill(getpid(), 0) (a call Landlock's signal scoping
// hooks: the domain is looked up on every one).
enum class Call { kGetppid, kKillSelf };
enum class Placement { kFree, kCross, kSame };

struct Mechanism {
  std::string name;
  Kind kind = Kind::kNative;
  int rules = 0;               // kFilter: number of rules in the filter.
  bool tree = false;           // kFilter: SCMP_FLTATR_CTL_OPTIMIZE = 2 (binary tree).
  bool conditional = false;    // kFilter: getppid has an argument check (defeats the cache).
  bool sync_wake_up = false;   // kNotify: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP.
  Placement placement = Placement::kFree;
  std::vector<std::string> argv;  // kCommand: runs this program's --loop mode under it.
  Call call = Call::kGetppid;
};

struct Sample {
  bool ok = false;
  double ns_per_call = 0;
  std::string error;
  std::string note;
};

struct Options {
  int reps = 7;
  double min_time_ms = 200;
  std::vector<std::string> only;
  std::string pwnbox;
  std::vector<std::string> policies;
  bool strace = true;
  bool list = false;
};

double NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no syscall, so no stop under ptrace.
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// getppid with arg0 = `arg`, issued directly (no libc wrapper, no errno handling).
inline long RawGetppid(long arg = 0) {
  long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(static_cast<long>(SYS_getppid)), "D"(arg)
               : "rcx", "r11", "memory");
  return ret;
}

inline long RawKill(long pid, long sig) {
  long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(static_cast<long>(SYS_kill)), "D"(pid), "S"(sig)
               : "rcx", "r11", "memory");
  return ret;
}

// kLandlock: enters a Landlock domain as pwnbox's launcher does (no fs/net access handled,
// signals scoped: ABI 6+). Returns an error message, or empty.
std::string EnterLandlockDomain() {
  struct {
    uint64_t handled_access_fs, handled_access_net, scoped;
  } attr{0, 0, 1ULL << 1 /* LANDLOCK_SCOPE_SIGNAL */};
  long fd = syscall(444 /* landlock_create_ruleset */, &attr, sizeof attr, 0);
  if (fd < 0) return std::string("landlock_create_ruleset: ") + strerror(errno);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (syscall(446 /* landlock_restrict_self */, fd, 0) != 0)
    return std::string("landlock_restrict_self: ") + strerror(errno);
  close(static_cast<int>(fd));
  return "";
}

bool PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

bool PinAll() {
  cpu_set_t set;
  CPU_ZERO(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  for (long i = 0; i < n && i < CPU_SETSIZE; ++i) CPU_SET(i, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

void PlaceTarget(Placement p) {
  if (p == Placement::kFree) PinAll(); else PinTo(kTargetCpu);
}

void PlaceHelper(Placement p) {
  if (p == Placement::kFree) PinAll();
  else PinTo(p == Placement::kCross ? kHelperCpu : kTargetCpu);
}

const char* PlacementName(Placement p) {
  switch (p) {
    case Placement::kFree: return "unpinned";
    case Placement::kCross: return "other CPU";
    case Placement::kSame: return "same CPU";
  }
  return "?";
}

bool WriteAll(int fd, const void* buf, size_t len) {
  const char* p = static_cast<const char*>(buf);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// Reads until EOF or until `timeout_ms` passes; false on timeout or error.
bool ReadAll(int fd, std::string* out, int timeout_ms) {
  double deadline = NowNs() + timeout_ms * 1e6;
  char buf[4096];
  for (;;) {
    int left = static_cast<int>((deadline - NowNs()) / 1e6);
    if (left <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    int r = poll(&pfd, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out->append(buf, static_cast<size_t>(n));
  }
}

// The measured loop, run in the target. `expected` < 0: any constant positive value is right.
// Writes "ok <ns_per_call> <bad>" or "calib <ns_per_call> <bad>" as one line to `out_fd`.
void RunLoop(int out_fd, long iters, long expected, Call call = Call::kGetppid) {
  long bad = 0;
  const long self = getpid();
  auto once = [&] { return call == Call::kKillSelf ? RawKill(self, 0) : RawGetppid(); };
  if (call == Call::kKillSelf) {
    expected = 0;
  } else {
    if (expected < 0) expected = RawGetppid();
    if (expected <= 0) ++bad;
  }
  long warm = std::max(1L, iters / 50);
  for (long i = 0; i < warm; ++i) bad += once() != expected;
  double t0 = NowNs();
  for (long i = 0; i < iters; ++i) bad += once() != expected;
  double t1 = NowNs();
  char line[128];
  int len = snprintf(line, sizeof(line), "ok %.3f %ld\n", (t1 - t0) / iters, bad);
  WriteAll(out_fd, line, static_cast<size_t>(len));
}

Sample ParseLoopOutput(const std::string& text) {
  Sample s;
  size_t at = text.rfind("ok ");
  double ns = 0;
  long bad = 0;
  if (at == std::string::npos || sscanf(text.c_str() + at, "ok %lf %ld", &ns, &bad) != 2) {
    s.error = "no result from the target";
    return s;
  }
  if (bad != 0) {
    s.error = std::to_string(bad) + " calls returned a wrong value";
    return s;
  }
  s.ok = true;
  s.ns_per_call = ns;
  return s;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::vector<int> FillerSyscalls() {
  std::vector<int> out;
  int getppid_nr = seccomp_syscall_resolve_name("getppid");
  for (int nr = 0; nr < 1024; ++nr) {
    if (nr == getppid_nr) continue;
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (name == nullptr) continue;
    free(name);
    out.push_back(nr);
  }
  return out;
}

// Builds the filter a mechanism needs. Default action allow; `rules` rules in all.
// Returns nullptr and sets `error` on failure.
scmp_filter_ctx BuildFilter(const Mechanism& m, std::string* error) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) {
    *error = "seccomp_init failed";
    return nullptr;
  }
  auto fail = [&](const char* what, int rc) -> scmp_filter_ctx {
    *error = std::string(what) + ": " + strerror(-rc);
    seccomp_release(ctx);
    return nullptr;
  };
  int nr = seccomp_syscall_resolve_name("getppid");
  int rc = 0;
  int added = 0;
  if (m.kind == Kind::kNotify) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
    ++added;
  } else if (m.kind == Kind::kSeccompTrace) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_TRACE(0), nr, 0);
    ++added;
  } else if (m.conditional) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
                          SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(kFillerArgBase - 1)));
    ++added;
  }
  if (rc < 0) return fail("seccomp_rule_add(getppid)", rc);
  static const std::vector<int> filler = FillerSyscalls();
  for (int i = 0; added < m.rules; ++i, ++added) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), filler[i % filler.size()], 1,
                          SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(kFillerArgBase + i)));
    if (rc < 0) return fail("seccomp_rule_add(filler)", rc);
  }
  if (m.tree) {
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc < 0) return fail("SCMP_FLTATR_CTL_OPTIMIZE", rc);
  }
  return ctx;
}

bool SendFd(int sock, int fd) {
  char byte = 'f';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &msg, 0) == 1;
}

int RecvFd(int sock) {
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (recvmsg(sock, &msg, 0) != 1) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

// Child side of every forked mechanism: set up, then run the loop and report on `out_fd`.
[[noreturn]] void ChildMain(const Mechanism& m, int out_fd, int sock, long iters, long ppid) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  alarm(kChildTimeoutSeconds);
  PlaceTarget(m.placement);
  if (m.kind == Kind::kPtraceSyscall || m.kind == Kind::kSeccompTrace) {
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(90);
    raise(SIGSTOP);
  }
  if (m.kind == Kind::kFilter || m.kind == Kind::kNotify || m.kind == Kind::kSeccompTrace) {
    std::string error;
    scmp_filter_ctx ctx = BuildFilter(m, &error);
    if (ctx == nullptr) {
      dprintf(out_fd, "error %s\n", error.c_str());
      _exit(91);
    }
    int rc = seccomp_load(ctx);
    if (rc < 0) {
      dprintf(out_fd, "error seccomp_load: %s\n", strerror(-rc));
      _exit(92);
    }
    if (m.kind == Kind::kNotify) {
      int fd = seccomp_notify_fd(ctx);
      if (fd < 0 || !SendFd(sock, fd)) _exit(93);
      close(fd);
      char go;
      if (read(sock, &go, 1) != 1) _exit(94);
    }
    seccomp_release(ctx);
  }
  if (m.kind == Kind::kLandlock) {
    std::string error = EnterLandlockDomain();
    if (!error.empty()) {
      dprintf(out_fd, "error %s\n", error.c_str());
      _exit(95);
    }
  }
  RunLoop(out_fd, iters, ppid, m.call);
  if (m.kind == Kind::kNotify) RawGetppid(kStopMagic);
  _exit(0);
}

void NoopHandler(int) {}

// Supervisor thread: answers every getppid notification with `ppid` until the stop call.
void NotifyLoop(int fd, Placement placement, long ppid, std::atomic<bool>* stop,
                std::string* error) {
  PlaceHelper(placement);
  seccomp_notif req;
  seccomp_notif_resp resp;
  while (!stop->load(std::memory_order_relaxed)) {
    memset(&req, 0, sizeof(req));
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR) continue;
      if (errno == ENOENT) continue;  // The target went away mid-call.
      *error = std::string("SECCOMP_IOCTL_NOTIF_RECV: ") + strerror(errno);
      return;
    }
    memset(&resp, 0, sizeof(resp));
    resp.id = req.id;
    resp.val = ppid;
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno != ENOENT) {
      *error = std::string("SECCOMP_IOCTL_NOTIF_SEND: ") + strerror(errno);
      return;
    }
    if (static_cast<long>(req.data.args[0]) == kStopMagic) return;
  }
}

// Tracer loop for the two ptrace mechanisms. Returns the target's final wait status.
int TraceLoop(pid_t pid, bool syscall_stops, std::string* error) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
    *error = "target did not stop for the tracer: " + DescribeStatus(status);
    return status;
  }
  long opts = PTRACE_O_EXITKILL | (syscall_stops ? PTRACE_O_TRACESYSGOOD : PTRACE_O_TRACESECCOMP);
  if (ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(opts)) != 0) {
    *error = std::string("PTRACE_SETOPTIONS: ") + strerror(errno);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
  }
  const auto resume = syscall_stops ? PTRACE_SYSCALL : PTRACE_CONT;
  long sig = 0;
  for (;;) {
    if (ptrace(resume, pid, nullptr, reinterpret_cast<void*>(sig)) != 0 && errno != ESRCH) {
      *error = std::string("ptrace resume: ") + strerror(errno);
      kill(pid, SIGKILL);
    }
    if (waitpid(pid, &status, __WALL) != pid) {
      if (errno == EINTR) continue;
      *error = std::string("waitpid: ") + strerror(errno);
      return status;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) return status;
    int stopsig = WSTOPSIG(status);
    sig = (stopsig == SIGTRAP || stopsig == (SIGTRAP | 0x80) || stopsig == SIGSTOP) ? 0 : stopsig;
  }
}

// Runs the forked mechanisms. `iters` calls are timed once.
Sample RunForked(const Mechanism& m, long iters) {
  Sample s;
  int out[2];
  int sv[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) return {false, 0, "pipe2 failed", ""};
  if (m.kind == Kind::kNotify && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    close(out[0]);
    close(out[1]);
    return {false, 0, "socketpair failed", ""};
  }
  cpu_set_t saved;
  sched_getaffinity(0, sizeof(saved), &saved);
  bool is_trace = m.kind == Kind::kPtraceSyscall || m.kind == Kind::kSeccompTrace;
  if (is_trace) PlaceHelper(m.placement);  // The tracer is this thread.
  long ppid = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    s.error = std::string("fork: ") + strerror(errno);
    sched_setaffinity(0, sizeof(saved), &saved);
    for (int fd : {out[0], out[1], sv[0], sv[1]}) {
      if (fd >= 0) close(fd);
    }
    return s;
  }
  if (pid == 0) {
    close(out[0]);
    if (sv[0] >= 0) close(sv[0]);
    ChildMain(m, out[1], sv[1], iters, ppid);
  }
  close(out[1]);
  if (sv[1] >= 0) close(sv[1]);

  std::string error;
  int status = 0;
  std::string text;
  if (is_trace) {
    status = TraceLoop(pid, m.kind == Kind::kPtraceSyscall, &error);
    sched_setaffinity(0, sizeof(saved), &saved);
    if (!ReadAll(out[0], &text, 1000)) error = error.empty() ? "no output from target" : error;
  } else if (m.kind == Kind::kNotify) {
    int fd = RecvFd(sv[0]);
    std::atomic<bool> stop{false};
    std::atomic<bool> done{false};
    std::thread supervisor;
    if (fd < 0) {
      error = "listener fd not received";
    } else {
      if (m.sync_wake_up &&
          ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) != 0) {
        s.note = std::string("SYNC_WAKE_UP refused (") + strerror(errno) + "), measured without";
      }
      supervisor = std::thread([&, fd] {
        NotifyLoop(fd, m.placement, ppid, &stop, &error);
        done = true;
      });
      char go = 'g';
      WriteAll(sv[0], &go, 1);
    }
    if (!ReadAll(out[0], &text, kChildTimeoutSeconds * 1000 + 5000)) kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    if (supervisor.joinable()) {
      stop = true;
      // The thread is still blocked in NOTIF_RECV if the stop call never came: interrupt it.
      while (!done.load()) {
        pthread_kill(supervisor.native_handle(), SIGUSR1);
        usleep(1000);
      }
      supervisor.join();
    }
    if (fd >= 0) close(fd);
    close(sv[0]);
  } else {
    if (!ReadAll(out[0], &text, kChildTimeoutSeconds * 1000 + 5000)) kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  close(out[0]);
  if (text.rfind("error ", 0) == 0) {
    s.error = text.substr(6);
    while (!s.error.empty() && s.error.back() == '\n') s.error.pop_back();
    return s;
  }
  if (!error.empty()) {
    s.error = error;
    return s;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    s.error = "target " + DescribeStatus(status);
    return s;
  }
  Sample parsed = ParseLoopOutput(text);
  parsed.note = s.note;
  return parsed;
}

// Runs `m.argv` + this program's --loop mode, reading the result from its stdout.
Sample RunCommand(const Mechanism& m, long iters) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return {false, 0, "pipe2 failed", ""};
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return {false, 0, "readlink(/proc/self/exe) failed", ""};
  self[n] = '\0';
  std::vector<std::string> args = m.argv;
  args.push_back(self);
  args.push_back("--loop");
  args.push_back(std::to_string(iters));
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    PinAll();
    dup2(out[1], STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDERR_FILENO);
    std::vector<char*> cargv;
    for (auto& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execvp(cargv[0], cargv.data());
    _exit(127);
  }
  close(out[1]);
  std::string text;
  bool finished = ReadAll(out[0], &text, kChildTimeoutSeconds * 1000 + 5000);
  if (!finished) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out[0]);
  if (!finished) return {false, 0, "timed out", ""};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return {false, 0, m.argv[0] + " " + DescribeStatus(status), ""};
  }
  return ParseLoopOutput(text);
}

Sample RunOnce(const Mechanism& m, long iters) {
  return m.kind == Kind::kCommand ? RunCommand(m, iters) : RunForked(m, iters);
}

std::vector<Mechanism> AllMechanisms(const Options& opt) {
  std::vector<Mechanism> out;
  out.push_back({"native", Kind::kNative});
  // pwnbox's Landlock domain (supervisor/landlock.h): nothing on getppid; the signal scope
  // check on kill.
  {
    Mechanism m;
    m.name = "Landlock domain (ptrace + signal scoped), getppid";
    m.kind = Kind::kLandlock;
    out.push_back(m);
    m.name = "native, kill(self, 0)";
    m.kind = Kind::kNative;
    m.call = Call::kKillSelf;
    out.push_back(m);
    m.name = "Landlock domain (ptrace + signal scoped), kill(self, 0)";
    m.kind = Kind::kLandlock;
    out.push_back(m);
  }
  for (bool conditional : {false, true}) {
    for (int rules : {1, 50, 400}) {
      for (bool tree : {false, true}) {
        Mechanism m;
        m.kind = Kind::kFilter;
        m.rules = rules;
        m.tree = tree;
        m.conditional = conditional;
        m.name = "seccomp filter, " + std::to_string(rules) + (rules == 1 ? " rule, " : " rules, ") +
                 (tree ? "binary tree" : "linear") +
                 (conditional ? ", getppid arg-checked" : ", getppid allowed");
        out.push_back(m);
      }
    }
  }
  std::vector<Placement> placements = {Placement::kCross, Placement::kSame, Placement::kFree};
  for (bool sync : {false, true}) {
    for (Placement p : placements) {
      Mechanism m;
      m.kind = Kind::kNotify;
      m.sync_wake_up = sync;
      m.placement = p;
      m.name = std::string("USER_NOTIF") + (sync ? " + SYNC_WAKE_UP" : "") + ", supervisor " +
               PlacementName(p);
      out.push_back(m);
    }
  }
  for (Kind k : {Kind::kPtraceSyscall, Kind::kSeccompTrace}) {
    for (Placement p : placements) {
      Mechanism m;
      m.kind = k;
      m.placement = p;
      m.name = std::string(k == Kind::kPtraceSyscall ? "ptrace PTRACE_SYSCALL (entry+exit)"
                                                      : "SECCOMP_RET_TRACE + PTRACE_CONT") +
               ", tracer " + PlacementName(p);
      out.push_back(m);
    }
  }
  if (opt.strace && access("/usr/bin/strace", X_OK) == 0) {
    out.push_back({"strace -f -o /dev/null (full)", Kind::kCommand, 0, false, false, false,
                   Placement::kFree, {"strace", "-f", "-o", "/dev/null"}});
    out.push_back({"strace -f -e trace=getppid -o /dev/null", Kind::kCommand, 0, false, false,
                   false, Placement::kFree,
                   {"strace", "-f", "-e", "trace=getppid", "-o", "/dev/null"}});
  }
  if (!opt.pwnbox.empty()) {
    out.push_back({"pwnbox trace -o /dev/null (full)", Kind::kCommand, 0, false, false, false,
                   Placement::kFree, {opt.pwnbox, "trace", "-o", "/dev/null", "--"}});
    out.push_back({"pwnbox trace -e trace=getppid -o /dev/null", Kind::kCommand, 0, false, false,
                   false, Placement::kFree,
                   {opt.pwnbox, "trace", "-e", "trace=getppid", "-o", "/dev/null", "--"}});
    for (const std::string& policy : opt.policies) {
      out.push_back({"pwnbox --policy " + policy, Kind::kCommand, 0, false, false, false,
                     Placement::kFree, {opt.pwnbox, "--policy", policy, "--"}});
    }
  }
  if (!opt.only.empty()) {
    std::vector<Mechanism> kept;
    for (auto& m : out) {
      bool keep = m.kind == Kind::kNative;  // The ratio needs native.
      for (auto& pat : opt.only) keep = keep || m.name.find(pat) != std::string::npos;
      if (keep) kept.push_back(m);
    }
    out = kept;
  }
  return out;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

void Usage() {
  fprintf(stderr,
          "usage: bench_mechanisms [--reps N] [--min-time-ms MS] [--only PATTERN]...\n"
          "                        [--pwnbox PATH [--policy FILE]...] [--no-strace] [--list]\n"
          "       bench_mechanisms --loop ITERS    (the measured loop alone, for wrappers)\n");
}

int Main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--loop") {
      long iters = atol(value().c_str());
      if (iters <= 0) return 2;
      alarm(kChildTimeoutSeconds);
      RunLoop(STDOUT_FILENO, iters, -1);
      return 0;
    } else if (a == "--reps") {
      opt.reps = atoi(value().c_str());
    } else if (a == "--min-time-ms") {
      opt.min_time_ms = atof(value().c_str());
    } else if (a == "--only") {
      opt.only.push_back(value());
    } else if (a == "--pwnbox") {
      opt.pwnbox = value();
    } else if (a == "--policy") {
      opt.policies.push_back(value());
    } else if (a == "--no-strace") {
      opt.strace = false;
    } else if (a == "--list") {
      opt.list = true;
    } else {
      Usage();
      return 2;
    }
  }
  if (opt.reps < 1) opt.reps = 1;

  struct sigaction sa {};
  sa.sa_handler = NoopHandler;  // No SA_RESTART: interrupts a blocked NOTIF_RECV.
  sigaction(SIGUSR1, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<Mechanism> mechs = AllMechanisms(opt);
  if (opt.list) {
    for (auto& m : mechs) printf("%s\n", m.name.c_str());
    return 0;
  }
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

  // Calibration round (also the warm-up): pick a call count per mechanism for ~min_time_ms.
  std::vector<long> iters(mechs.size(), 0);
  std::vector<std::vector<double>> samples(mechs.size());
  std::vector<std::string> errors(mechs.size()), notes(mechs.size());
  for (size_t i = 0; i < mechs.size(); ++i) {
    if (ncpu < 2 && mechs[i].placement == Placement::kCross) {
      errors[i] = "needs 2 CPUs";
      continue;
    }
    Sample s = RunOnce(mechs[i], 2000);
    if (!s.ok) {
      errors[i] = s.error;
      continue;
    }
    double est = std::max(s.ns_per_call, 1.0);
    iters[i] = std::clamp(static_cast<long>(opt.min_time_ms * 1e6 / est), 1000L, 20'000'000L);
    fprintf(stderr, "calibrated %-60s ~%10.1f ns/call, %ld calls/rep\n", mechs[i].name.c_str(),
            est, iters[i]);
  }
  for (int rep = 0; rep < opt.reps; ++rep) {
    fprintf(stderr, "round %d/%d\n", rep + 1, opt.reps);
    for (size_t i = 0; i < mechs.size(); ++i) {
      if (!errors[i].empty()) continue;
      Sample s = RunOnce(mechs[i], iters[i]);
      if (!s.ok) {
        errors[i] = s.error;
        continue;
      }
      if (!s.note.empty()) notes[i] = s.note;
      samples[i].push_back(s.ns_per_call);
    }
  }

  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  double native = samples[0].empty() ? 0 : median(samples[0]);

  utsname u;
  uname(&u);
  time_t now = time(nullptr);
  char date[64];
  strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
  printf("Machine: %s, %ld CPUs, kernel %s %s, %s\n", CpuModel().c_str(), ncpu, u.release,
         u.machine, date);
  printf("getppid loop (kill where named), %d interleaved repetitions after a calibration round; ns per call.\n\n",
         opt.reps);
  printf("| mechanism | ns/call (median) | min | max | x native |\n");
  printf("|---|---:|---:|---:|---:|\n");
  for (size_t i = 0; i < mechs.size(); ++i) {
    if (samples[i].empty() || !errors[i].empty()) {
      printf("| %s | failed: %s | | | |\n", mechs[i].name.c_str(), errors[i].c_str());
      continue;
    }
    auto [lo, hi] = std::minmax_element(samples[i].begin(), samples[i].end());
    double med = median(samples[i]);
    printf("| %s%s | %.0f | %.0f | %.0f | %.2f |\n", mechs[i].name.c_str(),
           notes[i].empty() ? "" : (" (" + notes[i] + ")").c_str(), med, *lo, *hi,
           native > 0 ? med / native : 0.0);
  }
  bool any_failed = false;
  for (auto& e : errors) any_failed = any_failed || !e.empty();
  return any_failed ? 1 : 0;
}

}  // namespace
}  // namespace pwnbox::bench

int main(int argc, char** argv) { return pwnbox::bench::Main(argc, argv); }
