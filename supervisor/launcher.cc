#include "supervisor/launcher.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

// The one call site allowed to pass the listener: a raw syscall whose return address
// (seccomp_data.instruction_pointer) the launch filters check.
extern "C" long pwnbox_launch_syscall(long nr, long a1, long a2, long a3);
extern "C" char pwnbox_launch_syscall_ret[];
asm(R"(
  .text
  .globl pwnbox_launch_syscall
  .type pwnbox_launch_syscall, @function
pwnbox_launch_syscall:
  mov %rdi, %rax
  mov %rsi, %rdi
  mov %rdx, %rsi
  mov %rcx, %rdx
  syscall
  .globl pwnbox_launch_syscall_ret
pwnbox_launch_syscall_ret:
  ret
  .size pwnbox_launch_syscall, .-pwnbox_launch_syscall
)");

namespace pwnbox::supervisor {
namespace {

constexpr int kStageExec = 1;
constexpr int kStageNamespace = 2;  // the init could not set its namespaces up

struct ChildFailure {
  int stage;
  int err;
};

// `if arch == x86_64 && nr in {sendmsg, seccomp} && ip == launch site: <hit>`; otherwise falls
// through to the instruction after the block. Reads only arch/nr for other syscalls so the
// kernel's constant-action cache still covers them.
std::vector<sock_filter> LaunchSiteCheck(uint32_t hit_action) {
  const uint64_t ip = reinterpret_cast<uint64_t>(pwnbox_launch_syscall_ret);
  const uint32_t lo = static_cast<uint32_t>(ip), hi = static_cast<uint32_t>(ip >> 32);
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 8),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendmsg, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 0, 5),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, instruction_pointer) + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, hit_action),
  };
}

[[noreturn]] void ChildFail(int status_fd, int stage, int err) {
  ChildFailure f{stage, err};
  ssize_t ignored = write(status_fd, &f, sizeof f);
  (void)ignored;
  // 127/126 as shells do when execve failed; 125 when pwnbox could not set the child up.
  _exit(stage != kStageExec ? 125 : err == ENOENT ? 127 : 126);
}

int InstallFilter(const std::vector<sock_filter>& prog, unsigned flags) {
  sock_fprog fprog{static_cast<unsigned short>(prog.size()),
                   const_cast<sock_filter*>(prog.data())};
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog));
}

}  // namespace

core::Result<std::string> ResolveCommand(const std::string& argv0) {
  auto check = [](const std::string& path) -> int {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return errno;
    if (S_ISDIR(st.st_mode)) return EISDIR;
    if (access(path.c_str(), X_OK) != 0) return errno;
    return 0;
  };
  if (argv0.empty()) return core::Error("empty command name", ENOENT);
  if (argv0.find('/') != std::string::npos) {
    int err = check(argv0);
    if (err == 0) return argv0;
    if (err == EISDIR) err = EACCES;  // what execve says of a directory (126, as shells)
    return core::Error(argv0 + ": " + std::strerror(err), err);
  }
  // As bash looks a name up: a directory that cannot be searched, and a directory of that name,
  // are no command (127 when nothing else is found); a file that is there but cannot be
  // executed is (126), unless an executable one comes later in $PATH.
  const char* env_path = getenv("PATH");
  std::string path = env_path ? env_path : "/usr/local/bin:/usr/bin:/bin";
  int found_err = 0;  // the first file found that cannot be executed
  std::string found, unsearchable;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find(':', pos);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(pos, end - pos);
    pos = end + 1;
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + argv0;
    const int err = check(candidate);
    if (err == 0) return candidate;
    struct stat st;
    if (err == EACCES && stat(candidate.c_str(), &st) != 0) {
      if (unsearchable.empty()) unsearchable = dir;  // stat itself failed: the directory
      continue;
    }
    if (err == ENOENT || err == ENOTDIR || err == EISDIR || err == ELOOP ||
        err == ENAMETOOLONG)
      continue;
    if (!found_err) {
      found_err = err;
      found = candidate;
    }
  }
  if (found_err) return core::Error(found + ": " + std::strerror(found_err), found_err);
  return core::Error(argv0 + ": command not found (check the name and $PATH" +
                         (unsearchable.empty()
                              ? std::string(")")
                              : "; " + unsearchable + " in $PATH cannot be searched)"),
                     ENOENT);
}

