// ex_threads: starts a thread that waits on a pipe, then opens FILE (argv[1]) from the main
// thread: a multi-threaded process at that call (`pwnbox explore` must report it, not fork it).
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int pipe_fds[2];

static void* waiter(void* arg) {
  (void)arg;
  char c;
  (void)!read(pipe_fds[0], &c, 1);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2 || pipe(pipe_fds) != 0) return 2;
  pthread_t t;
  if (pthread_create(&t, NULL, waiter, NULL) != 0) return 2;
  int fd = open(argv[1], O_RDONLY);
  (void)!write(pipe_fds[1], "x", 1);
  pthread_join(t, NULL);
  if (fd < 0) return 1;
  puts("opened");
  return 0;
}
