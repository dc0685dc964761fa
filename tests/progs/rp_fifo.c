// Says "ready PID", then opens the FIFO argv[1] for reading, which waits for a writer, and
// exits 0. Recorded with a writer (the test); replayed, the open really happens and no writer
// comes, so it waits until interrupted.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 1;
  close(fd);
  return 0;
}
