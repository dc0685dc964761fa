// tr_basic FILE: a fixed, known sequence of syscalls for `pwnbox trace` tests.
//   openat("/nonexistent/tr_basic_missing") -> ENOENT  (x1, the first call after startup)
//   openat(FILE) + read(64) + close                    (x1 each)
//   write(1, "a\tb\nc\1\377\0", 8)                     (x1)
//   write(1, 40-byte string)                           (x1, longer than -s 32)
//   getpid                                             (x5)
//   chdir("/nonexistent/tr_basic_dir") -> ENOENT       (x2)
//   exit_group(3)
// Calls are raw (syscall(2)) so that libc substitutes nothing.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  syscall(SYS_openat, AT_FDCWD, "/nonexistent/tr_basic_missing", O_RDONLY);
  long fd = syscall(SYS_openat, AT_FDCWD, argv[1], O_RDONLY);
  char buf[64];
  syscall(SYS_read, fd, buf, sizeof buf);
  syscall(SYS_close, fd);
  syscall(SYS_write, 1, "a\tb\nc\1\377", 8);
  syscall(SYS_write, 1, "0123456789abcdefghijklmnopqrstuvwxyzABCD", 40);
  for (int i = 0; i < 5; ++i) syscall(SYS_getpid);
  for (int i = 0; i < 2; ++i) syscall(SYS_chdir, "/nonexistent/tr_basic_dir");
  syscall(SYS_exit_group, 3);
  return 0;
}
