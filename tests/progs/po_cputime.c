// po_cputime: one call that waits and one that works in the kernel, for trace -c's times:
// nanosleep(300 ms) (wall time, next to no CPU time) and read(/dev/zero) of 64 MiB (the kernel
// clears 64 MiB: CPU time). Raw syscalls; exits 0, or 1 when a call fails.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct timespec ts = {0, 300 * 1000 * 1000};
  if (syscall(SYS_nanosleep, &ts, NULL) != 0) return 1;
  const size_t len = 64 << 20;
  char* buf = malloc(len);
  int fd = open("/dev/zero", O_RDONLY);
  if (!buf || fd < 0) return 1;
  if (syscall(SYS_read, fd, buf, len) != (long)len) return 1;
  return 0;
}
