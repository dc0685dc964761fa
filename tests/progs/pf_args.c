/* pf_args: the narrow uses of argument-checked syscalls, for `pwnbox learn --args` tests.
 *
 *   pf_args MODE FILE
 *
 * Every mode first makes the same baseline calls (what `learn` sees):
 *   socket(AF_UNIX, SOCK_STREAM, 0); mmap of an anonymous read-write page and
 *   mprotect(PROT_READ) on it; open(FILE, O_RDONLY) and fcntl(fd, F_GETFD); ioctl(pipe, FIONREAD)
 * then MODE's one extra call, a wider use of one of them (or a syscall the baseline never makes):
 *   learn          nothing more
 *   inet           socket(AF_INET, SOCK_STREAM, 0)
 *   exec-mprotect  mprotect(page, PROT_READ|PROT_EXEC)
 *   setlk          fcntl(fd, F_SETLK, read lock)
 *   ioctl-other    ioctl(pipe, FIONBIO, 1)
 *   write-open     open(FILE, O_WRONLY)
 *   getppid        getppid()
 * prints "MODE: ok" and exits 0 when the extra call succeeded, "MODE: ERRNONAME" and exits 1
 * when it failed (a baseline call that fails: "baseline NAME: ERRNONAME", exit 2). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *ErrName(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    default: return strerror(e);
  }
}

static void Baseline(const char *what, int failed) {
  if (!failed) return;
  printf("baseline %s: %s\n", what, ErrName(errno));
  fflush(stdout);
  _exit(2);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pf_args MODE FILE\n");
    return 2;
  }
  const char *mode = argv[1], *file = argv[2];

  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  Baseline("socket", s < 0);
  void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  Baseline("mmap", page == MAP_FAILED);
  Baseline("mprotect", mprotect(page, 4096, PROT_READ) != 0);
  int fd = open(file, O_RDONLY);
  Baseline("open", fd < 0);
  Baseline("fcntl", fcntl(fd, F_GETFD) < 0);
  int p[2];
  Baseline("pipe", pipe(p) != 0);
  int avail = 0;
  Baseline("ioctl", ioctl(p[0], FIONREAD, &avail) != 0);

  long r = 0;
  if (strcmp(mode, "learn") == 0) {
    r = 0;
  } else if (strcmp(mode, "inet") == 0) {
    r = socket(AF_INET, SOCK_STREAM, 0);
  } else if (strcmp(mode, "exec-mprotect") == 0) {
    r = mprotect(page, 4096, PROT_READ | PROT_EXEC);
  } else if (strcmp(mode, "setlk") == 0) {
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
    r = fcntl(fd, F_SETLK, &fl);
  } else if (strcmp(mode, "ioctl-other") == 0) {
    int on = 1;
    r = ioctl(p[0], FIONBIO, &on);
  } else if (strcmp(mode, "write-open") == 0) {
    r = open(file, O_WRONLY);
  } else if (strcmp(mode, "getppid") == 0) {
    r = syscall(SYS_getppid);
  } else {
    fprintf(stderr, "pf_args: unknown mode %s\n", mode);
    return 2;
  }
  if (r < 0) {
    printf("%s: %s\n", mode, ErrName(errno));
    return 1;
  }
  printf("%s: ok\n", mode);
  return 0;
}
