// Calls whose results are ids of this run, for the decoding-fidelity test
// (it_decode_fidelity_test): the first marker names them, write(-1, "dc_pids:begin PID
// PPID", ...), so that the test can replace them by "PID" and "PPID" before comparing; then
// getpid, gettid, getppid, getpgid, getpgrp, getsid, set_tid_address, brk, memfd_secret,
// ending with write(-1, "dc_pids:end", 11) and the exit_group after it (which the test keeps).
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  char begin[96];
  snprintf(begin, sizeof(begin), "dc_pids:begin %ld %ld", (long)syscall(SYS_getpid),
           (long)syscall(SYS_getppid));
  syscall(SYS_write, -1, begin, strlen(begin));
  syscall(SYS_getpid);
  syscall(SYS_gettid);
  syscall(SYS_getppid);
  syscall(SYS_getpgid, 0);
  syscall(SYS_getpgrp);
  syscall(SYS_getsid, 0);
  syscall(SYS_set_tid_address, NULL);
  syscall(SYS_brk, NULL);
  syscall(SYS_memfd_secret, 0x1000);
  syscall(SYS_write, -1, "dc_pids:end", 11);
  return 0;
}
