// Makes two syscalls newer than libseccomp 2.5.4 knows: mseal (462) and setxattrat (463, with a
// bad fd so that it fails without touching anything).
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  syscall(462, 0, 0, 0);
  syscall(463, -1, "x", 0, "n", 0, 0);
  return 0;
}
