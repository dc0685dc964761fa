// tr_structs DIR: makes each struct-decoding syscall once, with known values, in this order
// (fd numbers assume 0-2 are open and nothing else is; DIR is empty):
//   pipe2([3, 4], O_CLOEXEC); write(4, "x", 1); poll([{fd=3, events=POLLIN}], 1, 0) = 1
//   epoll_create1(EPOLL_CLOEXEC) = 5; epoll_ctl(5, ADD, 3, {EPOLLIN, data 3}); epoll_wait
//   openat(DIR/f, O_RDWR|O_CREAT|O_APPEND|O_CLOEXEC, 0600) = 6; write(6, "hello", 5);
//   fchmod(6, 0640); stat/lstat/newfstatat(DIR/f) and fstat(6): size 5, mode S_IFREG|0640
//   fcntl(6, F_SETFD, FD_CLOEXEC); fcntl(6, F_GETFL); ioctl(6, TCGETS) -> ENOTTY
//   writev(4, [{"ab", 2}, {"cd\n", 3}], 2) = 5
//   nanosleep({0, 1000}); clock_nanosleep(CLOCK_MONOTONIC, 0, {0, 1000})
//   rt_sigaction(SIGUSR2, SIG_IGN, mask [USR1], SA_RESTART); read it back;
//   rt_sigprocmask(SIG_BLOCK, [USR1 USR2]) then SIG_SETMASK back to the old one
//   mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS); mprotect(PROT_READ);
//   munmap
//   setrlimit(RLIMIT_CORE, {0, 0}); getrlimit(RLIMIT_CORE); prlimit64(0, RLIMIT_CORE, NULL, &old)
//   uname; dup2(6, 10); dup3(6, 11, O_CLOEXEC)
//   socket(AF_UNIX, SOCK_STREAM) = 7; bind(DIR/sock); socket(AF_INET, SOCK_STREAM) = 8;
//   connect(127.0.0.1:1) -> ECONNREFUSED
//   openat(DIR, O_RDONLY|O_DIRECTORY) = 9; getdents64(9, ..., 4096): ".", "..", "f", "sock"
//   clone3({flags=0, exit_signal=SIGCHLD}, 88): the child exits 5; wait4(child)
//   exit_group(0)
// Prints nothing; exits 1 (at once) if a call that must succeed fails.
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

// The kernel's struct sigaction for rt_sigaction (not glibc's).
struct KSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
};

#define MUST(x) \
  do {          \
    if ((x) < 0) syscall(SYS_exit_group, 1); \
  } while (0)

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  char file[4096], sock[4096];
  snprintf(file, sizeof file, "%s/f", argv[1]);
  snprintf(sock, sizeof sock, "%s/sock", argv[1]);

  int p[2];
  MUST(syscall(SYS_pipe2, p, O_CLOEXEC));
  MUST(syscall(SYS_write, p[1], "x", 1));
  struct pollfd pfd = {.fd = p[0], .events = POLLIN};
  MUST(syscall(SYS_poll, &pfd, 1, 0));
  long ep = syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
  MUST(ep);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 3};
  MUST(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev));
  struct epoll_event out[4];
  MUST(syscall(SYS_epoll_wait, ep, out, 4, 0));

  long fd = syscall(SYS_openat, AT_FDCWD, file, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  MUST(fd);
  MUST(syscall(SYS_write, fd, "hello", 5));
  MUST(syscall(SYS_fchmod, fd, 0640));
  struct stat st;
  MUST(syscall(SYS_stat, file, &st));
  MUST(syscall(SYS_lstat, file, &st));
  MUST(syscall(SYS_newfstatat, AT_FDCWD, file, &st, 0));
  MUST(syscall(SYS_fstat, fd, &st));
  MUST(syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC));
  MUST(syscall(SYS_fcntl, fd, F_GETFL));
  struct termios tio;
  syscall(SYS_ioctl, fd, TCGETS, &tio);

  struct iovec iov[2] = {{"ab", 2}, {"cd\n", 3}};
  MUST(syscall(SYS_writev, p[1], iov, 2));

  struct timespec ts = {0, 1000};
  MUST(syscall(SYS_nanosleep, &ts, NULL));
  MUST(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL));

  struct KSigaction sa = {SIG_IGN, SA_RESTART, NULL, 1UL << (SIGUSR1 - 1)};
  struct KSigaction old;
  MUST(syscall(SYS_rt_sigaction, SIGUSR2, &sa, NULL, 8));
  MUST(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 8));
  unsigned long set = (1UL << (SIGUSR1 - 1)) | (1UL << (SIGUSR2 - 1)), oldset = 0;
  MUST(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &oldset, 8));
  MUST(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &oldset, NULL, 8));

  long m = syscall(SYS_mmap, NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                   0);
  if (m == -1) return 1;
  MUST(syscall(SYS_mprotect, m, 8192, PROT_READ));
  MUST(syscall(SYS_munmap, m, 8192));

  struct rlimit rl = {0, 0};
  MUST(syscall(SYS_setrlimit, RLIMIT_CORE, &rl));
  MUST(syscall(SYS_getrlimit, RLIMIT_CORE, &rl));
  MUST(syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &rl));

  struct utsname uts;
  MUST(syscall(SYS_uname, &uts));
  MUST(syscall(SYS_dup2, fd, 10));
  MUST(syscall(SYS_dup3, fd, 11, O_CLOEXEC));

  long us = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
  MUST(us);
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  strncpy(sun.sun_path, sock, sizeof sun.sun_path - 1);
  MUST(syscall(SYS_bind, us, &sun, offsetof(struct sockaddr_un, sun_path) + strlen(sock) + 1));
  long is = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
  MUST(is);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(1)};
  sin.sin_addr.s_addr = inet_addr("127.0.0.1");
  syscall(SYS_connect, is, &sin, sizeof sin);

  long dfd = syscall(SYS_openat, AT_FDCWD, argv[1], O_RDONLY | O_DIRECTORY);
  MUST(dfd);
  char dents[4096];
  MUST(syscall(SYS_getdents64, dfd, dents, sizeof dents));

  struct clone_args ca;
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGCHLD;
  long child = syscall(SYS_clone3, &ca, sizeof ca);
  if (child == 0) syscall(SYS_exit_group, 5);
  MUST(child);
  int status = 0;
  MUST(syscall(SYS_wait4, child, &status, 0, NULL));
  syscall(SYS_exit_group, 0);
  return 0;
}
