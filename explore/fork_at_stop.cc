#include "explore/fork_at_stop.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "filters/bpf.h"
#include "supervisor/ptrace_monitor.h"

namespace pwnbox::explore {
namespace {

constexpr int kI386Clone = 120;
constexpr int kErestartNoIntr = 513;
constexpr uint64_t kSigmaskAll = ~uint64_t{0};

std::string Pid(pid_t pid) { return std::to_string(pid); }

// The number of threads of `pid` (entries of /proc/PID/task), or -1.
int ThreadCount(pid_t pid) {
  DIR* d = opendir(("/proc/" + Pid(pid) + "/task").c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

// The children of task `tid` (/proc/TID/task/TID/children), or -1 when unreadable.
int ChildCount(pid_t tid) {
  FILE* f = fopen(("/proc/" + Pid(tid) + "/task/" + Pid(tid) + "/children").c_str(), "re");
  if (f == nullptr) return -1;
  int n = 0;
  long child;
  while (fscanf(f, "%ld", &child) == 1) ++n;
  fclose(f);
  return n;
}

bool GetRegs(pid_t tid, user_regs_struct* regs) {
  return ptrace(PTRACE_GETREGS, tid, 0, regs) == 0;
}
bool SetRegs(pid_t tid, const user_regs_struct& regs) {
  return ptrace(PTRACE_SETREGS, tid, 0, &regs) == 0;
}
bool GetMask(pid_t tid, uint64_t* mask) {
  return ptrace(PTRACE_GETSIGMASK, tid, sizeof *mask, mask) == 0;
}
bool SetMask(pid_t tid, uint64_t mask) {
  return ptrace(PTRACE_SETSIGMASK, tid, sizeof mask, &mask) == 0;
}

// Orders SECCOMP_RET_* actions as the kernel does (the most restrictive wins).
int Severity(uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS:
      return 7;
    case SECCOMP_RET_KILL_THREAD:
      return 6;
    case SECCOMP_RET_TRAP:
      return 5;
    case SECCOMP_RET_ERRNO:
      return 4;
    case SECCOMP_RET_USER_NOTIF:
      return 3;
    case SECCOMP_RET_TRACE:
      return 2;
    case SECCOMP_RET_LOG:
      return 1;
    case SECCOMP_RET_ALLOW:
      return 0;
    default:
      return 7;  // unknown: the kernel kills
  }
}

// The most restrictive answer of the filters (the caller's, and the target's own when they can
// be read) to syscall `nr` with `args` made at `stop`; SECCOMP_RET_ALLOW when none was checked.
uint32_t CheckCall(const EntryStop& stop, int nr, const uint64_t* args,
                   const ForkOptions& options) {
  seccomp_data data{};
  data.nr = nr;
  data.arch = stop.abi == core::Abi::kI386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
  data.instruction_pointer = stop.regs.rip;
  for (int i = 0; i < 6; ++i) data.args[i] = args[i];
  uint32_t worst = SECCOMP_RET_ALLOW;
  auto run = [&](const std::vector<sock_filter>& prog) {
    const uint32_t ret = filters::RunBpf(prog, data);
    if (Severity(ret) > Severity(worst)) worst = ret;
  };
  for (const auto& prog : options.known_filters) run(prog);
  if (options.read_target_filters) {
    for (unsigned long i = 0;; ++i) {
      const long n = ptrace(PTRACE_SECCOMP_GET_FILTER, stop.tid, i, nullptr);
      if (n <= 0) break;  // ENOENT past the last; EACCES without CAP_SYS_ADMIN
      std::vector<sock_filter> prog(static_cast<size_t>(n));
      if (ptrace(PTRACE_SECCOMP_GET_FILTER, stop.tid, i, prog.data()) != n) break;
      run(prog);
    }
  }
  return worst;
}

// Waits for a stop or the end of `pid`. Returns false (and errno) on a waitpid failure.
bool Wait(pid_t pid, int* status) {
  for (;;) {
    if (waitpid(pid, status, __WALL) == pid) return true;
    if (errno != EINTR) return false;
  }
}

// Resumes `tid` (stopped after a finished call, registers already rewound) until the entry
// stop of `entry`'s call, then gives it `mask`.
core::Status ReenterWithMask(pid_t tid, const EntryStop& entry, uint64_t mask) {
  const auto req = entry.kind == EntryKind::kSeccomp ? PTRACE_CONT : PTRACE_SYSCALL;
  if (ptrace(req, tid, 0, 0) != 0)
    return core::ErrnoError(errno, "ptrace(resume " + Pid(tid) + ")");
  for (;;) {
    int status;
    if (!Wait(tid, &status)) return core::ErrnoError(errno, "waitpid(" + Pid(tid) + ")");
    if (WIFEXITED(status) || WIFSIGNALED(status))
      return core::Error("process " + Pid(tid) + " ended before it was back at the call", ESRCH);
    const int sig = WSTOPSIG(status);
    const int event = status >> 16;
    if (event == PTRACE_EVENT_SECCOMP || sig == (SIGTRAP | 0x80)) {
      __ptrace_syscall_info info{};
      if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) <= 0)
        return core::ErrnoError(errno, "ptrace(PTRACE_GET_SYSCALL_INFO)");
      const bool entry_stop =
          info.op == PTRACE_SYSCALL_INFO_SECCOMP || info.op == PTRACE_SYSCALL_INFO_ENTRY;
      const uint64_t nr = info.op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.nr : info.entry.nr;
      if (entry_stop && static_cast<int>(nr) == entry.nr &&
          (entry.kind == EntryKind::kSeccomp) == (info.op == PTRACE_SYSCALL_INFO_SECCOMP)) {
        if (!SetMask(tid, mask)) return core::ErrnoError(errno, "ptrace(PTRACE_SETSIGMASK)");
        return core::Status::Ok();
      }
      if (entry_stop)
        return core::Error("process " + Pid(tid) + " entered syscall " + std::to_string(nr) +
                               " instead of " + std::to_string(entry.nr),
                           EPROTO);
      // The exit stop of a call: impossible here (no user code runs before the rewound call).
    }
    // Anything else (a group-stop; signals are blocked): go on towards the call.
    if (ptrace(req, tid, 0, 0) != 0)
      return core::ErrnoError(errno, "ptrace(resume " + Pid(tid) + ")");
  }
}

// `entry`'s registers, set to run its syscall instruction again.
user_regs_struct Rewound(const EntryStop& entry) {
  user_regs_struct regs = entry.regs;
  regs.rip -= 2;
  regs.rax = entry.regs.orig_rax;
  // No restart logic may act on the way back to user space.
  regs.orig_rax = static_cast<unsigned long long>(-1);
  return regs;
}

core::Status Rewind(pid_t tid, const EntryStop& entry, uint64_t mask) {
  if (!SetRegs(tid, Rewound(entry)))
    return core::ErrnoError(errno, "ptrace(PTRACE_SETREGS, " + Pid(tid) + ")");
  return ReenterWithMask(tid, entry, mask);
}

void KillCopy(pid_t child) {
  if (child <= 0) return;
  kill(child, SIGKILL);
  int status;
  // Reaped here when this thread is its parent; otherwise its exit is only reported.
  while (waitpid(child, &status, __WALL) == child && !WIFEXITED(status) && !WIFSIGNALED(status)) {
  }
}

// Sets `stop`'s registers with call `nr`(`args`) in place of its call and steps it to its exit
// stop: *ret is its result, *child the pid of a fork event seen on the way.
core::Status StepInjected(const EntryStop& stop, int nr, const uint64_t* args, pid_t* child,
                          int64_t* ret) {
  const pid_t tid = stop.tid;
  user_regs_struct regs = stop.regs;
  regs.orig_rax = static_cast<unsigned long long>(nr);
  for (int i = 0; i < 6; ++i) *supervisor::ArgRegister(regs, stop.abi, i) = args[i];
  if (!SetRegs(tid, regs))
    return core::ErrnoError(errno, "ptrace(PTRACE_SETREGS, " + Pid(tid) + ")");
  if (ptrace(PTRACE_SYSCALL, tid, 0, 0) != 0)
    return core::ErrnoError(errno, "ptrace(PTRACE_SYSCALL, " + Pid(tid) + ")");
  for (;;) {
    int status;
    if (!Wait(tid, &status)) return core::ErrnoError(errno, "waitpid(" + Pid(tid) + ")");
    if (WIFEXITED(status) || WIFSIGNALED(status))
      return core::Error("process " + Pid(tid) + " died at the injected call" +
                             (WIFSIGNALED(status) ? " (signal " + std::to_string(WTERMSIG(status)) +
                                                        ": a seccomp filter that kills on it?)"
                                                  : std::string()),
                         ESRCH);
    const int event = status >> 16;
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_VFORK) {
      unsigned long msg = 0;
      if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) == 0) *child = static_cast<pid_t>(msg);
    } else if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
      __ptrace_syscall_info info{};
      if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) > 0 &&
          info.op == PTRACE_SYSCALL_INFO_EXIT) {
        *ret = info.exit.rval;
        return core::Status::Ok();
      }
    }
    // PTRACE_EVENT_SECCOMP of the injected call (after a syscall-enter-stop, under a TRACE
    // rule), the fork event, a group-stop: on to the exit.
    if (ptrace(PTRACE_SYSCALL, tid, 0, 0) != 0)
      return core::ErrnoError(errno, "ptrace(PTRACE_SYSCALL, " + Pid(tid) + ")");
  }
}

