// Raw futex: a ping-pong of 1000 rounds between two threads through FUTEX_WAIT/FUTEX_WAKE,
// plus FUTEX_WAIT on a changed value (EAGAIN) and a timed wait that times out.
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include "co.h"

static _Atomic int word;  // even: main's turn, odd: the thread's
static long fx(_Atomic int* a, int op, int val, const struct timespec* ts) {
  return syscall(SYS_futex, a, op, val, ts, NULL, 0);
}
static void wait_for(int parity) {
  for (;;) {
    int v = atomic_load(&word);
    if ((v & 1) == parity) return;
    fx(&word, FUTEX_WAIT_PRIVATE, v, NULL);
  }
}
static void* peer(void* arg) {
  (void)arg;
  for (int i = 0; i < 1000; ++i) {
    wait_for(1);
    atomic_fetch_add(&word, 1);
    fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL);
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  CHECK(pthread_create(&t, NULL, peer, NULL) == 0);
  for (int i = 0; i < 1000; ++i) {
    wait_for(0);
    atomic_fetch_add(&word, 1);
    fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL);
  }
  wait_for(0);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK(atomic_load(&word) == 2000);
  errno = 0;
  CHECK(fx(&word, FUTEX_WAIT_PRIVATE, 5, NULL) == -1 && errno == EAGAIN);
  struct timespec ts = {0, 1000000};
  CHECK(fx(&word, FUTEX_WAIT_PRIVATE, 2000, &ts) == -1 && errno == ETIMEDOUT);
  printf("futex rounds %d\n", atomic_load(&word));
  return 0;
}
