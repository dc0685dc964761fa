// Eight threads each make N getuid() calls and count the answers that differ from the
// expected value (argv[2]); prints "wrong=W total=T" and exits 0 only when every answer was
// right. Under a policy that answers getuid in user space this checks that no notification is
// lost or mixed up between threads.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long g_iterations, g_expected;
static long g_wrong[8];

static void* worker(void* arg) {
  long idx = (long)arg;
  for (long i = 0; i < g_iterations; ++i)
    if (syscall(SYS_getuid) != g_expected) g_wrong[idx]++;
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  g_iterations = atol(argv[1]);
  g_expected = atol(argv[2]);
  pthread_t t[8];
  for (long i = 0; i < 8; ++i) pthread_create(&t[i], NULL, worker, (void*)i);
  long wrong = 0;
  for (int i = 0; i < 8; ++i) {
    pthread_join(t[i], NULL);
    wrong += g_wrong[i];
  }
  printf("wrong=%ld total=%ld\n", wrong, 8 * g_iterations);
  return wrong == 0 ? 0 : 1;
}