core::Status Refused(const EntryStop& stop, std::string_view what, uint32_t verdict,
                     const ForkOptions& options) {
  const uint32_t action = verdict & SECCOMP_RET_ACTION_FULL;
  if (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG || action == SECCOMP_RET_TRACE ||
      (action == SECCOMP_RET_USER_NOTIF && options.notify_served))
    return core::Status::Ok();
  return core::Error("the seccomp filters of process " + Pid(stop.tid) + " answer the injected " +
                         std::string(what) + " with " + filters::RetName(verdict),
                     ENOTSUP);
}
}  // namespace

core::Result<EntryStop> ReadEntry(pid_t tid) {
  __ptrace_syscall_info info{};
  if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) <= 0)
    return core::ErrnoError(errno, "ptrace(PTRACE_GET_SYSCALL_INFO, " + Pid(tid) + ")");
  if (info.op != PTRACE_SYSCALL_INFO_SECCOMP && info.op != PTRACE_SYSCALL_INFO_ENTRY)
    return core::Error("process " + Pid(tid) + " is not stopped at a syscall entry", EINVAL);
  EntryStop stop;
  stop.tid = tid;
  stop.kind = info.op == PTRACE_SYSCALL_INFO_SECCOMP ? EntryKind::kSeccomp : EntryKind::kSyscall;
  const uint64_t nr = info.op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.nr : info.entry.nr;
  const uint64_t* args =
      info.op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.args : info.entry.args;
  stop.abi = core::AbiOfCall(info.arch, nr);
  stop.nr = static_cast<int>(nr);
  for (int i = 0; i < 6; ++i) stop.args[i] = args[i];
  if (!GetRegs(tid, &stop.regs)) return core::ErrnoError(errno, "ptrace(PTRACE_GETREGS)");
  return stop;
}

