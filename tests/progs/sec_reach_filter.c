// sec_reach_filter MODE: tries to blind or outrun pwnbox with filters and flags of its own and
// prints `MODE: RESULT` lines (RESULT: the errno name of the failure, or what happened).
//
// listener       a second filter with SECCOMP_FILTER_FLAG_NEW_LISTENER (pwnbox holds one: EBUSY)
// notify-exec    a filter returning SECCOMP_RET_USER_NOTIF for execve, no listener; then execve
//                of this program (mode `executed`): ENOSYS, or the exec is reported
// forge          a filter returning SECCOMP_RET_TRACE with data 0xffff for getppid, then getppid
// untraced       clone(CLONE_UNTRACED|SIGCHLD): the child writes its pid and exits 7
// untraced3      the same with clone3
// tiocsti        ioctl(0, TIOCSTI, "x")
#include <errno.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

static const char* Name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case EBUSY: return "EBUSY";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case ENOTTY: return "ENOTTY";
    case EIO: return "EIO";
    default: return strerror(err);
  }
}

// Returns `action` for syscall `nr`, allows everything else.
static long Install(int nr, unsigned action, unsigned flags) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, action),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {4, f};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void Line(const char* mode, long rc) {
  if (rc < 0) printf("%s: %s\n", mode, Name(errno));
  else printf("%s: ok %ld\n", mode, rc);
  fflush(stdout);
}

static int Child(void) {
  char line[64];
  int n = snprintf(line, sizeof line, "child: %d\n", (int)getpid());
  write(1, line, (size_t)n);
  _exit(7);
}

static void Reap(const char* mode, long pid) {
  if (pid < 0) {
    Line(mode, pid);
    return;
  }
  if (pid == 0) Child();
  int st = 0;
  waitpid((pid_t)pid, &st, 0);
  printf("%s: child exit=%d\n", mode, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  if (!strcmp(mode, "executed")) {
    printf("EXECUTED\n");
    return 0;
  }
  if (!strcmp(mode, "listener")) {
    Line(mode, Install(SYS_getppid, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER));
    return 0;
  }
  if (!strcmp(mode, "notify-exec")) {
    long rc = Install(SYS_execve, SECCOMP_RET_USER_NOTIF, 0);
    if (rc < 0) {
      Line("install", rc);
      return 1;
    }
    char* args[] = {argv[0], (char*)"executed", NULL};
    execve("/proc/self/exe", args, NULL);
    Line(mode, -1);
    return 0;
  }
  if (!strcmp(mode, "forge")) {
    long rc = Install(SYS_getppid, SECCOMP_RET_TRACE | 0xffff, 0);
    if (rc < 0) {
      Line("install", rc);
      return 1;
    }
    Line(mode, syscall(SYS_getppid) > 0 ? 0 : -1);
    return 0;
  }
  if (!strcmp(mode, "untraced")) {
    Reap(mode, syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0));
    return 0;
  }
  if (!strcmp(mode, "untraced3")) {
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_UNTRACED;
    ca.exit_signal = SIGCHLD;
    Reap(mode, syscall(SYS_clone3, &ca, sizeof ca));
    return 0;
  }
  if (!strcmp(mode, "tiocsti")) {
    char c = '#';
    Line(mode, ioctl(0, TIOCSTI, &c));
    return 0;
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
