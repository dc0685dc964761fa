// execve from a secondary thread while other threads block: the kernel kills the others and
// the exec'd image (this program again, with an argument) runs as the thread-group leader.
#include <pthread.h>
#include "co.h"

static char* self;
static void* blocker(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}
static void* execer(void* arg) {
  (void)arg;
  char* argv[] = {self, "child", NULL};
  execv("/proc/self/exe", argv);
  CHECK(!"execv");
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) {
    CHECK(syscall(SYS_gettid) == getpid());
    printf("exec from thread ok\n");
    return 0;
  }
  self = argv[0];
  pthread_t t;
  for (int i = 0; i < 3; ++i) CHECK(pthread_create(&t, NULL, blocker, NULL) == 0);
  CHECK(pthread_create(&t, NULL, execer, NULL) == 0);
  for (;;) pause();
}