int EntryStopStatus(EntryKind kind) {
  const int sig =
      kind == EntryKind::kSeccomp ? SIGTRAP | (PTRACE_EVENT_SECCOMP << 8) : SIGTRAP | 0x80;
  return (sig << 8) | 0x7f;
}

core::Status Reenter(pid_t tid, const EntryStop& entry) {
  uint64_t mask = 0;
  if (!GetMask(tid, &mask)) return core::ErrnoError(errno, "ptrace(PTRACE_GETSIGMASK)");
  if (!SetMask(tid, kSigmaskAll)) return core::ErrnoError(errno, "ptrace(PTRACE_SETSIGMASK)");
  return Rewind(tid, entry, mask);
}

core::Result<pid_t> ForkAtStop(const EntryStop& stop, const ForkOptions& options) {
  const pid_t tid = stop.tid;
  const std::string who = "process " + Pid(tid);
  if (stop.abi == core::Abi::kX32)
    return core::Error("cannot fork " + who + " at an x32 syscall (only x86-64 and i386 calls)",
                       ENOTSUP);
  const int threads = ThreadCount(tid);
  if (threads < 0) return core::ErrnoError(errno, "reading /proc/" + Pid(tid) + "/task");
  if (threads > 1)
    return core::Error(who + " has " + std::to_string(threads) +
                           " threads: fork copies only the calling thread, so its copy would "
                           "not be faithful (re-run up to this call instead)",
                       ENOTSUP);
  if (!options.allow_children) {
    const int children = ChildCount(tid);
    if (children > 0)
      return core::Error(who + " has " + std::to_string(children) +
                             " child process(es) that its copy would not have (the copy's "
                             "wait() for them would fail with ECHILD): re-run up to this call "
                             "instead, or allow it",
                         ENOTSUP);
  }
  const int clone_nr = stop.abi == core::Abi::kI386 ? kI386Clone : SYS_clone;
  const uint64_t clone_args[6] = {kInjectedCloneFlags, 0, 0, 0, 0, 0};
  if (core::Status st =
          Refused(stop, "clone", CheckCall(stop, clone_nr, clone_args, options), options);
      !st.ok())
    return core::Error(st.error().message() + ": it cannot be forked at this call", ENOTSUP);

  uint64_t mask = 0;
  if (!GetMask(tid, &mask)) return core::ErrnoError(errno, "ptrace(PTRACE_GETSIGMASK)");
  if (!SetMask(tid, kSigmaskAll)) return core::ErrnoError(errno, "ptrace(PTRACE_SETSIGMASK)");

  pid_t child = 0;
  int64_t ret = 0;
  for (int attempt = 0;; ++attempt) {
    core::Status st = StepInjected(stop, clone_nr, clone_args, &child, &ret);
    if (!st.ok()) {
      KillCopy(child);
      SetMask(tid, mask);  // best effort: the tracee is likely gone
      return st.error();
    }
    // A signal that came during the clone (a group signal reaches the task even blocked):
    // the kernel asks for a restart. Back to the call, and again.
    if (ret != -kErestartNoIntr || attempt >= 3) break;
    PWNBOX_RETURN_IF_ERROR(Rewind(tid, stop, mask));
    if (!SetMask(tid, kSigmaskAll)) return core::ErrnoError(errno, "ptrace(PTRACE_SETSIGMASK)");
  }
  if (ret > 0 && child == 0) {
    // No fork event: the tracee lacks PTRACE_O_TRACEFORK and its copy runs untraced, as if
    // the call had returned 0. Fail closed: it dies at once.
    kill(static_cast<pid_t>(ret), SIGKILL);
    core::Status back = Rewind(tid, stop, mask);
    return core::Error("the copy of " + who +
                           " was not traced (the tracer must set "
                           "PTRACE_O_TRACEFORK): killed" +
                           (back.ok() ? std::string() : "; " + back.error().message()),
                       EPROTO);
  }

  // The original goes back to the call's entry whatever happened to the clone.
  core::Status back = Rewind(tid, stop, mask);
  if (ret < 0) {
    KillCopy(child);
    const int err = static_cast<int>(-ret);
    std::string msg = "the injected clone in " + who + " failed: " + std::strerror(err);
    if (err == EINVAL) msg += " (the init of a PID namespace cannot use CLONE_PARENT)";
    if (err == EPERM || err == EACCES) msg += " (the seccomp filter denies clone)";
    if (!back.ok()) msg += "; and putting it back at its call failed: " + back.error().message();
    return core::Error(msg, err);
  }
  if (!back.ok()) {
    KillCopy(child);
    return core::Error(
        "putting " + who + " back at its call after the fork: " + back.error().message(),
        back.error().sys_errno());
  }
  // The copy's first stop (PTRACE_EVENT_STOP of an auto-attached tracee), then the same.
  int status;
  if (!Wait(child, &status)) {
    const int err = errno;
    KillCopy(child);
    return core::ErrnoError(err, "waitpid(copy " + Pid(child) + ")");
  }
  if (!WIFSTOPPED(status)) {
    KillCopy(child);
    return core::Error("the copy " + Pid(child) + " of " + who + " ended before its first stop",
                       ESRCH);
  }
  core::Status copy = Rewind(child, stop, mask);
  if (!copy.ok()) {
    KillCopy(child);
    return core::Error("putting the copy " + Pid(child) + " at the call: " + copy.error().message(),
                       copy.error().sys_errno());
  }
  return child;
}

