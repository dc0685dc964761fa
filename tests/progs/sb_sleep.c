// Forks a child; both write their pids to the file argv[1] ("PARENT CHILD\n") and sleep until
// killed. For the test that kills pwnbox and checks that nothing of the sandbox survives.
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  pid_t child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  FILE* f = fopen(argv[1], "w");
  if (!f) return 1;
  fprintf(f, "%d %d\n", getpid(), child);
  fclose(f);
  for (;;) pause();
}
