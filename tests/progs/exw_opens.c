// exw_opens PATH [N]: opens PATH N times (default 3), one after the other, and prints each
// result on stdout: "open K: ok" or "open K: ERRNONAME". Used by explore_when_test: a policy's
// `when` rule takes one of the opens, explore another.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const int n = argc > 2 ? atoi(argv[2]) : 3;
  for (int k = 1; k <= n; ++k) {
    const int fd = open(argv[1], O_RDONLY);
    if (fd >= 0) {
      printf("open %d: ok\n", k);
      close(fd);
    } else {
      const char* name = strerrorname_np(errno);
      printf("open %d: %s\n", k, name ? name : "?");
    }
    fflush(stdout);
  }
  return 0;
}