core::Result<int64_t> InjectCall(const EntryStop& stop, int nr, const uint64_t (&args)[6],
                                 const ForkOptions& options) {
  const pid_t tid = stop.tid;
  if (stop.abi == core::Abi::kX32)
    return core::Error("cannot inject a call at an x32 syscall", ENOTSUP);
  PWNBOX_RETURN_IF_ERROR(
      Refused(stop, "syscall " + std::to_string(nr), CheckCall(stop, nr, args, options), options));
  uint64_t mask = 0;
  if (!GetMask(tid, &mask)) return core::ErrnoError(errno, "ptrace(PTRACE_GETSIGMASK)");
  if (!SetMask(tid, kSigmaskAll)) return core::ErrnoError(errno, "ptrace(PTRACE_SETSIGMASK)");
  pid_t child = 0;
  int64_t ret = 0;
  if (core::Status st = StepInjected(stop, nr, args, &child, &ret); !st.ok()) {
    KillCopy(child);
    SetMask(tid, mask);  // best effort: the tracee is likely gone
    return st.error();
  }
  KillCopy(child);  // an injected fork's child: not wanted
  PWNBOX_RETURN_IF_ERROR(Rewind(tid, stop, mask));
  if (stop.abi == core::Abi::kI386) ret = static_cast<int32_t>(ret);
  return ret;
}