namespace {

// What the child (and the init, in a PID namespace) needs, prepared by the parent before it
// forks: between fork and execve only async-signal-safe calls.
struct ChildPlan {
  const LaunchSpec* spec = nullptr;
  const char* path = nullptr;
  char* const* argv = nullptr;
  std::vector<sock_filter>* policy_prog = nullptr;
  std::vector<sock_filter>* seal_prog = nullptr;
  std::vector<sock_filter>* trace_prog = nullptr;
  bool trace_via_site = false;
  int status_w = -1, go_r = -1, go_w = -1, sock_child = -1, ruleset = -1, report_w = -1;
  pid_t parent = 0;
  bool in_namespace = false;  // the child is the target under pwnbox's init
  bool keep_ignored[NSIG] = {};  // signals the target inherits ignored (as pwnbox found them)
};

// The target's own setup: filters, then execve. Never returns.
[[noreturn]] void TargetChild(const ChildPlan& plan) {
  const LaunchSpec& spec = *plan.spec;
  const int sfd = plan.status_w;
  if (!plan.in_namespace) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(sfd, 0, errno);
    if (getppid() != plan.parent) _exit(125);  // the supervisor is already gone
  } else {
    // The init made itself non-dumpable, and we inherited that: pwnbox (not root) could not
    // read our memory to decode the first execve's arguments. execve resets it anyway.
    prctl(PR_SET_DUMPABLE, 1);
  }
  // Signals as pwnbox found them: what pwnbox (or its init) changed for itself goes back to the
  // default; what pwnbox inherited ignored (nohup's SIGHUP) stays ignored, as execve keeps it.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction sa {};
    sa.sa_handler = plan.keep_ignored[sig] ? SIG_IGN : SIG_DFL;
    sigaction(sig, &sa, nullptr);  // fails (harmlessly) for glibc's reserved signals
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (spec.no_aslr) personality(ADDR_NO_RANDOMIZE);
  if (spec.pin_cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(spec.pin_cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  if (spec.ptrace && !plan.in_namespace) {
    char c = 0;
    ssize_t n;
    while ((n = read(plan.go_r, &c, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1 || c != 'G') _exit(125);  // the supervisor died before seizing us
    // Seized with PTRACE_O_EXITKILL: the kernel kills this task (and every traced one) with
    // the supervisor from now on, so the parent-death signal can go back to what a program
    // expects to find (PR_GET_PDEATHSIG: 0), as it would be outside pwnbox.
    if (prctl(PR_SET_PDEATHSIG, 0) != 0) ChildFail(sfd, 0, errno);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ChildFail(sfd, 0, errno);
  if (plan.ruleset >= 0) {
    if (int err = LandlockRestrictSelf(plan.ruleset)) ChildFail(sfd, 0, err);
    close(plan.ruleset);
  }
  if (spec.policy) {
    unsigned flags = spec.policy_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    int fd = InstallFilter(*plan.policy_prog, flags);
    if (fd < 0) ChildFail(sfd, 0, errno);
    if (spec.policy_listener) {
      char cmsg_buf[CMSG_SPACE(sizeof(int))];
      memset(cmsg_buf, 0, sizeof cmsg_buf);
      char byte = 'L';
      iovec iov{&byte, 1};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = cmsg_buf;
      msg.msg_controllen = sizeof cmsg_buf;
      cmsghdr* cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(cm), &fd, sizeof fd);
      long rc = pwnbox_launch_syscall(__NR_sendmsg, plan.sock_child,
                                      reinterpret_cast<long>(&msg), 0);
      if (rc < 0) ChildFail(sfd, 0, static_cast<int>(-rc));
      // The listener fd is close-on-exec (the kernel makes it so): no close() here, which the
      // policy would see (and log) as the target's first call.
      if (plan.trace_via_site) {
        sock_fprog tf{static_cast<unsigned short>(plan.trace_prog->size()),
                      plan.trace_prog->data()};
        rc = pwnbox_launch_syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0,
                                   reinterpret_cast<long>(&tf));
        if (rc < 0) ChildFail(sfd, 0, static_cast<int>(-rc));
      }
      sock_fprog seal{static_cast<unsigned short>(plan.seal_prog->size()),
                      plan.seal_prog->data()};
      rc = pwnbox_launch_syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0,
                                 reinterpret_cast<long>(&seal));
      if (rc < 0) ChildFail(sfd, 0, static_cast<int>(-rc));
    }
  }
  if (spec.trace && !plan.trace_via_site && InstallFilter(*plan.trace_prog, 0) < 0)
    ChildFail(sfd, 0, errno);
  execve(plan.path, plan.argv, environ);
  ChildFail(sfd, kStageExec, errno);
}

// PID 1 of the target's namespace (LaunchSpec::pid_namespace). Raw syscalls only: this process
// was made by a raw clone(2), so glibc's idea of its thread id is the parent's.
[[noreturn]] void InitChild(ChildPlan plan) {
  const int sfd = plan.status_w;
  // First of all: die with pwnbox. A SIGKILL from the parent's namespace reaches an init.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(sfd, kStageNamespace, errno);
  close(plan.go_w);
  char c = 0;
  ssize_t n;
  while ((n = read(plan.go_r, &c, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1 || c != 'G') _exit(125);  // pwnbox died before mapping our ids
  close(plan.go_r);
  // The target (same uid) may not ptrace us: it would run calls outside its filters. Landlock's
  // scope stops it too, when the kernel has it (the init is outside the target's domain).
  prctl(PR_SET_DUMPABLE, 0);
  // A /proc that shows this namespace, so /proc/$(getpid()) is the caller; mounts made here do
  // not propagate back (slave), mounts made outside still come in.
  if (plan.spec->own_proc) {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
      ChildFail(sfd, kStageNamespace, errno);
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
      ChildFail(sfd, kStageNamespace, errno);
  }
  // An init dies of no signal sent from inside its namespace (the kernel drops those without a
  // handler); from outside (Ctrl-C to the terminal's process group) it would: ignore them all,
  // the target gets them itself (same process group) and pwnbox forwards SIGTERM/SIGHUP.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD) continue;
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigaction(sig, &sa, nullptr);
  }
  const long target = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (target < 0) ChildFail(sfd, 0, errno);
  if (target == 0) {
    plan.in_namespace = true;
    close(plan.report_w);
    TargetChild(plan);
  }
  close(sfd);
  close(plan.sock_child);
  if (plan.ruleset >= 0) close(plan.ruleset);
  int target_status = 0;
  while (true) {
    int status;
    const long pid = syscall(SYS_wait4, -1, &status, __WALL, nullptr);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: the namespace is empty
    }
    if (pid == target) {
      target_status = status;
      if (!plan.spec->wait_all) break;  // our exit kills what is left
    }
  }
  ssize_t ignored = write(plan.report_w, &target_status, sizeof target_status);
  (void)ignored;
  _exit(0);
}

core::Error NamespaceRefused(const std::string& why) {
  return core::Error("cannot start the target in a PID namespace: " + why, ENOTSUP);
}

bool WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  core::UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
  return fd && write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// Receives the listener from the target; with `target_pid`, also the sender's pid as pwnbox
// sees it (SO_PASSCRED). False when the target failed (or died) before sending it.
bool ReceiveListener(int sock, core::UniqueFd* listener, pid_t* target_pid) {
  char byte;
  alignas(cmsghdr) char cmsg_buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(ucred))];
  iovec iov{&byte, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cmsg_buf;
  msg.msg_controllen = sizeof cmsg_buf;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET) continue;
    if (cm->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(cm), sizeof fd);
      listener->reset(fd);
    } else if (cm->cmsg_type == SCM_CREDENTIALS && target_pid) {
      ucred cred;
      memcpy(&cred, CMSG_DATA(cm), sizeof cred);
      *target_pid = cred.pid;
    }
  }
  return static_cast<bool>(*listener);
}

}  // namespace

