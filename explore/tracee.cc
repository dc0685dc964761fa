#include "explore/tracee.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "core/fd.h"

namespace pwnbox::explore {
namespace {

bool Wait(pid_t pid, int* status) {
  for (;;) {
    if (waitpid(pid, status, __WALL) == pid) return true;
    if (errno != EINTR) return false;
  }
}

// The signal to pass on at a stop that is a signal-delivery-stop, else 0.
int DeliveredSignal(int status) {
  const int sig = WSTOPSIG(status);
  if ((status >> 16) != 0 || sig == (SIGTRAP | 0x80)) return 0;
  return sig;
}

}  // namespace

std::vector<sock_filter> RuleFilter(const std::vector<FilterRule>& rules) {
  std::vector<sock_filter> prog;
  for (const FilterRule& r : rules) {
    const uint32_t arch = r.abi == core::Abi::kI386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 3));
    prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(r.nr), 0, 1));
    prog.push_back(BPF_STMT(BPF_RET | BPF_K, r.action));
  }
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return prog;
}

unsigned TraceOptions() {
  return PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
         PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
}

core::Result<pid_t> SpawnTraced(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) return core::Error("nothing to run", EINVAL);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<sock_fprog> fprogs;
  for (const auto& f : options.first_filters)
    fprogs.push_back({static_cast<unsigned short>(f.size()), const_cast<sock_filter*>(f.data())});
  if (!options.filter.empty())
    fprogs.push_back({static_cast<unsigned short>(options.filter.size()),
                      const_cast<sock_filter*>(options.filter.data())});
  int go[2], status_pipe[2];
  if (pipe2(go, O_CLOEXEC) != 0) return core::ErrnoError(errno, "pipe2");
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    close(go[0]), close(go[1]);
    return core::ErrnoError(errno, "pipe2");
  }
  core::UniqueFd go_r(go[0]), go_w(go[1]), st_r(status_pipe[0]), st_w(status_pipe[1]);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return core::ErrnoError(errno, "fork");
  if (pid == 0) {
    // Async-signal-safe from here to execve; failures go to the status pipe as an errno.
    int err = 0;
    char c;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (options.stdout_fd >= 0 && dup2(options.stdout_fd, 1) < 0) err = errno;
    if (!err && read(go[0], &c, 1) != 1) err = EPIPE;
    if (!err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) err = errno;
    for (size_t i = 0; !err && i < fprogs.size(); ++i)
      if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprogs[i]) != 0) err = errno;
    if (!err) {
      execv(args[0], args.data());
      err = errno;
    }
    (void)!write(status_pipe[1], &err, sizeof err);
    _exit(127);
  }
  st_w.reset();
  if (ptrace(PTRACE_SEIZE, pid, 0, TraceOptions()) != 0) {
    const int err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return core::ErrnoError(err, "ptrace(PTRACE_SEIZE)");
  }
  (void)!write(go_w.get(), "g", 1);
  for (;;) {
    int status;
    if (!Wait(pid, &status)) return core::ErrnoError(errno, "waitpid");
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      int err = 0;
      if (read(st_r.get(), &err, sizeof err) == sizeof err)
        return core::ErrnoError(err, "starting " + argv[0]);
      return core::Error(argv[0] + " ended before its exec", ECHILD);
    }
    if ((status >> 16) == PTRACE_EVENT_EXEC) return pid;
    ptrace(PTRACE_CONT, pid, 0, DeliveredSignal(status));
  }
}

core::Result<EntryStop> RunToEntry(pid_t pid, EntryKind kind,
                                   const std::function<bool(const EntryStop&)>& match) {
  const auto req = kind == EntryKind::kSeccomp ? PTRACE_CONT : PTRACE_SYSCALL;
  int sig = 0;
  for (;;) {
    if (ptrace(req, pid, 0, sig) != 0) return core::ErrnoError(errno, "ptrace(resume)");
    sig = 0;
    int status;
    if (!Wait(pid, &status)) return core::ErrnoError(errno, "waitpid");
    if (WIFEXITED(status) || WIFSIGNALED(status))
      return core::Error("process " + std::to_string(pid) + " ended before the call", ESRCH);
    const int event = status >> 16;
    const bool entry_kind = kind == EntryKind::kSeccomp ? event == PTRACE_EVENT_SECCOMP
                                                        : WSTOPSIG(status) == (SIGTRAP | 0x80);
    if (entry_kind) {
      auto stop = ReadEntry(pid);
      if (stop.ok() && match(*stop)) return stop;
      continue;  // another call, or an exit stop
    }
    sig = DeliveredSignal(status);
  }
}

core::Result<int64_t> RunOutcome(const EntryStop& stop, const CallOutcome& outcome) {
  PWNBOX_ASSIGN_OR_RETURN(AppliedOutcome applied, ApplyAtEntry(stop, outcome));
  for (;;) {
    if (ptrace(PTRACE_SYSCALL, stop.tid, 0, 0) != 0)
      return core::ErrnoError(errno, "ptrace(PTRACE_SYSCALL)");
    int status;
    if (!Wait(stop.tid, &status)) return core::ErrnoError(errno, "waitpid");
    if (WIFEXITED(status) || WIFSIGNALED(status))
      return core::Error("process ended in the call", ESRCH);
    if (WSTOPSIG(status) == (SIGTRAP | 0x80)) break;  // the exit stop
    // A seccomp stop of the same call after a syscall-enter-stop: on to its exit.
  }
  return FinishAtExit(applied);
}

core::Result<int> RunToEnd(pid_t pid) {
  int sig = 0;
  for (;;) {
    if (ptrace(PTRACE_CONT, pid, 0, sig) != 0 && errno != ESRCH)
      return core::ErrnoError(errno, "ptrace(PTRACE_CONT)");
    int status;
    if (!Wait(pid, &status)) return core::ErrnoError(errno, "waitpid");
    if (WIFEXITED(status) || WIFSIGNALED(status)) return status;
    sig = DeliveredSignal(status);
  }
}

void KillTracee(pid_t pid) {
  if (pid <= 0) return;
  // Traced threads other than the leader must be waited for before the leader's end is
  // reported.
  std::vector<pid_t> threads;
  if (DIR* d = opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.' && std::atoi(e->d_name) != pid)
        threads.push_back(std::atoi(e->d_name));
    closedir(d);
  }
  kill(pid, SIGKILL);
  threads.push_back(pid);
  for (pid_t tid : threads) {
    int status;
    while (waitpid(tid, &status, __WALL) == tid && !WIFEXITED(status) && !WIFSIGNALED(status)) {
    }
  }
}

}  // namespace pwnbox::explore
