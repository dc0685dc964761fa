// fk_branch FILE COUNT [restart|norestart]: the branch explorer's test target (fork at a stop).
// Does some work and reports it once ("start pid=P sum=S"), then opens FILE and reports what
// happened from each process that gets past the open ("open pid=P fd=N" or
// "open pid=P errno=NAME"); when it is open, reads COUNT bytes from it ("read pid=P n=N" or
// "read pid=P errno=NAME"). With a third argument `restart` or `norestart` it first catches
// SIGALRM, with SA_RESTART or not, and reports a delivery ("alrm pid=P"); with `child` it first
// forks a child that waits (in read) for its parent's end, and reports "child pid=P" from it. Each line is one write(2) to fd 1: nothing sits in
// a stdio buffer that a fork would copy. Exit status: 0 when the read returned COUNT bytes, 1
// when it returned fewer, 2 when it failed, 3 when the open failed with ENOENT, 4 with another
// errno.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void Say(const char* fmt, long a, long b, const char* s) {
  char line[128];
  int n = s ? snprintf(line, sizeof line, fmt, a, s) : snprintf(line, sizeof line, fmt, a, b);
  write(1, line, n);
}

static void OnAlarm(int sig) {
  (void)sig;
  Say("alrm pid=%ld\n", getpid(), 0, NULL);
}

int main(int argc, char** argv) {
  if (argc < 3) return 64;
  if (argc > 3 && strcmp(argv[3], "child") == 0) {
    int p[2];
    if (pipe(p) != 0) return 65;
    if (fork() == 0) {
      close(p[1]);
      Say("child pid=%ld\n", getpid(), 0, NULL);
      char c;
      read(p[0], &c, 1);  // EOF once every copy of the write end is closed
      _exit(0);
    }
    close(p[0]);
  } else if (argc > 3) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnAlarm;
    sa.sa_flags = strcmp(argv[3], "restart") == 0 ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
  }
  unsigned long sum = 0;
  for (unsigned long i = 0; i < 100000; ++i) sum += i * i % 7;
  Say("start pid=%ld sum=%ld\n", getpid(), (long)sum, NULL);
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    const int err = errno;
    Say("open pid=%ld errno=%s\n", getpid(), 0, strerrorname_np(err));
    return err == ENOENT ? 3 : 4;
  }
  Say("open pid=%ld fd=%ld\n", getpid(), fd, NULL);
  const long count = atol(argv[2]);
  char buf[256];
  const ssize_t n = read(fd, buf, count);
  if (n < 0) {
    Say("read pid=%ld errno=%s\n", getpid(), 0, strerrorname_np(errno));
    return 2;
  }
  Say("read pid=%ld n=%ld\n", getpid(), (long)n, NULL);
  return n == count ? 0 : 1;
}
