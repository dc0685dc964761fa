// /proc/self: status (Name, Pid, PPid, Uid, Threads, SigBlk, SigIgn), maps (the executable is
// mapped), fd (exactly the descriptors the program opened: 0, 1, 2 and the directory being
// listed; nothing leaked in), exe, cmdline, stat's state, comm.
#include <dirent.h>
#include "co.h"

static long field(const char* status, const char* name) {
  const char* p = strstr(status, name);
  CHECK(p != NULL);
  return strtol(p + strlen(name), NULL, 10);
}
static char* slurp(const char* path) {
  static char buf[65536];
  int fd = open(path, O_RDONLY);
  CHECK(fd >= 0);
  ssize_t n = 0, k;
  while ((k = read(fd, buf + n, sizeof buf - 1 - (size_t)n)) > 0) n += k;
  buf[n] = 0;
  close(fd);
  return buf;
}

int main(int argc, char** argv) {
  (void)argc;
  char* st = strdup(slurp("/proc/self/status"));
  CHECK(strncmp(st, "Name:\tco_proc_self", 18) == 0);
  CHECK(field(st, "\nPid:\t") == getpid() && field(st, "\nPPid:\t") == getppid());
  CHECK(field(st, "\nUid:\t") == (long)getuid() && field(st, "\nThreads:\t") == 1);
  // Nothing blocked and nothing ignored at start, as the driver started it.
  const char* blk = strstr(st, "\nSigBlk:\t");
  const char* ign = strstr(st, "\nSigIgn:\t");
  CHECK(blk && ign);
  printf("SigBlk %.16s SigIgn %.16s\n", blk + 9, ign + 9);
  char exe[4096] = {0};
  CHECK(readlink("/proc/self/exe", exe, sizeof exe - 1) > 0);
  char* real = realpath(argv[0], NULL);
  CHECK(real && strcmp(exe, real) == 0);
  CHECK(strstr(slurp("/proc/self/maps"), exe) != NULL);
  char* cmd = slurp("/proc/self/cmdline");
  CHECK(strcmp(cmd, argv[0]) == 0);
  CHECK(strcmp(slurp("/proc/self/comm"), "co_proc_self\n") == 0);
  char* stat = slurp("/proc/self/stat");
  CHECK(strstr(stat, ") R ") != NULL);
  DIR* d = opendir("/proc/self/fd");
  CHECK(d != NULL);
  char fds[256] = "";
  int count = 0;
  struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    count++;
    if (atoi(e->d_name) > 3) {
      char p[300], t[256] = {0};
      snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
      readlink(p, t, sizeof t - 1);
      fprintf(stderr, "unexpected fd %s -> %s\n", e->d_name, t);
    }
  }
  closedir(d);
  snprintf(fds, sizeof fds, "%d", count);
  printf("proc/self ok, open fds %s\n", fds);
  return 0;
}
