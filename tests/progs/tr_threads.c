// tr_threads N K: N pthreads each make K getppid calls, then the main thread joins them and
// exits 0. The main thread itself makes no getppid call, so a trace counts exactly N*K.
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long k_calls;

static void* Worker(void* arg) {
  (void)arg;
  for (long i = 0; i < k_calls; ++i) syscall(SYS_getppid);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int n = atoi(argv[1]);
  k_calls = atol(argv[2]);
  if (n <= 0 || n > 64) return 2;
  pthread_t t[64];
  for (int i = 0; i < n; ++i)
    if (pthread_create(&t[i], NULL, Worker, NULL) != 0) return 1;
  for (int i = 0; i < n; ++i) pthread_join(t[i], NULL);
  return 0;
}
