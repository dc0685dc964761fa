// Writes "STEP-<i>-MARKER" into a global buffer, then calls getppid, for i = 0..4; prints the
// buffer's address first. For `record --snapshots` / `show --at N --mem`: at the entry of the
// i-th getppid the buffer holds STEP-<i>.
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

char marker[64];

int main(void) {
  printf("%p\n", (void*)marker);
  fflush(stdout);
  for (int i = 0; i < 5; i++) {
    snprintf(marker, sizeof marker, "STEP-%d-MARKER", i);
    syscall(SYS_getppid);
  }
  return 0;
}
