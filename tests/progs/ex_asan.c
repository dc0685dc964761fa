// ex_asan FILE: built with AddressSanitizer (tests/CMakeLists.txt). Opens FILE and prints its
// first line; a planted bug on the error path writes one byte past a heap buffer when the open
// fails. The sanitizer reports it on stderr and exits 1 (no signal): `pwnbox explore` must
// classify that as a crash.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  char* name = malloc(8);
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    memcpy(name, "missing!", 9);  // the bug: 9 bytes into 8
    fprintf(stderr, "cannot open: %s\n", name);
    free(name);
    return 3;
  }
  char buf[64];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  printf("%s", buf);
  free(name);
  return 0;
}
