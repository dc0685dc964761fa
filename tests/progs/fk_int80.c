// fk_int80 FILE: opens FILE with the i386 open (eax=5) through `int $0x80` from 64-bit code (the
// path copied below 4 GiB), then reports with one write(2): "open32 pid=P ret=R" (R: the fd, or
// -errno). Exits 0 when the open succeeded, 3 on -ENOENT, 4 otherwise.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long Int80(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a), "c"(b), "d"(c)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

int main(int argc, char** argv) {
  if (argc < 2) return 64;
  char* low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                   -1, 0);
  if (low == MAP_FAILED || strlen(argv[1]) >= 4096) return 65;
  strcpy(low, argv[1]);
  const int ret = (int)Int80(5, (long)low, 0 /* O_RDONLY */, 0);
  char line[64];
  const int n = snprintf(line, sizeof line, "open32 pid=%d ret=%d\n", getpid(), ret);
  write(1, line, n);
  return ret >= 0 ? 0 : ret == -ENOENT ? 3 : 4;
}
