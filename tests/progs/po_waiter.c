// po_waiter [nodump]: (nodump: prctl(PR_SET_DUMPABLE, 0) first) prints its pid and a newline,
// then reads stdin until EOF and exits 0. A process to attach to that ends when told to.
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "nodump") == 0 && prctl(PR_SET_DUMPABLE, 0) != 0) return 1;
  printf("%d\n", (int)getpid());
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  return 0;
}
