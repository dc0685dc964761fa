// Calls every program makes and expects to work: uname, getrandom (blocking and GRND_NONBLOCK),
// clock_gettime on several clocks, gettimeofday, time, getcpu, sysinfo, getrusage, times,
// gettid == getpid in the main thread, getpid through syscall() equal to glibc's.
#include <sched.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include "co.h"

int main(void) {
  struct utsname u;
  CHECK(uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "x86_64") == 0);
  unsigned char r[64];
  CHECK(getrandom(r, sizeof r, 0) == sizeof r && getrandom(r, 16, GRND_NONBLOCK) == 16);
  clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID,
                        CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_COARSE};
  for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; ++i) {
    struct timespec ts;
    CHECK(clock_gettime(clocks[i], &ts) == 0);
    CHECK(clock_getres(clocks[i], &ts) == 0);
  }
  struct timeval tv;
  CHECK(gettimeofday(&tv, NULL) == 0 && time(NULL) >= tv.tv_sec - 1);  // time() is coarse
  unsigned cpu, node;
  CHECK(getcpu(&cpu, &node) == 0);
  struct sysinfo si;
  CHECK(sysinfo(&si) == 0 && si.totalram > 0);
  struct rusage ru;
  CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
  struct tms t;
  CHECK(times(&t) != (clock_t)-1);
  CHECK(syscall(SYS_gettid) == getpid() && syscall(SYS_getpid) == getpid());
  // 0 when the group or session leader lives outside our PID namespace: in a container, and
  // under run's own PID namespace (docs/security.md "Lifecycle").
  CHECK(getppid() >= 0 && getpgrp() >= 0 && getsid(0) >= 0);
  printf("%s %s, random, clocks, getcpu, sysinfo, rusage ok\n", u.sysname, u.machine);
  return 0;
}