namespace {

// Opens `path` in the tracee, seeks it to `seek` (unless -1), and moves it to `fd` with dup3
// flags `dup_flags`.
core::Status OpenAsFd(const EntryStop& stop, int fd, const std::string& path, int flags, int mode,
                      const ForkOptions& options, int64_t seek, int dup_flags) {
  const bool i386 = stop.abi == core::Abi::kI386;
  const std::string who = "process " + Pid(stop.tid);
  auto failed = [&](const char* call, int64_t ret) {
    return core::Error("giving " + who + " " + path + " as fd " + std::to_string(fd) + ": " + call +
                           " in it failed: " + std::strerror(static_cast<int>(-ret)),
                       static_cast<int>(-ret));
  };
  // A scratch page for the path (mmap2 on i386: its addresses are below 4 GiB).
  const uint64_t mmap_args[6] = {0,
                                 4096,
                                 PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS,
                                 static_cast<uint64_t>(-1) & (i386 ? 0xffffffffu : ~0ull),
                                 0};
  PWNBOX_ASSIGN_OR_RETURN(const int64_t addr,
                          InjectCall(stop, i386 ? 192 : SYS_mmap, mmap_args, options));
  if (addr < 0 && addr > -4096) return failed("mmap", addr);
  const uint64_t page = static_cast<uint64_t>(addr) & (i386 ? 0xffffffffu : ~0ull);
  const uint64_t unmap_args[6] = {page, 4096, 0, 0, 0, 0};
  auto unmap = [&] { (void)InjectCall(stop, i386 ? 91 : SYS_munmap, unmap_args, options); };
  iovec local{const_cast<char*>(path.c_str()), path.size() + 1};
  iovec remote{reinterpret_cast<void*>(page), path.size() + 1};
  if (path.size() >= 4096 || process_vm_writev(stop.tid, &local, 1, &remote, 1, 0) !=
                                 static_cast<ssize_t>(path.size() + 1)) {
    const int err = path.size() >= 4096 ? ENAMETOOLONG : errno;
    unmap();
    return core::ErrnoError(err, "writing the path into " + who);
  }
  const uint64_t open_args[6] = {static_cast<uint64_t>(AT_FDCWD) & (i386 ? 0xffffffffu : ~0ull),
                                 page,
                                 static_cast<uint64_t>(flags),
                                 static_cast<uint64_t>(mode),
                                 0,
                                 0};
  auto opened = InjectCall(stop, i386 ? 295 : SYS_openat, open_args, options);
  unmap();
  if (!opened.ok()) return opened.error();
  if (*opened < 0) return failed("openat", *opened);
  const uint64_t close_args[6] = {static_cast<uint64_t>(*opened), 0, 0, 0, 0, 0};
  if (seek >= 0) {
    const uint64_t seek_args[6] = {
        static_cast<uint64_t>(*opened), static_cast<uint64_t>(seek), SEEK_SET, 0, 0, 0};
    auto sought = InjectCall(stop, i386 ? 19 : SYS_lseek, seek_args, options);
    if (!sought.ok() || *sought != seek) {
      (void)InjectCall(stop, i386 ? 6 : SYS_close, close_args, options);
      if (!sought.ok()) return sought.error();
      return failed("lseek", *sought < 0 ? *sought : -EOVERFLOW);
    }
  }
  if (*opened == fd) return core::Status::Ok();
  const uint64_t dup_args[6] = {static_cast<uint64_t>(*opened),
                                static_cast<uint64_t>(fd),
                                static_cast<uint64_t>(dup_flags),
                                0,
                                0,
                                0};
  auto duped = InjectCall(stop, i386 ? 330 : SYS_dup3, dup_args, options);
  auto closed = InjectCall(stop, i386 ? 6 : SYS_close, close_args, options);
  if (!duped.ok()) return duped.error();
  if (*duped < 0) return failed("dup3", *duped);
  if (!closed.ok()) return closed.error();
  return core::Status::Ok();
}

}  // namespace

