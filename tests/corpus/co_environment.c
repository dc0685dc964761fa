// What a program finds at start must be what its runner gave it: the environment (count and a
// checksum of the sorted entries), argv, the cwd (same inode as $PWD set by the driver), the
// umask, the signal dispositions and mask, the kinds of fds 0-2, uids and gids, groups.
#include <grp.h>
#include "co.h"

extern char** environ;
static int cmp(const void* a, const void* b) { return strcmp(*(char**)a, *(char**)b); }

int main(int argc, char** argv) {
  int n = 0;
  while (environ[n]) n++;
  char** sorted = calloc((size_t)n + 1, sizeof *sorted);
  memcpy(sorted, environ, (size_t)n * sizeof *sorted);
  qsort(sorted, (size_t)n, sizeof *sorted, cmp);
  unsigned long h = 5381;
  for (int i = 0; i < n; ++i) {
    if (strncmp(sorted[i], "PWD=", 4) == 0) continue;  // differs between runs: checked below
    for (const char* p = sorted[i]; *p; ++p) h = h * 33 + (unsigned char)*p;
  }
  printf("env %d entries hash %lx\n", n, h);
  for (int i = 0; i < n; ++i)
    if (strncmp(sorted[i], "CO_", 3) == 0) printf("%s\n", sorted[i]);
  printf("argc %d:", argc);
  for (int i = 1; i < argc; ++i) printf(" [%s]", argv[i]);
  printf("\n");
  mode_t m = umask(0);
  printf("umask %03o\n", m);
  struct stat a, b;
  const char* pwd = getenv("PWD");
  CHECK(stat(".", &a) == 0);
  printf("cwd is $PWD: %d\n", pwd && stat(pwd, &b) == 0 && a.st_ino == b.st_ino);
  sigset_t cur;
  CHECK(sigprocmask(SIG_SETMASK, NULL, &cur) == 0);
  int blocked = 0, ignored = 0;
  for (int s = 1; s < NSIG; ++s) {
    if (s == SIGKILL || s == SIGSTOP || (s > 31 && s < SIGRTMIN)) continue;
    if (sigismember(&cur, s)) blocked++;
    struct sigaction sa;
    if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) ignored++;
  }
  printf("signals blocked %d ignored %d\n", blocked, ignored);
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) { printf("fd %d closed\n", fd); continue; }
    int fl = fcntl(fd, F_GETFL);
    printf("fd %d %s access %d cloexec %d\n", fd,
           S_ISFIFO(st.st_mode) ? "fifo" : S_ISCHR(st.st_mode) ? "chr" : S_ISREG(st.st_mode) ? "reg"
           : "other", fl & O_ACCMODE, fcntl(fd, F_GETFD) & FD_CLOEXEC);
  }
  uid_t r, e, s;
  gid_t gr, ge, gs;
  CHECK(getresuid(&r, &e, &s) == 0 && getresgid(&gr, &ge, &gs) == 0);
  printf("uids %u %u %u gids %u %u %u groups %d\n", r, e, s, gr, ge, gs, getgroups(0, NULL));
  // Not whether it leads its process group: a shell makes the first process of a job (here
  // pwnbox) the leader, as under strace or sudo.
  printf("session leader %d\n", getsid(0) == getpid());
  return 0;
}
