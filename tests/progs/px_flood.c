// px_flood PATH N: N threads open PATH at once (O_RDONLY, or O_PATH when a third argument is
// given) and each prints its result at once: "ok", "EAGAIN", or "errno E". For the cap on calls
// in flight: the first 64 proxied opens wait for a backend the test holds, the rest get EAGAIN.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char* path;
static int flags = O_RDONLY;

static void* Open(void* arg) {
  (void)arg;
  char line[32];
  int fd = open(path, flags);
  int n = fd >= 0 ? snprintf(line, sizeof line, "ok\n")
          : errno == EAGAIN ? snprintf(line, sizeof line, "EAGAIN\n")
                            : snprintf(line, sizeof line, "errno %d\n", errno);
  if (write(1, line, (size_t)n) != n) _exit(2);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  path = argv[1];
  int n = atoi(argv[2]);
  if (argc > 3) flags = O_PATH;
  pthread_t t[256];
  if (n > 256) return 2;
  for (int i = 0; i < n; ++i) pthread_create(&t[i], NULL, Open, NULL);
  for (int i = 0; i < n; ++i) pthread_join(t[i], NULL);
  return 0;
}