core::Status RedirectFd(const EntryStop& stop, int fd, const std::string& path, int flags, int mode,
                        const ForkOptions& options) {
  return OpenAsFd(stop, fd, path, flags, mode, options, -1, 0);
}

core::Status ReopenFd(const EntryStop& stop, int fd, const ForkOptions& options) {
  const std::string who = "process " + Pid(stop.tid);
  const std::string link = "/proc/" + Pid(stop.tid) + "/fd/" + std::to_string(fd);
  struct stat st;
  if (stat(link.c_str(), &st) != 0) return core::ErrnoError(errno, "stat " + link);
  if (!S_ISREG(st.st_mode))
    return core::Error("fd " + std::to_string(fd) + " of " + who +
                           " is not a regular file: a pipe, socket or terminal stays shared by "
                           "the branches",
                       ENOTSUP);
  FILE* info = fopen(("/proc/" + Pid(stop.tid) + "/fdinfo/" + std::to_string(fd)).c_str(), "re");
  if (info == nullptr) return core::ErrnoError(errno, "reading the fdinfo of " + link);
  long long pos = -1;
  unsigned flags = 0;
  bool have_flags = false;
  char line[256];
  while (fgets(line, sizeof line, info) != nullptr) {
    if (std::sscanf(line, "pos: %lld", &pos) == 1) continue;
    if (std::sscanf(line, "flags: %o", &flags) == 1) have_flags = true;
  }
  fclose(info);
  if (pos < 0 || !have_flags) return core::Error("no pos/flags in the fdinfo of " + link, EPROTO);
  if (flags & O_PATH) return core::Status::Ok();  // no offset, no I/O
  const int open_flags =
      static_cast<int>(flags) & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | O_NOCTTY);
  return OpenAsFd(stop, fd, "/proc/self/fd/" + std::to_string(fd), open_flags, 0, options, pos,
                  static_cast<int>(flags) & O_CLOEXEC);
}

}  // namespace pwnbox::explore
