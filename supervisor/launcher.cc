#include "supervisor/launcher.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  if (spec.confine) {
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

  int status_pipe[2], go_pipe[2] = {-1, -1}, sock[2] = {-1, -1};
  if (pipe2(status_pipe, O_CLOEXEC) != 0) return core::ErrnoError(errno, "pipe2");
  core::UniqueFd status_r(status_pipe[0]), status_w(status_pipe[1]);
  core::UniqueFd go_r, go_w, sock_parent, sock_child;
  if (spec.ptrace) {
    if (pipe2(go_pipe, O_CLOEXEC) != 0) return core::ErrnoError(errno, "pipe2");
    go_r.reset(go_pipe[0]);
    go_w.reset(go_pipe[1]);
  }
  if (spec.policy_listener) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) != 0)
      return core::ErrnoError(errno, "socketpair");
    sock_parent.reset(sock[0]);
    sock_child.reset(sock[1]);
  }
  const pid_t parent = getpid();
  const char* path = out.path.c_str();

  pid_t pid = fork();
  if (pid < 0) return core::ErrnoError(errno, "fork");
  if (pid == 0) {
    const int sfd = status_w.get();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(sfd, 0, errno);
    if (getppid() != parent) _exit(125);  // the supervisor is already gone
    // Restore what the supervisor changed for itself.
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
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
    if (spec.ptrace) {
      char c = 0;
      ssize_t n;
      while ((n = read(go_r.get(), &c, 1)) < 0 && errno == EINTR) {
      }
      if (n != 1 || c != 'G') _exit(125);  // the supervisor died before seizing us
      // Seized with PTRACE_O_EXITKILL: the kernel kills this task (and every traced one) with
      // the supervisor from now on, so the parent-death signal can go back to what a program
      // expects to find (PR_GET_PDEATHSIG: 0), as it would be outside pwnbox.
      if (prctl(PR_SET_PDEATHSIG, 0) != 0) ChildFail(sfd, 0, errno);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ChildFail(sfd, 0, errno);
    if (ruleset) {
      if (int err = LandlockRestrictSelf(ruleset.get())) ChildFail(sfd, 0, err);
      close(ruleset.get());
    }
    if (spec.policy) {
      unsigned flags = spec.policy_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
      int fd = InstallFilter(policy_prog, flags);
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
        long rc = pwnbox_launch_syscall(__NR_sendmsg, sock_child.get(),
                                        reinterpret_cast<long>(&msg), 0);
        if (rc < 0) ChildFail(sfd, 0, static_cast<int>(-rc));
        // The listener fd is close-on-exec (the kernel makes it so): no close() here, which the
        // policy would see (and log) as the target's first call.
        if (trace_via_site) {
          sock_fprog tf{static_cast<unsigned short>(trace_prog.size()), trace_prog.data()};
          rc = pwnbox_launch_syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0,
                                     reinterpret_cast<long>(&tf));
          if (rc < 0) ChildFail(sfd, 0, static_cast<int>(-rc));
        }
        sock_fprog seal{static_cast<unsigned short>(seal_prog.size()), seal_prog.data()};
        rc = pwnbox_launch_syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0,
                                   reinterpret_cast<long>(&seal));
        if (rc < 0) ChildFail(sfd, 0, static_cast<int>(-rc));
      }
    }
    if (spec.trace && !trace_via_site && InstallFilter(trace_prog, 0) < 0)
      ChildFail(sfd, 0, errno);
    execve(path, argv.data(), environ);
    ChildFail(sfd, kStageExec, errno);
  }

  status_w.reset();
  ruleset.reset();
  out.pid = pid;
  // The fallback: a non-dumpable process cannot be ptraced (nor its memory, fds or /proc files
  // reached) by an unprivileged target. Only now: the child inherited our dumpability at fork,
  // and PTRACE_SEIZE of a non-dumpable child would need CAP_SYS_PTRACE.
  if (out.isolation == Isolation::kNonDumpable) prctl(PR_SET_DUMPABLE, 0);
  if (spec.ptrace) {
    if (ptrace(PTRACE_SEIZE, pid, 0, spec.ptrace_options) != 0) {
      int err = errno;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return core::ErrnoError(err, err == EPERM
                                       ? "ptrace(PTRACE_SEIZE) of the target (is pwnbox itself "
                                         "run by a tracer that follows forks, such as strace -f "
                                         "or gdb? its children are then traced already)"
                                       : "ptrace(PTRACE_SEIZE) of the target");
    }
    char go = 'G';
    if (write(go_w.get(), &go, 1) != 1) return core::ErrnoError(errno, "write");
  }
  if (spec.policy_listener) {
    sock_child.reset();
    char byte;
    char cmsg_buf[CMSG_SPACE(sizeof(int))];
    iovec iov{&byte, 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cmsg_buf;
    msg.msg_controllen = sizeof cmsg_buf;
    ssize_t n;
    do {
      n = recvmsg(sock_parent.get(), &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    cmsghdr* cm = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr;
    if (!cm || cm->cmsg_type != SCM_RIGHTS) {
      // The child failed before sending: its status pipe says why.
      ChildFailure f{};
      if (read(status_r.get(), &f, sizeof f) == sizeof f) {
        waitpid(pid, nullptr, 0);
        return core::ErrnoError(f.err, "installing the seccomp filter");
      }
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return core::Error("the target did not hand over its seccomp listener");
    }
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    out.listener.reset(fd);
  }
  out.status = std::move(status_r);
  return out;
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
