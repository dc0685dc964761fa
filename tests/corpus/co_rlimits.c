// Resource limits as the program finds them (pwnbox must not change them: printed) and as it
// sets them: RLIMIT_NOFILE lowered makes open fail with EMFILE, prlimit on itself, RLIMIT_FSIZE
// with SIGXFSZ ignored makes a write fail with EFBIG, RLIMIT_CORE.
#include <sys/resource.h>
#include "co.h"

static void show(const char* name, int res) {
  struct rlimit r;
  CHECK(getrlimit(res, &r) == 0);
  char a[32], b[32];
  if (r.rlim_cur == RLIM_INFINITY) strcpy(a, "unlimited");
  else snprintf(a, sizeof a, "%llu", (unsigned long long)r.rlim_cur);
  if (r.rlim_max == RLIM_INFINITY) strcpy(b, "unlimited");
  else snprintf(b, sizeof b, "%llu", (unsigned long long)r.rlim_max);
  printf("%s %s %s\n", name, a, b);
}

int main(void) {
  show("nofile", RLIMIT_NOFILE);
  show("core", RLIMIT_CORE);
  show("stack", RLIMIT_STACK);
  show("nproc", RLIMIT_NPROC);
  show("as", RLIMIT_AS);
  show("memlock", RLIMIT_MEMLOCK);
  show("cpu", RLIMIT_CPU);
  show("fsize", RLIMIT_FSIZE);
  struct rlimit lim = {16, 16}, old;
  CHECK(prlimit(0, RLIMIT_NOFILE, &lim, &old) == 0);
  int opened = 0;
  while (open("/dev/null", O_RDONLY) >= 0) opened++;
  CHECK(errno == EMFILE);
  CHECK(getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_max == 16);
  errno = 0;
  lim.rlim_max = 17;
  CHECK(setrlimit(RLIMIT_NOFILE, &lim) == -1 && (errno == EPERM || getuid() == 0));
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit fs = {1000, 1000};
  CHECK(setrlimit(RLIMIT_FSIZE, &fs) == 0);
  // open() fails above: the limit is 16 fds; close a few first.
  for (int fd = 3; fd < 16; ++fd) close(fd);
  int fd = open("big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  char buf[2000] = {0};
  CHECK(write(fd, buf, sizeof buf) == 1000);
  errno = 0;
  CHECK(write(fd, buf, 1) == -1 && errno == EFBIG);
  CHECK(unlink("big") == 0);
  struct rlimit core = {0, 0};
  CHECK(setrlimit(RLIMIT_CORE, &core) == 0);
  printf("nofile 16: opened %d more then EMFILE; fsize 1000: EFBIG\n", opened);
  return 0;
}
