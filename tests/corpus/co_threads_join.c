// Threads: create 8, each sums its slice; join and compare with the closed form.
#include <pthread.h>
#include "co.h"

static long sums[8];
static void* work(void* arg) {
  long i = (long)arg, s = 0;
  for (long k = i * 100000; k < (i + 1) * 100000; ++k) s += k;
  sums[i] = s;
  return (void*)(i + 1);
}

int main(void) {
  pthread_t t[8];
  for (long i = 0; i < 8; ++i) CHECK(pthread_create(&t[i], NULL, work, (void*)i) == 0);
  long total = 0;
  for (long i = 0; i < 8; ++i) {
    void* r;
    CHECK(pthread_join(t[i], &r) == 0);
    CHECK((long)r == i + 1);
    total += sums[i];
  }
  long n = 800000;
  CHECK(total == n * (n - 1) / 2);
  printf("threads 8 sum %ld\n", total);
  return 0;
}
