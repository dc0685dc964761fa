// exp_prune FILE MARKER: reads FILE (opened as fd 3) in a loop of read(2)s of up to 4096 bytes
// until one returns 0 or less, makes 64 getppid(2) calls (more than explore's pruning window;
// the parent of a forked branch is the original's), appends one byte to MARKER, then prints
// "N bytes" and exits 0 (1 when nothing was read). A `short` read of a small FILE, or `eof` at
// the read that returns 0 anyway, changes nothing the program does afterwards: explore prunes
// those branches before they reach MARKER.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) return 64;
  const int fd = open(argv[1], O_RDONLY);
  if (fd != 3) return 65;
  static char buf[4096];
  size_t got = 0;
  ssize_t n;
  while (got < sizeof buf && (n = read(fd, buf + got, sizeof buf - got)) > 0) got += (size_t)n;
  for (int i = 0; i < 64; ++i) getppid();
  const int m = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (m >= 0) {
    (void)!write(m, "x", 1);
    close(m);
  }
  printf("%zu bytes\n", got);
  return got > 0 ? 0 : 1;
}