core::Result<Launched> Launch(const LaunchSpec& spec) {
  Launched out;
  PWNBOX_ASSIGN_OR_RETURN(out.path, ResolveCommand(spec.argv.at(0)));

  // Everything the child touches is built here, before fork.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<sock_filter> policy_prog, seal_prog, trace_prog;
  // With a policy, the trace filter goes in through the launch site too, before the seal: the
  // policy may deny seccomp() itself (every deny-by-default profile does). It lets the launch
  // site's own calls (the seal) through untraced, so the trace starts at execve as always.
  const bool trace_via_site = spec.trace && spec.policy && spec.policy_listener;
  if (spec.trace) {
    if (trace_via_site) trace_prog = LaunchSiteCheck(SECCOMP_RET_ALLOW);
    trace_prog.insert(trace_prog.end(), spec.trace->begin(), spec.trace->end());
    if (trace_prog.size() > BPF_MAXINSNS)
      return core::Error("the trace filter has more than 4096 instructions: trace fewer syscalls");
  }
  if (spec.policy) {
    if (spec.policy_listener) {
      policy_prog = LaunchSiteCheck(SECCOMP_RET_ALLOW);
      seal_prog = LaunchSiteCheck(SECCOMP_RET_KILL_PROCESS);
      seal_prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    }
    policy_prog.insert(policy_prog.end(), spec.policy->begin(), spec.policy->end());
    if (policy_prog.size() > BPF_MAXINSNS)
      return core::Error("the policy's filter has " + std::to_string(policy_prog.size()) +
                         " instructions, more than the kernel's limit of 4096: split or "
                         "simplify the policy");
  }

  core::UniqueFd ruleset;
  if (spec.landlock_paths && spec.landlock_paths->Applies()) {  // paths and/or TCP ports
    out.landlock_abi = LandlockAbi();
    PWNBOX_ASSIGN_OR_RETURN(ruleset, PreparePathsRuleset(*spec.landlock_paths));
    out.isolation = Isolation::kLandlock;
  } else if (spec.confine) {
    out.landlock_abi = LandlockAbi();
    auto rs = PrepareScopeRuleset();
    if (rs.ok()) {
      ruleset = std::move(*rs);
      out.isolation = Isolation::kLandlock;
    } else if (rs.error().sys_errno() != EOPNOTSUPP) {
      return rs.error();
    } else {
      out.isolation = Isolation::kNonDumpable;
    }
  }

  ChildPlan plan;
  plan.spec = &spec;
  plan.path = out.path.c_str();
  plan.argv = argv.data();
  plan.policy_prog = &policy_prog;
  plan.seal_prog = &seal_prog;
  plan.trace_prog = &trace_prog;
  plan.trace_via_site = trace_via_site;
  plan.ruleset = ruleset ? ruleset.get() : -1;
  plan.parent = getpid();
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_IGN) continue;
    // pwnbox ignores these itself (the CLI); the target gets them as a shell would give them.
    if (sig == SIGINT || sig == SIGQUIT || sig == SIGPIPE || sig == SIGTERM || sig == SIGHUP ||
        sig == SIGCHLD)
      continue;
    plan.keep_ignored[sig] = true;
  }

  // In a PID namespace when asked and the kernel allows it; else with ptrace (when asked).
  bool in_namespace = spec.pid_namespace && spec.policy_listener;
  if (in_namespace && (getuid() != geteuid() || getgid() != getegid())) {
    out.namespace_refused = "pwnbox's real and effective ids differ";
    in_namespace = false;
  }
  while (true) {
    int status_pipe[2], go_pipe[2], report_pipe[2] = {-1, -1}, sock[2] = {-1, -1};
    if (pipe2(status_pipe, O_CLOEXEC) != 0) return core::ErrnoError(errno, "pipe2");
    core::UniqueFd status_r(status_pipe[0]), status_w(status_pipe[1]);
    if (pipe2(go_pipe, O_CLOEXEC) != 0) return core::ErrnoError(errno, "pipe2");
    core::UniqueFd go_r(go_pipe[0]), go_w(go_pipe[1]);
    core::UniqueFd report_r, report_w, sock_parent, sock_child;
    if (in_namespace) {
      if (pipe2(report_pipe, O_CLOEXEC) != 0) return core::ErrnoError(errno, "pipe2");
      report_r.reset(report_pipe[0]);
      report_w.reset(report_pipe[1]);
    }
    if (spec.policy_listener) {
      if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) != 0)
        return core::ErrnoError(errno, "socketpair");
      sock_parent.reset(sock[0]);
      sock_child.reset(sock[1]);
      const int on = 1;
      if (in_namespace && setsockopt(sock_parent.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on))
        return core::ErrnoError(errno, "setsockopt(SO_PASSCRED)");
    }
    plan.status_w = status_w.get();
    plan.go_r = go_r.get();
    plan.go_w = go_w.get();
    plan.sock_child = sock_child.get();
    plan.report_w = report_w.get();

    pid_t pid;
    bool own_user_ns = false;
    if (in_namespace) {
      // Root needs no user namespace; anyone else (and root without CAP_SYS_ADMIN, in a
      // container) gets one that maps only its own ids.
      own_user_ns = geteuid() != 0;
      unsigned long flags = CLONE_NEWPID | (spec.own_proc ? CLONE_NEWNS : 0) | SIGCHLD;
      pid = static_cast<pid_t>(
          syscall(SYS_clone, flags | (own_user_ns ? CLONE_NEWUSER : 0), 0, 0, 0, 0));
      if (pid < 0 && errno == EPERM && !own_user_ns) {
        own_user_ns = true;
        pid = static_cast<pid_t>(syscall(SYS_clone, flags | CLONE_NEWUSER, 0, 0, 0, 0));
      }
      if (pid == 0) InitChild(plan);
      if (pid < 0) {
        out.namespace_refused = std::string("clone(CLONE_NEWPID") +
                                (own_user_ns ? "|CLONE_NEWUSER" : "") +
                                "): " + std::strerror(errno);
        in_namespace = false;
        if (!spec.ptrace) return NamespaceRefused(out.namespace_refused);
        continue;
      }
    } else {
      pid = fork();
      if (pid < 0) return core::ErrnoError(errno, "fork");
      if (pid == 0) TargetChild(plan);
    }

    status_w.reset();
    report_w.reset();
    out.pid = pid;
    out.target_pid = pid;
    // The fallback: a non-dumpable process cannot be ptraced (nor its memory, fds or /proc
    // files reached) by an unprivileged target. Only now: the child inherited our dumpability
    // at fork, and PTRACE_SEIZE of a non-dumpable child would need CAP_SYS_PTRACE.
    if (out.isolation == Isolation::kNonDumpable) prctl(PR_SET_DUMPABLE, 0);
    auto refuse = [&](const std::string& why) {
      out.namespace_refused = why;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      in_namespace = false;
    };
    if (in_namespace) {
      if (own_user_ns) {
        const std::string uid = std::to_string(geteuid()), gid = std::to_string(getegid());
        if (!WriteProcFile(pid, "setgroups", "deny") ||
            !WriteProcFile(pid, "uid_map", uid + " " + uid + " 1\n") ||
            !WriteProcFile(pid, "gid_map", gid + " " + gid + " 1\n")) {
          refuse(std::string("writing the user namespace's id maps: ") + std::strerror(errno));
          if (!spec.ptrace) return NamespaceRefused(out.namespace_refused);
          continue;
        }
      }
      char go = 'G';
      if (write(go_w.get(), &go, 1) != 1) return core::ErrnoError(errno, "write");
      go_w.reset();
    } else if (spec.ptrace) {
      if (ptrace(PTRACE_SEIZE, pid, 0, spec.ptrace_options) != 0) {
        int err = errno;
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return core::ErrnoError(err, err == EPERM
                                         ? "ptrace(PTRACE_SEIZE) of the target (is pwnbox "
                                           "itself run by a tracer that follows forks, such as "
                                           "strace -f or gdb? its children are then traced "
                                           "already)"
                                         : "ptrace(PTRACE_SEIZE) of the target");
      }
      char go = 'G';
      if (write(go_w.get(), &go, 1) != 1) return core::ErrnoError(errno, "write");
    }
    if (spec.policy_listener) {
      sock_child.reset();
      pid_t sender = -1;
      if (!ReceiveListener(sock_parent.get(), &out.listener, in_namespace ? &sender : nullptr)) {
        // The child (or the init) failed before sending: its status pipe says why.
        ChildFailure f{};
        if (read(status_r.get(), &f, sizeof f) == sizeof f) {
          waitpid(pid, nullptr, 0);
          if (f.stage == kStageNamespace) {
            out.namespace_refused = std::string("setting up the namespace: ") +
                                    std::strerror(f.err);
            in_namespace = false;
            if (!spec.ptrace) return NamespaceRefused(out.namespace_refused);
            continue;
          }
          return core::ErrnoError(f.err, "installing the seccomp filter");
        }
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return core::Error("the target did not hand over its seccomp listener");
      }
      if (in_namespace) {
        if (sender <= 0) {
          refuse("the target's pid was not passed with its listener");
          return core::Error("cannot start the target in a PID namespace: " +
                             out.namespace_refused);
        }
        out.target_pid = sender;
      }
    }
    out.pid_namespace = in_namespace;
    out.init_report = std::move(report_r);
    out.status = std::move(status_r);
    return out;
  }
}

int TargetWaitStatus(Launched& launched, int init_status) {
  if (!launched.pid_namespace) return init_status;
  int status = 0;
  ssize_t n;
  do {
    n = read(launched.init_report.get(), &status, sizeof status);
  } while (n < 0 && errno == EINTR);
  launched.init_report.reset();
  if (n == sizeof status) return status;
  return SIGKILL;  // the init was killed from outside: so was everything in its namespace
}

int ExecErrno(Launched& launched) {
  if (!launched.status) return 0;
  ChildFailure f{};
  int flags = fcntl(launched.status.get(), F_GETFL);
  fcntl(launched.status.get(), F_SETFL, flags | O_NONBLOCK);
  ssize_t n = read(launched.status.get(), &f, sizeof f);
  launched.status.reset();
  return n == sizeof f ? f.err : 0;
}

}  // namespace pwnbox::supervisor
