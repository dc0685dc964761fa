// exp_int80 FILE: opens FILE and reads it through the i386 ABI (`int $0x80`
// from 64-bit code: open = 5, read = 3, write = 4; the path and the buffer
// below 4 GiB), then writes what it read with the i386 write. Planted bug: when
// the open fails with ENOENT the program dereferences a NULL "config" pointer
// (SIGSEGV); other errors exit 2. Exits 0 when all went well.
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

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
  char* low =
      mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (low == MAP_FAILED || strlen(argv[1]) >= 4096) return 65;
  strcpy(low, argv[1]);
  char* buf = low + 4096;
  const int fd = (int)Int80(5, (long)low, 0 /* O_RDONLY */, 0);
  if (fd == -ENOENT) {
    volatile int* config = NULL;
    return *config;  // the planted bug
  }
  if (fd < 0) return 2;
  const long n = Int80(3, fd, (long)buf, 4096);
  if (n < 0) return 3;
  Int80(4, 1, (long)buf, n);
  return 0;
}
