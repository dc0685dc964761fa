// Many threads exiting while others make calls: 4 waves of 16 threads; in each wave half the
// threads exit at once while the other half loop on open/fstat/close/getpid, then finish.
#include <pthread.h>
#include <stdatomic.h>
#include "co.h"

static _Atomic int calls;
static void* busy(void* arg) {
  (void)arg;
  for (int i = 0; i < 200; ++i) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    CHECK(close(fd) == 0);
    CHECK(syscall(SYS_getpid) == getpid());
    atomic_fetch_add(&calls, 1);
  }
  return NULL;
}
static void* quick(void* arg) { return arg; }

int main(void) {
  for (int wave = 0; wave < 4; ++wave) {
    pthread_t t[16];
    for (int i = 0; i < 16; ++i)
      CHECK(pthread_create(&t[i], NULL, (i & 1) ? quick : busy, NULL) == 0);
    for (int i = 0; i < 16; ++i) CHECK(pthread_join(t[i], NULL) == 0);
  }
  // Detached threads exiting while main keeps calling.
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  for (int i = 0; i < 32; ++i) {
    pthread_t d;
    CHECK(pthread_create(&d, &a, quick, NULL) == 0);
    CHECK(getppid() > 0);
  }
  CHECK(atomic_load(&calls) == 4 * 8 * 200);
  printf("storm calls %d\n", atomic_load(&calls));
  return 0;
}
