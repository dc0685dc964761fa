// Makes the syscalls named on its command line, in order, and prints one line per call:
// "NAME=RET" or "NAME=-1 ERRNONAME". Used by the sandbox tests to observe every action from a
// real process. Calls use bad fds/pointers where the result would otherwise be ambiguous
// (bubblewrap's try-syscall idea: an allowed call shows EBADF/EFAULT, a denied one the
// policy's errno).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

static void report(const char* name, long rc) {
  if (rc < 0) {
    const char* e = strerrorname_np(errno);
    printf("%s=-1 %s\n", name, e ? e : "?");
  } else {
    printf("%s=%ld\n", name, rc);
  }
  fflush(stdout);
}

static void on_alarm(int sig) { (void)sig; }

// read() on an empty pipe, interrupted after 50 ms by SIGALRM whose handler has no SA_RESTART.
static long read_interrupted(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  int p[2];
  if (pipe(p) != 0) return -1;
  struct itimerval t = {{0, 0}, {0, 50000}};
  setitimer(ITIMER_REAL, &t, NULL);
  char c;
  return read(p[0], &c, 1);
}

static long int80(long nr, long a1, long a2, long a3) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a1), "c"(a2), "d"(a3) : "memory");
  return ret;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* c = argv[i];
    long rc;
    errno = 0;
    if (!strcmp(c, "getuid")) rc = syscall(SYS_getuid);
    else if (!strcmp(c, "geteuid")) rc = syscall(SYS_geteuid);
    else if (!strcmp(c, "getppid")) rc = syscall(SYS_getppid);
    else if (!strcmp(c, "uname")) { struct utsname u; rc = syscall(SYS_uname, &u); }
    else if (!strcmp(c, "socket-unix")) rc = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    else if (!strcmp(c, "socket-inet")) rc = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
    else if (!strcmp(c, "close-bad")) rc = syscall(SYS_close, 9999);
    else if (!strcmp(c, "dup-bad")) rc = syscall(SYS_dup, 9999);
    else if (!strcmp(c, "sendmsg-bad")) rc = syscall(SYS_sendmsg, 9999, NULL, 0);
    else if (!strcmp(c, "read-intr")) rc = read_interrupted();
    else if (!strcmp(c, "write7")) rc = write(1, "abcdef\n", 7);
    else if (!strcmp(c, "mkdir")) rc = syscall(SYS_mkdir, "/proc/pwnbox-test-nonexistent", 0755);
    else if (!strcmp(c, "personality")) rc = syscall(SYS_personality, 0xffffffff);
    else if (!strcmp(c, "int80-getpid")) {
      rc = int80(20, 0, 0, 0);
      if (rc < 0) { errno = (int)-rc; rc = -1; }
    } else if (!strcmp(c, "x32-getpid")) {
      rc = syscall(0x40000000 | SYS_getpid);
    } else if (!strcmp(c, "io_uring_setup")) {
      rc = syscall(SYS_io_uring_setup, 1, NULL);
    } else {
      fprintf(stderr, "sb_calls: unknown call %s\n", c);
      return 2;
    }
    report(c, rc);
  }
  return 0;
}
