// fk_threads FILE: starts a second thread (blocked reading a pipe), then opens FILE and
// prints "open fd=N" or "open errno=NAME"; exits 0. A multi-threaded target that fork at a stop
// must refuse.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int pipe_fds[2];

static void* Block(void* arg) {
  (void)arg;
  char c;
  read(pipe_fds[0], &c, 1);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2 || pipe(pipe_fds) != 0) return 64;
  pthread_t t;
  if (pthread_create(&t, NULL, Block, NULL) != 0) return 65;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) printf("open errno=%s\n", strerrorname_np(errno));
  else printf("open fd=%d\n", fd);
  fflush(stdout);
  return 0;
}
