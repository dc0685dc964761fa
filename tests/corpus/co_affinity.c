// The CPUs the program may run on and its scheduling: sched_getaffinity's count is the count of
// online CPUs the runner allowed (printed: a runner must not pin its target), sched_getscheduler,
// nice, and that a thread may move itself to each allowed CPU.
#include <sched.h>
#include <sys/resource.h>
#include "co.h"

int main(void) {
  cpu_set_t set;
  CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
  int n = CPU_COUNT(&set);
  printf("affinity cpus %d (online %ld)\n", n, sysconf(_SC_NPROCESSORS_ONLN));
  char status[8192] = {0};
  int fd = open("/proc/self/status", O_RDONLY);
  CHECK(fd >= 0 && read(fd, status, sizeof status - 1) > 0);
  const char* l = strstr(status, "Cpus_allowed_list:");
  CHECK(l != NULL);
  printf("%.*s\n", (int)(strchr(l, '\n') - l), l);
  printf("policy %d nice %d\n", sched_getscheduler(0), getpriority(PRIO_PROCESS, 0));
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
    CHECK(sched_yield() == 0);
  }
  CHECK(sched_setaffinity(0, sizeof set, &set) == 0);
  return 0;
}
