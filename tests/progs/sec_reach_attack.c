// sec_reach_attack MODE: tries to reach its parent (pwnbox) from inside the sandbox and prints
// one line `MODE: RESULT`, RESULT being the errno name of the failure, or `REACHED` (with what it
// got) when the attack worked. Addresses used against the parent are unmapped (0x1000), so a
// reachable parent shows as EFAULT and is never damaged.
//
// Modes: ptrace-seize ptrace-attach vm-read vm-write proc-mem proc-fd pidfd-getfd kill-stop
// kill-kill kill-all kill-pgrp pidfd-signal tgkill sigio prlimit
// kill-all (kill(-1, SIGKILL)) prints its return value, meaningless (see below). It runs only
// when the parent already refuses kill(ppid, 0) and SEC_REACH_IN_SANDBOX=1 is set: outside a
// sandbox it would kill every process it may signal.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static const char* Name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ESRCH: return "ESRCH";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case EBUSY: return "EBUSY";
    default: return strerror(err);
  }
}

static int Result(const char* mode, long rc) {
  if (rc < 0) printf("%s: %s\n", mode, Name(errno));
  else printf("%s: REACHED\n", mode);
  fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  const pid_t ppid = getppid();
  void* const nowhere = (void*)0x1000;
  char buf[16] = {0};
  if (!strcmp(mode, "ptrace-seize") || !strcmp(mode, "ptrace-attach")) {
    long rc = ptrace(mode[7] == 's' ? PTRACE_SEIZE : PTRACE_ATTACH, ppid, 0, 0);
    if (rc == 0) ptrace(PTRACE_DETACH, ppid, 0, 0);
    return Result(mode, rc);
  }
  if (!strcmp(mode, "vm-read") || !strcmp(mode, "vm-write")) {
    struct iovec local = {buf, sizeof buf}, remote = {nowhere, sizeof buf};
    long rc = mode[3] == 'r' ? process_vm_readv(ppid, &local, 1, &remote, 1, 0)
                             : process_vm_writev(ppid, &local, 1, &remote, 1, 0);
    if (rc < 0 && errno == EFAULT) {  // the parent's memory was reachable
      printf("%s: REACHED (EFAULT at an unmapped address)\n", mode);
      return 0;
    }
    return Result(mode, rc);
  }
  if (!strcmp(mode, "proc-mem")) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", ppid);
    int fd = open(path, O_RDWR);
    return Result(mode, fd);
  }
  if (!strcmp(mode, "proc-fd")) {
    char path[64];
    int opened = 0, first_err = 0;
    for (int n = 0; n <= 64; ++n) {
      snprintf(path, sizeof path, "/proc/%d/fd/%d", ppid, n);
      int fd = open(path, O_RDONLY | O_NONBLOCK);
      if (fd >= 0) {
        ++opened;
        close(fd);
      } else if (!first_err && errno != ENOENT) {
        first_err = errno;
      }
    }
    // (Listing /proc/PPID/fd needs only the owner's uid: fd numbers are not the fds.)
    if (opened) printf("%s: REACHED (%d fds opened)\n", mode, opened);
    else printf("%s: %s\n", mode, first_err ? Name(first_err) : "ENOENT");
    return 0;
  }
  if (!strcmp(mode, "pidfd-getfd")) {
    int pidfd = (int)syscall(SYS_pidfd_open, ppid, 0);
    if (pidfd < 0) return Result(mode, -1);
    int got = 0, eperm = 0, other = 0, other_err = 0;
    for (int n = 0; n <= 64; ++n) {
      int fd = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
      if (fd >= 0) {
        ++got;
        close(fd);
      } else if (errno == EPERM) {
        ++eperm;
      } else {
        ++other;
        other_err = errno;
      }
    }
    if (got || other)
      printf("%s: REACHED (%d fds taken, %d %s)\n", mode, got, other, Name(other_err));
    else
      printf("%s: EPERM\n", mode);
    return 0;
  }
  if (!strcmp(mode, "kill-stop")) {
    long rc = kill(ppid, SIGSTOP);
    if (rc == 0) kill(ppid, SIGCONT);
    return Result(mode, rc);
  }
  if (!strcmp(mode, "kill-kill")) return Result(mode, kill(ppid, SIGKILL));
  if (!strcmp(mode, "tgkill")) return Result(mode, syscall(SYS_tgkill, ppid, ppid, SIGKILL));
  if (!strcmp(mode, "pidfd-signal")) {
    int pidfd = (int)syscall(SYS_pidfd_open, ppid, 0);
    if (pidfd < 0) return Result(mode, -1);
    return Result(mode, syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0));
  }
  if (!strcmp(mode, "kill-all")) {
    const char* in = getenv("SEC_REACH_IN_SANDBOX");
    // The parent is pwnbox, or pwnbox's init in a PID namespace (we are then its pid 2: on the
    // host, pid 2 is kthreadd); either must refuse our signals.
    const int parent_ok = ppid > 1 || (ppid == 1 && getpid() == 2);
    if (!in || strcmp(in, "1") != 0 || !parent_ok || kill(ppid, 0) == 0 || errno != EPERM) {
      printf("%s: UNSAFE (the parent can be signalled: not run)\n", mode);
      return 0;
    }
    // kill(-1) returns 0 even when every process refused (the kernel counts EPERM as neither
    // success nor error): the effect is what tells, and the caller checks it (pwnbox and a
    // canary outside still alive). The sender itself is spared by the kernel.
    long rc = kill(-1, SIGKILL);
    printf("%s: returned %ld and survived\n", mode, rc);
    return 0;
  }
  if (!strcmp(mode, "prlimit")) {
    // Not covered by Landlock (no prlimit hook): the same uid may set the parent's limits.
    // RLIMIT_CORE only: harmless to pwnbox, enough to show the reach.
    struct rlimit old, lim;
    if (prlimit(ppid, RLIMIT_CORE, NULL, &old) != 0) return Result(mode, -1);
    lim = old;
    return Result(mode, prlimit(ppid, RLIMIT_CORE, &lim, NULL));
  }
  if (!strcmp(mode, "sigio")) {
    // The parent as the owner of an O_ASYNC pipe, SIGKILL as its signal: the kernel sends it on
    // the write, silently dropped when not permitted. pwnbox still alive is the answer.
    int p[2];
    if (pipe(p) != 0) return 2;
    if (fcntl(p[0], F_SETOWN, ppid) != 0) return Result(mode, -1);
    if (fcntl(p[0], F_SETSIG, SIGKILL) != 0) return Result(mode, -1);
    if (fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) != 0) return Result(mode, -1);
    write(p[1], "x", 1);
    printf("%s: sent\n", mode);
    return 0;
  }
  if (!strcmp(mode, "kill-pgrp")) {
    // The sender is in the group too: it dies of its own SIGKILL; pwnbox must report that.
    printf("%s: same-pgrp=%d\n", mode, getpgrp() == getpgid(ppid));
    fflush(stdout);
    kill(0, SIGKILL);
    printf("%s: survived %s\n", mode, Name(errno));
    return 1;
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
